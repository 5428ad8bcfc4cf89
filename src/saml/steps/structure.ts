/**
 * Step: the shape of the Response before any signature is trusted. The root is a SAML 2.0
 * Response; there is exactly one Assertion or EncryptedAssertion in the whole document and it is a
 * direct child of the root (no copies in Extensions, Advice, Object or nested Responses, which is
 * what signature-wrapping attacks need); IDs are unique; signatures sit only where an enveloped
 * signature of the Response or of that Assertion belongs.
 */
import { SamlRejection } from '../rejection.ts'
import { attribute, children, descendants, is, NS, onlyChild, type XmlElement } from '../xml.ts'

export interface ResponseShape {
  response: XmlElement
  /** The plain assertion, or null when it is encrypted. */
  assertion: XmlElement | null
  encryptedAssertion: XmlElement | null
  responseSignature: XmlElement | null
  assertionSignature: XmlElement | null
}

const ID_ATTRIBUTES = ['ID', 'Id', 'id']

export function checkStructure(root: XmlElement): ResponseShape {
  if (!is(root, NS.protocol, 'Response')) {
    throw new SamlRejection('not_a_response', `root element is {${root.namespaceURI}}${root.localName}`)
  }
  if (attribute(root, 'Version') !== '2.0')
    throw new SamlRejection('not_a_response', 'Response Version is not 2.0')
  if (!attribute(root, 'ID')) throw new SamlRejection('not_a_response', 'Response has no ID')

  const ids = new Set<string>()
  const assertions: XmlElement[] = []
  const signatures: XmlElement[] = []
  for (const element of descendants(root)) {
    for (const name of ID_ATTRIBUTES) {
      const value = attribute(element, name)
      if (value === null) continue
      if (ids.has(value))
        throw new SamlRejection('duplicate_id', `ID "${value.slice(0, 80)}" appears more than once`)
      ids.add(value)
    }
    // By local name, whatever the namespace: a look-alike in another namespace is refused too.
    if (element.localName === 'Assertion' || element.localName === 'EncryptedAssertion')
      assertions.push(element)
    if (element.localName === 'Signature') signatures.push(element)
  }
  if (assertions.length !== 1) {
    throw new SamlRejection('assertion_count', `expected exactly one assertion, found ${assertions.length}`)
  }
  const only = assertions[0] as XmlElement
  if (only.parentNode !== root || only.namespaceURI !== NS.assertion) {
    throw new SamlRejection('assertion_count', 'the assertion is not a direct child of the Response')
  }
  const assertion = only.localName === 'Assertion' ? only : null
  const encryptedAssertion = only.localName === 'EncryptedAssertion' ? only : null
  if (assertion && !attribute(assertion, 'ID'))
    throw new SamlRejection('not_a_response', 'Assertion has no ID')

  for (const signature of signatures) {
    const parent = signature.parentNode
    const allowed =
      signature.namespaceURI === NS.dsig && (parent === root || (assertion !== null && parent === assertion))
    if (!allowed) {
      throw new SamlRejection(
        'signature_misplaced',
        `a Signature sits inside ${(parent as XmlElement | null)?.localName ?? 'nothing'}`,
      )
    }
  }
  return {
    response: root,
    assertion,
    encryptedAssertion,
    responseSignature: onlyChild(root, NS.dsig, 'Signature'),
    assertionSignature: assertion ? onlyChild(assertion, NS.dsig, 'Signature') : null,
  }
}

/** The single Assertion child of a (verified) Response element. */
export function assertionChild(response: XmlElement): XmlElement {
  const found = children(response, NS.assertion, 'Assertion')
  if (found.length !== 1)
    throw new SamlRejection('assertion_count', `expected one Assertion, found ${found.length}`)
  return found[0] as XmlElement
}
