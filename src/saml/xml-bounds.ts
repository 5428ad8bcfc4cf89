/**
 * Bounds on the shape of a SAML document, checked on the raw text *before* the XML parser sees it.
 * A genuine Okta response is about 8 elements deep and has a few hundred nodes; a hostile one can
 * nest 27,000 elements in the 256 KiB form, and @xmldom/xmldom's parser gets slow on such input
 * (nested namespace declarations are quadratic: 8,000 levels took 880 ms). The scan is one linear
 * pass that jumps from `<` to `<`, so refusing a hostile document costs about as much as reading it.
 * `checkTreeBounds` repeats the depth and count check on the parsed tree, iteratively, in case the
 * parser ever reads the text differently from this scanner.
 */
import type { Element as XmlElement } from '@xmldom/xmldom'
import { SamlRejection } from './rejection.ts'

export interface XmlLimits {
  /** Element nesting, root = 1. */
  depth: number
  /** Elements, comments, processing instructions and CDATA sections. */
  nodes: number
  /** Attributes and namespace declarations on one element. */
  attributesPerElement: number
}

export const XML_LIMITS: XmlLimits = { depth: 64, nodes: 10_000, attributesPerElement: 64 }

const QUOTE = 34
const APOSTROPHE = 39
const GREATER = 62
const EQUALS = 61
const SLASH = 47
const BANG = 33
const QUESTION = 63

function tooComplex(what: string, detail: string): SamlRejection {
  return new SamlRejection('xml_too_complex', `the ${what} ${detail}`)
}

/** Index just past `terminator` at or after `from`; an unterminated construct is malformed. */
function after(text: string, terminator: string, from: number, what: string): number {
  const at = text.indexOf(terminator, from)
  if (at < 0) throw new SamlRejection('xml_malformed', `the ${what} has an unterminated ${terminator}`)
  return at + terminator.length
}

/** Scans a start tag from just after its `<`: where it ends, whether it closes itself, its attributes. */
function startTag(
  text: string,
  from: number,
  what: string,
): { end: number; selfClosing: boolean; attributes: number } {
  let attributes = 0
  let previous = 0
  for (let i = from; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code === QUOTE || code === APOSTROPHE) {
      i = after(text, code === QUOTE ? '"' : "'", i + 1, what) - 1
      previous = code
      continue
    }
    if (code === GREATER) return { end: i + 1, selfClosing: previous === SLASH, attributes }
    if (code === EQUALS) attributes++
    if (code > 32) previous = code
  }
  throw new SamlRejection('xml_malformed', `the ${what} has an unterminated start tag`)
}

/** Throws `xml_too_complex` when the raw markup exceeds the limits; linear in the text length. */
export function checkTextBounds(text: string, what: string, limits: XmlLimits = XML_LIMITS): void {
  let depth = 0
  let nodes = 0
  let at = text.indexOf('<')
  while (at >= 0) {
    const next = text.charCodeAt(at + 1)
    let end: number
    if (next === SLASH) {
      end = after(text, '>', at + 2, what)
      depth--
    } else {
      if (text.startsWith('<!--', at)) end = after(text, '-->', at + 4, what)
      else if (text.startsWith('<![CDATA[', at)) end = after(text, ']]>', at + 9, what)
      else if (next === QUESTION) end = after(text, '?>', at + 2, what)
      else if (next === BANG) end = after(text, '>', at + 2, what)
      else {
        const tag = startTag(text, at + 1, what)
        end = tag.end
        if (tag.attributes > limits.attributesPerElement) {
          throw tooComplex(what, `has an element with more than ${limits.attributesPerElement} attributes`)
        }
        if (!tag.selfClosing && ++depth > limits.depth) {
          throw tooComplex(what, `nests elements deeper than ${limits.depth} levels`)
        }
      }
      if (++nodes > limits.nodes) throw tooComplex(what, `has more than ${limits.nodes} nodes`)
    }
    at = text.indexOf('<', end)
  }
}

/** The same depth and element-count bounds on a parsed tree, walked without recursion. */
export function checkTreeBounds(root: XmlElement, what: string, limits: XmlLimits = XML_LIMITS): void {
  const stack: Array<{ element: XmlElement; depth: number }> = [{ element: root, depth: 1 }]
  let elements = 0
  while (stack.length > 0) {
    const { element, depth } = stack.pop() as { element: XmlElement; depth: number }
    if (depth > limits.depth) throw tooComplex(what, `nests elements deeper than ${limits.depth} levels`)
    if (++elements > limits.nodes) throw tooComplex(what, `has more than ${limits.nodes} nodes`)
    for (let node = element.firstChild; node; node = node.nextSibling) {
      if (node.nodeType === 1) stack.push({ element: node as XmlElement, depth: depth + 1 })
    }
  }
}
