/**
 * What arrives at `{orgURL}/okta/slo`, read from either binding before any XML work: a GET with the
 * HTTP-Redirect query (`redirect-binding.ts`: deflated message, query signature), or a POST with
 * the HTTP-POST form (`SAMLRequest` or `SAMLResponse`, base64 of the XML, optional `RelayState`),
 * within the ACS's bounds (content type, 256 KiB, base64 that decodes to XML).
 */
import { ACS_FORM_MAX_BYTES, RELAY_STATE_MAX } from './form.ts'
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

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

function formValue(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '))
  } catch {
    throw new SamlRejection('form_invalid', 'the form has a malformed percent-encoding')
  }
}

function readPostForm(contentType: string | null, body: string): IncomingLogout {
  if (!(contentType ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    throw new SamlRejection(
      'form_invalid',
      `content type "${(contentType ?? '').slice(0, 80)}" is not a form post`,
    )
  }
  if (body.length > ACS_FORM_MAX_BYTES) {
    throw new SamlRejection(
      'response_too_large',
      `form of ${body.length} bytes exceeds ${ACS_FORM_MAX_BYTES}`,
    )
  }
  const fields = new Map<string, string>()
  for (const pair of body.split('&')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    const key = eq < 0 ? pair : pair.slice(0, eq)
    if (!['SAMLRequest', 'SAMLResponse', 'RelayState'].includes(key) || fields.has(key))
      throw new SamlRejection('form_invalid', `unexpected or repeated form field "${key.slice(0, 40)}"`)
    fields.set(key, formValue(eq < 0 ? '' : pair.slice(eq + 1)))
  }
  const param: MessageParam | null =
    fields.has('SAMLRequest') === fields.has('SAMLResponse')
      ? null
      : fields.has('SAMLRequest')
        ? 'SAMLRequest'
        : 'SAMLResponse'
  if (!param)
    throw new SamlRejection('form_invalid', 'the form needs exactly one of SAMLRequest or SAMLResponse')
  const relayState = fields.get('RelayState') || null
  if (relayState !== null && relayState.length > RELAY_STATE_MAX)
    throw new SamlRejection('form_invalid', `RelayState longer than ${RELAY_STATE_MAX} characters`)
  const compact = (fields.get(param) as string).replace(/[\r\n\t ]+/g, '')
  if (compact.length === 0 || compact.length % 4 !== 0 || !BASE64.test(compact))
    throw new SamlRejection('response_not_base64', `${param} is not base64`)
  const xml = Buffer.from(compact, 'base64').toString('utf8')
  if (
    !xml
      .replace(/^\uFEFF/, '')
      .trimStart()
      .startsWith('<')
  )
    throw new SamlRejection('response_not_base64', `${param} does not decode to XML`)
  return { binding: 'post', param, xml, relayState }
}

/** The logout message of one request to the SLO endpoint (its signature is not checked yet). */
export function readLogoutMessage(input: SloHttpInput): IncomingLogout {
  if (input.method === 'POST') return readPostForm(input.contentType, input.body)
  const query = readRedirectQuery(input.rawQuery)
  return { binding: 'redirect', param: query.param, xml: query.xml, relayState: query.relayState, query }
}
