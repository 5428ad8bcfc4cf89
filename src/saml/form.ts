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

/** Checks the content type and size, splits the form, decodes the response. */
export function readAcsForm(contentType: string | null, body: string): AcsInput {
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
  let response: string | null = null
  let relayState: string | null = null
  for (const pair of body.split('&')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    const key = eq < 0 ? pair : pair.slice(0, eq)
    const value = eq < 0 ? '' : pair.slice(eq + 1)
    if (key === 'SAMLResponse' && response === null) response = decodeFormValue(value)
    else if (key === 'RelayState' && relayState === null) relayState = decodeFormValue(value)
    else throw new SamlRejection('form_invalid', `unexpected or repeated form field "${key.slice(0, 40)}"`)
  }
  if (!response) throw new SamlRejection('form_invalid', 'the form has no SAMLResponse')
  // saml-idp and Auth0's samlp always post the field, empty when there is none: that is no RelayState.
  if (relayState === '') relayState = null
  if (relayState !== null && relayState.length > RELAY_STATE_MAX) {
    throw new SamlRejection('form_invalid', `RelayState longer than ${RELAY_STATE_MAX} characters`)
  }
  return { xml: decodeSamlResponse(response), relayState }
}

/** The XML of a SAMLResponse value (base64, whitespace allowed); also what the checker reads. */
export function decodeSamlResponse(response: string): string {
  if (response.length > ACS_FORM_MAX_BYTES) {
    throw new SamlRejection(
      'response_too_large',
      `SAMLResponse of ${response.length} characters exceeds ${ACS_FORM_MAX_BYTES}`,
    )
  }
  const compact = response.replace(/[\r\n\t ]+/g, '')
  if (compact.length === 0 || compact.length % 4 !== 0 || !BASE64.test(compact)) {
    throw new SamlRejection('response_not_base64', 'SAMLResponse is not base64')
  }
  const xml = Buffer.from(compact, 'base64').toString('utf8')
  const start = xml.replace(/^\uFEFF/, '').trimStart()
  if (!start.startsWith('<'))
    throw new SamlRejection('response_not_base64', 'SAMLResponse does not decode to XML')
  return xml
}
