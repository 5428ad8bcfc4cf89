/**
 * Step: the bearer SubjectConfirmation. At least one `bearer` confirmation whose data names this
 * ACS as Recipient and is still within its NotOnOrAfter (required) and NotBefore (if any). Its
 * InResponseTo, if any, is handed on to the request-binding step.
 */
import { SamlRejection } from '../rejection.ts'
import { attribute, children, NS, onlyChild, type XmlElement } from '../xml.ts'
import type { TimePolicy } from './conditions.ts'
import { parseInstant } from './time.ts'

const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer'

export interface BearerConfirmation {
  inResponseTo: string | null
  notOnOrAfter: number
}

export function checkBearerConfirmation(
  assertion: XmlElement,
  acsUrl: string,
  policy: TimePolicy,
): BearerConfirmation {
  const subject = onlyChild(assertion, NS.assertion, 'Subject')
  const confirmations = subject ? children(subject, NS.assertion, 'SubjectConfirmation') : []
  const bearers = confirmations.filter((c) => attribute(c, 'Method') === BEARER)
  if (bearers.length === 0)
    throw new SamlRejection('subject_confirmation_invalid', 'no bearer SubjectConfirmation')
  // The most telling failure is reported when none of the bearer confirmations is acceptable.
  let failure: SamlRejection | null = null
  for (const bearer of bearers) {
    const data = onlyChild(bearer, NS.assertion, 'SubjectConfirmationData')
    if (!data) {
      failure ??= new SamlRejection(
        'subject_confirmation_invalid',
        'bearer confirmation without SubjectConfirmationData',
      )
      continue
    }
    const recipient = attribute(data, 'Recipient')
    if (recipient !== acsUrl) {
      failure = new SamlRejection(
        'recipient_mismatch',
        `Recipient "${(recipient ?? 'missing').slice(0, 200)}" is not ${acsUrl}`,
      )
      continue
    }
    const notOnOrAfter = parseInstant(attribute(data, 'NotOnOrAfter'), 'SubjectConfirmationData NotOnOrAfter')
    const notBefore = parseInstant(attribute(data, 'NotBefore'), 'SubjectConfirmationData NotBefore')
    if (notOnOrAfter === null) {
      failure = new SamlRejection('subject_confirmation_invalid', 'bearer confirmation without NotOnOrAfter')
      continue
    }
    if (policy.now - policy.skewMs >= notOnOrAfter) {
      failure = new SamlRejection(
        'expired',
        `bearer confirmation expired at ${new Date(notOnOrAfter).toISOString()}`,
      )
      continue
    }
    if (notBefore !== null && policy.now + policy.skewMs < notBefore) {
      failure = new SamlRejection(
        'not_yet_valid',
        `bearer confirmation valid only from ${new Date(notBefore).toISOString()}`,
      )
      continue
    }
    return { inResponseTo: attribute(data, 'InResponseTo'), notOnOrAfter }
  }
  throw failure as SamlRejection
}
