/**
 * Step: the assertion's Issuer is exactly the configured SAML Issuer (Okta's "Identity Provider
 * Issuer"); a Response-level Issuer, when present, must be the same.
 */
import { SamlRejection } from '../rejection.ts'
import { attribute, NS, onlyChild, textOf, type XmlElement } from '../xml.ts'

const ENTITY_FORMAT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity'

/** The element's Issuer (entity format or none), null when it has none. */
export function issuerOf(element: XmlElement): string | null {
  const issuer = onlyChild(element, NS.assertion, 'Issuer')
  if (!issuer) return null
  const format = attribute(issuer, 'Format')
  if (format !== null && format !== ENTITY_FORMAT) {
    throw new SamlRejection('issuer_mismatch', `Issuer format ${format.slice(0, 100)} is not entity`)
  }
  return textOf(issuer)
}

export function checkIssuer(response: XmlElement, assertion: XmlElement, expected: string): void {
  const fromAssertion = issuerOf(assertion)
  if (fromAssertion !== expected) {
    throw new SamlRejection(
      'issuer_mismatch',
      `assertion issuer "${(fromAssertion ?? 'missing').slice(0, 200)}" is not the configured issuer`,
    )
  }
  const fromResponse = issuerOf(response)
  if (fromResponse !== null && fromResponse !== expected) {
    throw new SamlRejection(
      'issuer_mismatch',
      `response issuer "${fromResponse.slice(0, 200)}" is not the configured issuer`,
    )
  }
}
