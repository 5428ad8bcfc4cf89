/**
 * SP-initiated sign-in: the AuthnRequest for the HTTP-Redirect binding (deflated, base64, in the
 * `SAMLRequest` query parameter of Okta's SSO URL). Unsigned, as Okta accepts by default; the
 * request's ID is what the response's InResponseTo must echo.
 */
import { deflateRawSync } from 'node:zlib'

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** An xs:ID: must not start with a digit, hence the prefix. 128 bits of randomness. */
export function newRequestId(): string {
  return `_${Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('hex')}`
}

export interface AuthnRequestInput {
  id: string
  ssoUrl: string
  acsUrl: string
  /** SP entity ID (the org URL). */
  issuer: string
  now: number
}

export function authnRequestXml(input: AuthnRequestInput): string {
  return `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${input.id}" Version="2.0" IssueInstant="${new Date(input.now).toISOString()}" Destination="${escapeXml(input.ssoUrl)}" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" AssertionConsumerServiceURL="${escapeXml(input.acsUrl)}"><saml:Issuer>${escapeXml(input.issuer)}</saml:Issuer><samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" AllowCreate="false"/></samlp:AuthnRequest>`
}

/** Okta's SSO URL with the deflated, base64-encoded request appended (HTTP-Redirect binding). */
export function redirectUrl(input: AuthnRequestInput): string {
  const encoded = deflateRawSync(Buffer.from(authnRequestXml(input), 'utf8')).toString('base64')
  const url = new URL(input.ssoUrl)
  url.searchParams.append('SAMLRequest', encoded)
  return url.toString()
}
