/**
 * Step: the assertion's validity window. Conditions must carry NotOnOrAfter (it also bounds how long
 * the replay cache keeps the ID); NotBefore, when present, must have passed. Both with the org's
 * clock skew allowance.
 */
import { SamlRejection } from '../rejection.ts'
import { attribute, NS, onlyChild, type XmlElement } from '../xml.ts'
import { parseInstant } from './time.ts'

export interface TimePolicy {
  now: number
  skewMs: number
}

/** Returns the instant the assertion stops being valid (NotOnOrAfter). */
export function checkConditionsTime(assertion: XmlElement, policy: TimePolicy): number {
  const conditions = onlyChild(assertion, NS.assertion, 'Conditions')
  if (!conditions) throw new SamlRejection('time_invalid', 'the assertion has no Conditions')
  const notBefore = parseInstant(attribute(conditions, 'NotBefore'), 'Conditions NotBefore')
  const notOnOrAfter = parseInstant(attribute(conditions, 'NotOnOrAfter'), 'Conditions NotOnOrAfter')
  if (notOnOrAfter === null) throw new SamlRejection('time_invalid', 'Conditions has no NotOnOrAfter')
  if (notBefore !== null && policy.now + policy.skewMs < notBefore) {
    throw new SamlRejection('not_yet_valid', `assertion valid only from ${new Date(notBefore).toISOString()}`)
  }
  if (policy.now - policy.skewMs >= notOnOrAfter) {
    throw new SamlRejection('expired', `assertion expired at ${new Date(notOnOrAfter).toISOString()}`)
  }
  return notOnOrAfter
}
