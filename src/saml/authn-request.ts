/**
 * SP-initiated sign-in: the AuthnRequest for the HTTP-Redirect binding (deflated, base64, in the
 * `SAMLRequest` query parameter of Okta's SSO URL). Unsigned, as Okta accepts by default, or — with
 * the `signAuthnRequests` setting — signed with the SP key over the query (`SigAlg`/`Signature`,
 * RSA-SHA256, see `redirect-binding.ts`). The request's ID is what the response's InResponseTo must
 * echo.
 */
import { redirectTo } from './redirect-binding.ts'

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

/**
 * Okta's SSO URL with the deflated, base64-encoded request appended (HTTP-Redirect binding), signed
 * when the SP private key is given.
 */
export function redirectUrl(input: AuthnRequestInput, signingKey: string | null = null): string {
  return redirectTo(input.ssoUrl, { param: 'SAMLRequest', xml: authnRequestXml(input), signingKey })
}
