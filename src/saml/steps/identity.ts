/**
 * Step: who signed in. The email comes from the NameID (EmailAddress or Unspecified format, as Okta
 * sends with "Application username: Email") or, when the org names one, from that attribute. The
 * whole text of the element is read, so a comment inside the NameID cannot truncate it. Name
 * attributes are read for just-in-time accounts.
 */
import { isValidEmail } from '../../orgs/service.ts'
import { SamlRejection } from '../rejection.ts'
import { attribute, children, NS, onlyChild, textOf, type XmlElement } from '../xml.ts'

const EMAIL_FORMATS = new Set([
  'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
])

export interface SignedInIdentity {
  email: string
  name: string
  nameId: string | null
}

function attributes(assertion: XmlElement): Map<string, string[]> {
  const found = new Map<string, string[]>()
  for (const statement of children(assertion, NS.assertion, 'AttributeStatement')) {
    for (const attr of children(statement, NS.assertion, 'Attribute')) {
      const name = attribute(attr, 'Name')
      if (!name) continue
      const values = children(attr, NS.assertion, 'AttributeValue').map(textOf)
      found.set(name, [...(found.get(name) ?? []), ...values])
    }
  }
  return found
}

export function readIdentity(assertion: XmlElement, emailAttribute: string | null): SignedInIdentity {
  const subject = onlyChild(assertion, NS.assertion, 'Subject')
  const nameIdElement = subject ? onlyChild(subject, NS.assertion, 'NameID') : null
  const nameId = nameIdElement ? textOf(nameIdElement) : null
  const attrs = attributes(assertion)
  let email: string | null
  if (emailAttribute) {
    email = attrs.get(emailAttribute)?.[0] ?? null
    if (!email) throw new SamlRejection('email_missing', `attribute "${emailAttribute}" is missing`)
  } else {
    const format = nameIdElement
      ? (attribute(nameIdElement, 'Format') ?? EMAIL_FORMATS.values().next().value)
      : null
    if (!nameIdElement || !format || !EMAIL_FORMATS.has(format)) {
      throw new SamlRejection(
        'email_missing',
        `NameID ${nameIdElement ? `format ${format}` : 'is missing'}; expected EmailAddress`,
      )
    }
    email = nameId
  }
  if (!email || !isValidEmail(email))
    throw new SamlRejection('email_missing', `"${(email ?? '').slice(0, 100)}" is not an email address`)
  const first = attrs.get('firstName')?.[0] ?? attrs.get('givenName')?.[0] ?? ''
  const last = attrs.get('lastName')?.[0] ?? attrs.get('familyName')?.[0] ?? ''
  const name = (attrs.get('displayName')?.[0] ?? `${first} ${last}`).trim()
  return { email, name, nameId }
}
