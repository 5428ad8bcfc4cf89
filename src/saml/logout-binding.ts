/**
 * What arrives at `{orgURL}/okta/slo`, read from either binding before any XML work: a GET with the
 * HTTP-Redirect query (`redirect-binding.ts`: deflated message, query signature), or a POST with
 * the HTTP-POST form (`SAMLRequest` or `SAMLResponse`, base64 of the XML, optional `RelayState`),
 * within the ACS's bounds (content type, 256 KiB, base64 that decodes to XML).
 */
import { decodeSamlMessage, readSamlPostForm, relayStateOf } from './form.ts'
import { type IncomingRedirect, type MessageParam, readRedirectQuery } from './redirect-binding.ts'
import { SamlRejection } from './rejection.ts'

export type IncomingLogout =
  | {
      binding: 'redirect'
      param: MessageParam
      xml: string
      relayState: string | null
      query: IncomingRedirect
    }
  | { binding: 'post'; param: MessageParam; xml: string; relayState: string | null }

export interface SloHttpInput {
  method: 'GET' | 'POST'
  /** The raw query string, without `?` (GET). */
  rawQuery: string
  contentType: string | null
  /** The raw form body (POST). */
  body: string
}

function readPostForm(contentType: string | null, body: string): IncomingLogout {
  const fields = readSamlPostForm(contentType, body, ['SAMLRequest', 'SAMLResponse', 'RelayState'])
  const param: MessageParam | null =
    fields.has('SAMLRequest') === fields.has('SAMLResponse')
      ? null
      : fields.has('SAMLRequest')
        ? 'SAMLRequest'
        : 'SAMLResponse'
  if (!param)
    throw new SamlRejection('form_invalid', 'the form needs exactly one of SAMLRequest or SAMLResponse')
  const relayState = relayStateOf(fields)
  return { binding: 'post', param, xml: decodeSamlMessage(fields.get(param) as string, param), relayState }
}

/** The logout message of one request to the SLO endpoint (its signature is not checked yet). */
export function readLogoutMessage(input: SloHttpInput): IncomingLogout {
  if (input.method === 'POST') return readPostForm(input.contentType, input.body)
  const query = readRedirectQuery(input.rawQuery)
  return { binding: 'redirect', param: query.param, xml: query.xml, relayState: query.relayState, query }
}
