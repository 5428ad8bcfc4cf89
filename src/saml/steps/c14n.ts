/**
 * Canonical XML of one element of a document we already parsed, with xml-crypto's own C14N
 * classes (so our bytes are the library's bytes), without letting the library scan the document:
 * the namespaces an element inherits come from walking up its ancestors (at most 64 levels, see
 * `xml-bounds.ts`), never from an XPath over the whole tree. Used by `signature-precheck.ts` to
 * check SignatureValue and DigestValue ourselves before xml-crypto runs, and to hand xml-crypto a
 * standalone copy of the signed element instead of a document full of unsigned content.
 */
import { C14nCanonicalization, ExclusiveCanonicalization, type NamespacePrefix } from 'xml-crypto'
import { SamlRejection } from '../rejection.ts'
import { children, isElement, NS, serialize, type XmlElement } from '../xml.ts'

export const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#'
export const C14N = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315'
export const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature'

const XMLNS = 'http://www.w3.org/2000/xmlns/'
/** What xml-crypto assumes for an unbound `ds:` prefix (SignedXml.defaultNsForPrefix). */
const DEFAULT_NS_FOR_PREFIX = { ds: NS.dsig }

const declaredPrefix = (name: string): string | null =>
  name === 'xmlns' ? '' : name.startsWith('xmlns:') ? name.slice(6) : null

/**
 * The namespace declarations `element` inherits from its ancestors (nearest wins), minus those it
 * declares itself and its own prefix: what xml-crypto's `findAncestorNs` computes, by a walk up.
 */
export function inheritedNamespaces(element: XmlElement): NamespacePrefix[] {
  const seen = new Set<string>([element.prefix ?? ''])
  for (const attr of Array.from(element.attributes)) {
    const prefix = declaredPrefix(attr.name)
    if (prefix !== null) seen.add(prefix)
  }
  const found: NamespacePrefix[] = []
  for (let node = element.parentNode; isElement(node); node = node.parentNode) {
    for (const attr of Array.from(node.attributes)) {
      const prefix = declaredPrefix(attr.name)
      if (prefix === null || seen.has(prefix)) continue
      seen.add(prefix)
      // An undeclaration (xmlns="") only shadows outer bindings; it is no namespace of its own.
      if (attr.value !== '') found.push({ prefix, namespaceURI: attr.value })
    }
  }
  return found
}

/** The PrefixList of an exclusive-C14N InclusiveNamespaces child of `method`, if any. */
export function prefixList(method: XmlElement | null | undefined): string[] {
  const list = method ? children(method, EXC_C14N, 'InclusiveNamespaces') : []
  if (list.length > 1)
    throw new SamlRejection('signature_invalid', 'more than one InclusiveNamespaces in a C14N method')
  return (list[0]?.getAttribute('PrefixList') ?? '').split(/\s+/).filter((p) => p.length > 0)
}

/**
 * C14N (exclusive or inclusive, never with comments) of `element` as it sits in its document.
 * Exclusive C14N with a PrefixList makes xml-crypto declare the listed inherited namespaces on the
 * element itself; we take those declarations off again, so the document is left as it was.
 */
export function canonicalize(element: XmlElement, algorithm: string, prefixes: string[]): string {
  // xml-crypto is typed against the browser DOM; it only uses what xmldom's nodes have.
  const node = element as unknown as Element
  const ancestorNamespaces = inheritedNamespaces(element)
  const options = { ancestorNamespaces, defaultNsForPrefix: DEFAULT_NS_FOR_PREFIX }
  if (algorithm === C14N) return new C14nCanonicalization().process(node, options)
  if (algorithm !== EXC_C14N)
    throw new SamlRejection(
      'signature_algorithm',
      `canonicalization ${algorithm.slice(0, 100)} is not accepted`,
    )
  const before = new Set(Array.from(element.attributes, (attr) => attr.name))
  try {
    return new ExclusiveCanonicalization().process(node, {
      ...options,
      inclusiveNamespacesPrefixList: prefixes,
    })
  } finally {
    for (const attr of Array.from(element.attributes)) {
      if (!before.has(attr.name)) element.removeAttributeNode(attr)
    }
  }
}

/**
 * The enveloped-signature transform then C14N, in place: `signature` (a direct child of `signed`)
 * is taken out for the canonicalization and put back exactly where it was.
 */
export function canonicalizeEnveloped(
  signed: XmlElement,
  signature: XmlElement,
  algorithm: string,
  prefixes: string[],
): string {
  if (signature.parentNode !== signed)
    throw new SamlRejection('signature_misplaced', 'the Signature is not a child of the signed element')
  const next = signature.nextSibling
  signed.removeChild(signature)
  try {
    return canonicalize(signed, algorithm, prefixes)
  } finally {
    signed.insertBefore(signature, next)
  }
}

/**
 * `element` as a document of its own, carrying the namespaces it inherits, so C14N of it (and of
 * anything inside it) gives the same bytes as in the original document. The declarations are put
 * on the element only while it is serialized (a deep copy would cost more than the rest together).
 */
export function standaloneXml(element: XmlElement): string {
  const added = inheritedNamespaces(element).map(({ prefix, namespaceURI }) => {
    const name = prefix === '' ? 'xmlns' : `xmlns:${prefix}`
    element.setAttributeNS(XMLNS, name, namespaceURI)
    return name
  })
  try {
    return serialize(element)
  } finally {
    for (const name of added) element.removeAttribute(name)
  }
}
