/**
 * Step: the assertion is meant for this org. Every AudienceRestriction (there must be at least one)
 * names the org URL, which is the SP entity ID / Audience URI the admin typed into Okta.
 */
import { SamlRejection } from '../rejection.ts'
import { children, NS, onlyChild, textOf, type XmlElement } from '../xml.ts'

export function checkAudience(assertion: XmlElement, audience: string): void {
  const conditions = onlyChild(assertion, NS.assertion, 'Conditions')
  const restrictions = conditions ? children(conditions, NS.assertion, 'AudienceRestriction') : []
  if (restrictions.length === 0)
    throw new SamlRejection('audience_mismatch', 'the assertion has no AudienceRestriction')
  for (const restriction of restrictions) {
    const audiences = children(restriction, NS.assertion, 'Audience').map(textOf)
    if (!audiences.includes(audience)) {
      throw new SamlRejection(
        'audience_mismatch',
        `audience ${JSON.stringify(audiences).slice(0, 200)} does not include ${audience}`,
      )
    }
  }
}
