/**
 * The cheap gate in front of the ACS: the form must be exactly `SAMLResponse` (+ optional
 * `RelayState`, where an empty one is none), small, and the response must be base64 of something that looks like XML. All of
 * this runs before any XML work, so junk costs microseconds.
 */
import { Type as T } from '@sinclair/typebox'
import { SamlRejection } from './rejection.ts'

/** Largest ACS form accepted. Okta responses are a few KB; many group attributes stay far below this. */
export const ACS_FORM_MAX_BYTES = 256 * 1024
export const RELAY_STATE_MAX = 1024

/** The HTTP-POST binding form, for the API docs and the shape check. */
export const AcsForm = T.Object(
  {
    SAMLResponse: T.String({ description: 'Base64 of the SAML Response XML', maxLength: ACS_FORM_MAX_BYTES }),
    RelayState: T.Optional(
      T.String({
        description: 'Where to go after sign-in (a path under the org)',
        maxLength: RELAY_STATE_MAX,
      }),
    ),
  },
  { additionalProperties: false, title: 'SamlAcsForm' },
)

export interface AcsInput {
  /** The decoded response XML. */
  xml: string
  relayState: string | null
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

function decodeFormValue(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '))
  } catch {
    throw new SamlRejection('form_invalid', 'the form has a malformed percent-encoding')
  }
}

/**
 * A SAML HTTP-POST form (the ACS's and the SLO endpoint's): the content type and size checked, each
 * field one of `names` at most once, values decoded. Anything else is `form_invalid`.
 */
export function readSamlPostForm(
  contentType: string | null,
  body: string,
  names: readonly string[],
): Map<string, string> {
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
    if (!names.includes(key) || fields.has(key))
      throw new SamlRejection('form_invalid', `unexpected or repeated form field "${key.slice(0, 40)}"`)
    fields.set(key, decodeFormValue(eq < 0 ? '' : pair.slice(eq + 1)))
  }
  return fields
}

/** A posted RelayState: an empty one (saml-idp and Auth0's samlp always post the field) is none. */
export function relayStateOf(fields: Map<string, string>): string | null {
  const relayState = fields.get('RelayState') || null
  if (relayState !== null && relayState.length > RELAY_STATE_MAX) {
    throw new SamlRejection('form_invalid', `RelayState longer than ${RELAY_STATE_MAX} characters`)
  }
  return relayState
}

/** Checks the content type and size, splits the form, decodes the response. */
export function readAcsForm(contentType: string | null, body: string): AcsInput {
  const fields = readSamlPostForm(contentType, body, ['SAMLResponse', 'RelayState'])
  const response = fields.get('SAMLResponse')
  if (!response) throw new SamlRejection('form_invalid', 'the form has no SAMLResponse')
  return { xml: decodeSamlResponse(response), relayState: relayStateOf(fields) }
}

/** The XML of a SAMLResponse value (base64, whitespace allowed); also what the checker reads. */
export function decodeSamlResponse(response: string): string {
  return decodeSamlMessage(response, 'SAMLResponse')
}

/** The XML of a posted SAML message (`param` names it in the refusal), bounded before decoding. */
export function decodeSamlMessage(value: string, param: string): string {
  if (value.length > ACS_FORM_MAX_BYTES) {
    throw new SamlRejection(
      'response_too_large',
      `${param} of ${value.length} characters exceeds ${ACS_FORM_MAX_BYTES}`,
    )
  }
  const compact = value.replace(/[\r\n\t ]+/g, '')
  if (compact.length === 0 || compact.length % 4 !== 0 || !BASE64.test(compact)) {
    throw new SamlRejection('response_not_base64', `${param} is not base64`)
  }
  const xml = Buffer.from(compact, 'base64').toString('utf8')
  const start = xml.replace(/^\uFEFF/, '').trimStart()
  if (!start.startsWith('<'))
    throw new SamlRejection('response_not_base64', `${param} does not decode to XML`)
  return xml
}
