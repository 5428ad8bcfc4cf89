/**
 * Step: the SAML subject a sign-in opens a session for, kept with the session so that single logout
 * can find it again: the NameID as sent (whole text, exact), its Format, and the AuthnStatement's
 * SessionIndex (the IdP's name for this session). Read from the signed assertion only. Null when
 * there is no NameID (the email then came from an attribute and logout by NameID cannot match) or
 * when a value is longer than any IdP sends.
 */
import type { SamlSubject } from '../../sessions/service.ts'
import { attribute, children, NS, onlyChild, textOf, type XmlElement } from '../xml.ts'

const VALUE_MAX = 1024

export function readSessionSubject(assertion: XmlElement): SamlSubject | null {
  const subject = onlyChild(assertion, NS.assertion, 'Subject')
  const nameIdElement = subject ? onlyChild(subject, NS.assertion, 'NameID') : null
  if (!nameIdElement) return null
  const nameId = textOf(nameIdElement)
  const nameIdFormat = attribute(nameIdElement, 'Format')
  const statement = children(assertion, NS.assertion, 'AuthnStatement')[0]
  const sessionIndex = statement ? attribute(statement, 'SessionIndex') : null
  if (!nameId || [nameId, nameIdFormat, sessionIndex].some((value) => (value?.length ?? 0) > VALUE_MAX))
    return null
  return { nameId, nameIdFormat, sessionIndex }
}
