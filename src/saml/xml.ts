/**
 * Hardened XML reading for SAML. Every document an identity provider (or an attacker) sends goes
 * through `parseSamlXml`: a document type declaration or entity of any kind is refused *before* the
 * parser sees the text (no DTD means no XXE and no entity expansion), and any parser warning or
 * error stops parsing. Its size and nesting are bounded before parsing too (`xml-bounds.ts`), so no
 * document is deep enough to slow the parser or overflow a stack. The small helpers walk elements
 * by namespace + local name, never by prefix, so a renamed prefix cannot hide or forge an element,
 * and never recurse.
 */
import { DOMParser, type Element as XmlElement, type Node as XmlNode } from '@xmldom/xmldom'
import { SamlRejection } from './rejection.ts'
import { checkTextBounds, checkTreeBounds } from './xml-bounds.ts'

export type { XmlElement }

export const NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
  xenc: 'http://www.w3.org/2001/04/xmlenc#',
} as const

const ELEMENT_NODE = 1
const TEXT_NODE = 3
const CDATA_SECTION_NODE = 4

/** `<!DOCTYPE`, `<!ENTITY` and friends, in any letter case, anywhere in the text. */
const DECLARATION = /<!\s*(?:doctype|entity|element|attlist|notation)/i

/** Parses one SAML document; throws a `SamlRejection` for anything that is not plain, well-formed XML. */
export function parseSamlXml(text: string, what = 'response'): XmlElement {
  if (DECLARATION.test(text))
    throw new SamlRejection('xml_dtd_forbidden', `the ${what} contains a DTD or entity declaration`)
  checkTextBounds(text, what)
  let failure: string | null = null
  const options = {
    onError: (level: string, message: string) => {
      failure ??= `${level}: ${message}`
      throw new Error(message)
    },
  }
  // samlify and xml-crypto bundle xmldom 0.8, whose ambient typings shadow 0.9's `onError` option.
  const parser = new DOMParser(options as unknown as ConstructorParameters<typeof DOMParser>[0])
  let root: XmlElement | null = null
  try {
    root = parser.parseFromString(text, 'text/xml').documentElement
  } catch (error) {
    failure ??= error instanceof Error ? error.message : String(error)
  }
  if (failure !== null || root === null) {
    throw new SamlRejection(
      'xml_malformed',
      `the ${what} is not well-formed XML (${String(failure ?? 'no root element').slice(0, 200)})`,
    )
  }
  checkTreeBounds(root, what)
  return root
}

export function isElement(node: XmlNode | null | undefined): node is XmlElement {
  return node != null && node.nodeType === ELEMENT_NODE
}

export function is(element: XmlElement, ns: string, localName: string): boolean {
  return element.namespaceURI === ns && element.localName === localName
}

/** Direct element children, optionally only those with this namespace and local name. */
export function children(parent: XmlElement, ns?: string, localName?: string): XmlElement[] {
  const found: XmlElement[] = []
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (!isElement(node)) continue
    if (ns === undefined || (localName !== undefined && is(node, ns, localName))) found.push(node)
  }
  return found
}

/** The only child with this name, null when absent; more than one is a rejection. */
export function onlyChild(parent: XmlElement, ns: string, localName: string): XmlElement | null {
  const found = children(parent, ns, localName)
  if (found.length > 1)
    throw new SamlRejection('xml_unexpected_structure', `more than one ${localName} in ${parent.localName}`)
  return found[0] ?? null
}

/**
 * Every element below `root` (and root itself), in document order. An explicit stack, not
 * recursion: the cost is one step per element whatever the depth.
 */
export function* descendants(root: XmlElement): Generator<XmlElement> {
  const stack: XmlElement[] = [root]
  while (stack.length > 0) {
    const element = stack.pop() as XmlElement
    yield element
    // Children pushed last-first, so the first child is visited next (document order).
    for (let node = element.lastChild; node; node = node.previousSibling) {
      if (isElement(node)) stack.push(node)
    }
  }
}

/**
 * The element's text, from every text node (and CDATA) child joined. Comments are skipped but do
 * not cut the text short: `user@evil.example<!---->.attacker.example` reads as the whole value.
 */
export function textOf(element: XmlElement): string {
  let text = ''
  for (let node = element.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === TEXT_NODE || node.nodeType === CDATA_SECTION_NODE)
      text += (node as unknown as { data: string }).data
    else if (isElement(node))
      throw new SamlRejection('xml_unexpected_structure', `${element.localName} must hold text only`)
  }
  return text.trim()
}

export function attribute(element: XmlElement, name: string): string | null {
  return element.hasAttribute(name) ? element.getAttribute(name) : null
}

/** The serialized element (used to hand a decrypted or signed part to the next step). */
export function serialize(node: XmlNode): string {
  return node.toString()
}
