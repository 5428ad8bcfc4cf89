/** Step: the Response's top-level StatusCode is Success (anything else: the IdP refused the sign-in). */
import { SamlRejection } from '../rejection.ts'
import { attribute, NS, onlyChild, type XmlElement } from '../xml.ts'

const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success'

export function checkStatus(response: XmlElement): void {
  const status = onlyChild(response, NS.protocol, 'Status')
  const code = status ? onlyChild(status, NS.protocol, 'StatusCode') : null
  const value = code ? attribute(code, 'Value') : null
  if (value !== SUCCESS) {
    const inner = code ? onlyChild(code, NS.protocol, 'StatusCode') : null
    const detail = [value, inner ? attribute(inner, 'Value') : null].filter(Boolean).join(' / ')
    throw new SamlRejection('status_not_success', `status is ${detail.slice(0, 200) || 'missing'}`)
  }
}
