/**
 * Step: the assertion is not valid for longer than a sign-in needs. An IdP (or a stolen signing
 * key) can issue an assertion whose NotOnOrAfter lies years ahead; replayed from a browser history
 * or a log, it would stay usable all that time. The Assertion's IssueInstant (required by SAML
 * core §2.3.3) must not lie in the future beyond the clock skew, and no NotOnOrAfter (Conditions,
 * bearer confirmation) may be later than IssueInstant + the server's maximum validity
 * (`SAML_MAX_ASSERTION_VALIDITY`, default 24 h; Okta issues 5 minutes). Returns the IssueInstant,
 * which the sign-in's audit row keeps (the IdP's clock, for the clock-skew check of `doctor`).
 */
import { SamlRejection } from '../rejection.ts'
import { attribute, type XmlElement } from '../xml.ts'
import type { TimePolicy } from './conditions.ts'
import { parseInstant } from './time.ts'

export const DEFAULT_MAX_ASSERTION_VALIDITY_MS = 24 * 60 * 60_000

export function checkValidityWindow(
  assertion: XmlElement,
  notOnOrAfter: number[],
  policy: TimePolicy & { maxValidityMs: number },
): number {
  const issued = parseInstant(attribute(assertion, 'IssueInstant'), 'Assertion IssueInstant')
  if (issued === null) throw new SamlRejection('time_invalid', 'the Assertion has no IssueInstant')
  if (issued > policy.now + policy.skewMs) {
    throw new SamlRejection(
      'not_yet_valid',
      `assertion issued in the future, at ${new Date(issued).toISOString()}`,
    )
  }
  const latest = Math.max(...notOnOrAfter)
  if (latest - issued > policy.maxValidityMs) {
    throw new SamlRejection(
      'validity_too_long',
      `assertion valid until ${new Date(latest).toISOString()}, more than ${Math.round(policy.maxValidityMs / 60_000)} minutes after its IssueInstant ${new Date(issued).toISOString()}`,
    )
  }
  return issued
}
