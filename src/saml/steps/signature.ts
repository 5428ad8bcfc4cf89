/**
 * Step: an enveloped XML signature, verified with the configured IdP certificate(s) only. KeyInfo
 * never supplies the key (an attacker's embedded certificate is ignored; at most it tells which of
 * the configured certificates to try first). The signature must reference exactly the element it
 * sits in, by that element's ID, with allow-listed algorithms (SHA-1 only when the admin enabled
 * it). The answer is the canonical XML that the digest covered: later steps read that, never the
 * original document, so nothing unsigned can be slipped in next to the signed part.
 *
 * xml-crypto takes SignatureMethod and CanonicalizationMethod from the first element of that local
 * name anywhere in the Signature, so the algorithm we check must be the only candidate: the
 * Signature has the XMLDSig layout exactly (SignedInfo, SignatureValue, KeyInfo?, Object*; inside
 * SignedInfo nothing but its own children), no second element of those names hides anywhere in it,
 * and the library is handed only SignedInfo and SignatureValue, with algorithm tables that hold
 * nothing but the accepted algorithms.
 *
 * SignatureValue and the digest are checked by our own code (`signature-precheck.ts`) in one
 * linear pass: a forged signature, or a real one replayed over other content, is refused in about a
 * millisecond, and a genuine response with hundreds of groups costs a few milliseconds. xml-crypto,
 * whose reference check scans the whole document several times (~20 µs per element), is kept as an
 * independent second opinion (`verifySignatureWithXmlCrypto`) that the tests compare against.
 */
import { SignedXml } from 'xml-crypto'
import { SamlRejection } from '../rejection.ts'
import {
  attribute,
  children,
  descendants,
  NS,
  onlyChild,
  serialize,
  textOf,
  type XmlElement,
} from '../xml.ts'
import { C14N, ENVELOPED, EXC_C14N, standaloneXml } from './c14n.ts'
import {
  DIGEST_ALGORITHMS,
  digestTable,
  SHA1_DIGEST,
  SHA1_SIGNATURE,
  SIGNATURE_ALGORITHMS,
  signatureTable,
} from './signature-algorithms.ts'
import { checkReferenceDigest, verifySignatureValue } from './signature-precheck.ts'

export interface SignaturePolicy {
  /** PEM certificates to accept: the current one and, during a rollover, the next one. */
  certificates: string[]
  allowSha1: boolean
}

const CANONICALIZATIONS = new Set([EXC_C14N, C14N])
const TRANSFORMS = new Set([ENVELOPED, EXC_C14N, C14N])
const STRONG_SIGNATURES = new Set(Object.keys(SIGNATURE_ALGORITHMS))
const STRONG_DIGESTS = new Set(Object.keys(DIGEST_ALGORITHMS))
/** Names xml-crypto looks up with `.//` (first match anywhere in the Signature): one of each, only. */
const SINGLE_NAMES = ['SignedInfo', 'CanonicalizationMethod', 'SignatureMethod', 'SignatureValue']

function algorithmOf(parent: XmlElement, localName: string): string {
  const element = onlyChild(parent, NS.dsig, localName)
  const algorithm = element ? attribute(element, 'Algorithm') : null
  if (!algorithm) throw new SamlRejection('signature_algorithm', `${localName} has no Algorithm`)
  return algorithm
}

function allowed(
  algorithm: string,
  strong: Set<string>,
  sha1: string,
  policy: SignaturePolicy,
  what: string,
): void {
  if (strong.has(algorithm)) return
  if (algorithm === sha1) {
    if (policy.allowSha1) return
    throw new SamlRejection(
      'signature_algorithm',
      `${what} uses SHA-1, which this organization does not accept`,
    )
  }
  throw new SamlRejection(
    'signature_algorithm',
    `${what} algorithm ${algorithm.slice(0, 100)} is not accepted`,
  )
}

const nameOf = (element: XmlElement) =>
  element.namespaceURI === NS.dsig
    ? String(element.localName)
    : `{${element.namespaceURI}}${element.localName}`

/** The element children's names must match `layout` (a regular expression over space-joined names). */
function checkLayout(parent: XmlElement, layout: RegExp, what: string): XmlElement[] {
  const elements = children(parent)
  const names = elements.map(nameOf).join(' ')
  if (!layout.test(names)) {
    throw new SamlRejection(
      'signature_invalid',
      `${what} holds "${names.slice(0, 160)}", not the XMLDSig layout`,
    )
  }
  return elements
}

/** The XMLDSig layout, exactly, and no second element of a name xml-crypto looks up anywhere. */
function checkSignatureLayout(signature: XmlElement): XmlElement {
  const counts = new Map<string, number>()
  for (const element of descendants(signature)) {
    const name = String(element.localName)
    if (SINGLE_NAMES.includes(name)) counts.set(name, (counts.get(name) ?? 0) + 1)
  }
  for (const name of SINGLE_NAMES) {
    if ((counts.get(name) ?? 0) !== 1) {
      throw new SamlRejection(
        'signature_algorithm',
        `the Signature holds ${counts.get(name) ?? 0} ${name} elements, expected exactly one`,
      )
    }
  }
  const [signedInfo] = checkLayout(signature, /^SignedInfo SignatureValue( KeyInfo)?( Object)*$/, 'Signature')
  const [, , ...references] = checkLayout(
    signedInfo as XmlElement,
    /^CanonicalizationMethod SignatureMethod( Reference)+$/,
    'SignedInfo',
  )
  for (const reference of references) {
    const [first] = checkLayout(reference, /^(Transforms )?DigestMethod DigestValue$/, 'Reference')
    if (first && nameOf(first) === 'Transforms') checkLayout(first, /^Transform( Transform)*$/, 'Transforms')
  }
  return signedInfo as XmlElement
}

/** Checks what the signature claims to sign, and how, before any cryptography. */
export function checkSignedInfo(signature: XmlElement, signed: XmlElement, policy: SignaturePolicy): void {
  const signedInfo = checkSignatureLayout(signature)
  if (!CANONICALIZATIONS.has(algorithmOf(signedInfo, 'CanonicalizationMethod'))) {
    throw new SamlRejection(
      'signature_algorithm',
      'SignedInfo canonicalization is not exclusive or inclusive C14N',
    )
  }
  allowed(algorithmOf(signedInfo, 'SignatureMethod'), STRONG_SIGNATURES, SHA1_SIGNATURE, policy, 'signature')
  const references = children(signedInfo, NS.dsig, 'Reference')
  if (references.length !== 1) {
    throw new SamlRejection(
      'signature_reference',
      `signature has ${references.length} references, expected 1`,
    )
  }
  const reference = references[0] as XmlElement
  const id = attribute(signed, 'ID')
  if (!id || attribute(reference, 'URI') !== `#${id}`) {
    throw new SamlRejection(
      'signature_reference',
      `signature in ${signed.localName} references "${(attribute(reference, 'URI') ?? '').slice(0, 80)}", not its own ID`,
    )
  }
  const transforms = onlyChild(reference, NS.dsig, 'Transforms')
  const transformList = transforms
    ? children(transforms, NS.dsig, 'Transform').map((t) => attribute(t, 'Algorithm') ?? '')
    : []
  // Enveloped-signature first, then at most one C14N: what every IdP sends, and what the
  // pre-check recomputes.
  const [first, second, ...more] = transformList
  if (first !== ENVELOPED || (second !== undefined && !CANONICALIZATIONS.has(second)) || more.length > 0) {
    throw new SamlRejection('signature_reference', 'reference transforms must be enveloped-signature + C14N')
  }
  allowed(algorithmOf(reference, 'DigestMethod'), STRONG_DIGESTS, SHA1_DIGEST, policy, 'digest')
}

/** The configured certificates, the one KeyInfo names (if any) first: a hint, never a key source. */
function inTryOrder(signature: XmlElement, certificates: string[]): string[] {
  const keyInfo = onlyChild(signature, NS.dsig, 'KeyInfo')
  const data = keyInfo ? onlyChild(keyInfo, NS.dsig, 'X509Data') : null
  const embedded = data ? onlyChild(data, NS.dsig, 'X509Certificate') : null
  if (!embedded || certificates.length < 2) return certificates
  const body = textOf(embedded).replace(/\s+/g, '')
  const bare = (pem: string) => pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '')
  return [...certificates].sort((a, b) => Number(bare(b) === body) - Number(bare(a) === body))
}

/** A copy of the Signature with only SignedInfo and SignatureValue: all that is checked above. */
function checkedPart(signature: XmlElement): XmlElement {
  const copy = signature.cloneNode(true) as XmlElement
  for (const extra of children(copy).slice(2)) copy.removeChild(extra)
  return copy
}

/**
 * xml-crypto's full check of `signature` over `documentXml`, trying `certificates` in order;
 * returns the canonical XML the single reference covers. Scans all of `documentXml`, so it is only
 * given content whose SignatureValue and digest have already verified (the bench runs it alone to
 * show what that costs).
 */
export function verifyWithXmlCrypto(
  signature: XmlElement,
  signed: XmlElement,
  documentXml: string,
  certificates: string[],
  allowSha1: boolean,
): string {
  const signatureXml = serialize(checkedPart(signature))
  let lastError = 'no certificate configured'
  for (const certificate of certificates) {
    const verifier = new SignedXml({ publicCert: certificate, getCertFromKeyInfo: () => null })
    verifier.SignatureAlgorithms = signatureTable(allowSha1)
    verifier.HashAlgorithms = digestTable(allowSha1)
    verifier.CanonicalizationAlgorithms = Object.fromEntries(
      [...TRANSFORMS].map((uri) => [uri, verifier.CanonicalizationAlgorithms[uri]]),
    ) as typeof verifier.CanonicalizationAlgorithms
    try {
      verifier.loadSignature(signatureXml)
      if (verifier.checkSignature(documentXml)) {
        const covered = verifier.getSignedReferences()
        if (covered.length === 1) return covered[0] as string
        lastError = `signature covers ${covered.length} references`
      } else lastError = 'a reference digest does not match'
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error)
    }
  }
  throw new SamlRejection(
    'signature_invalid',
    `${signed.localName} signature does not verify with the configured certificate: ${lastError.slice(0, 200)}`,
  )
}

/**
 * Verifies `signature` (a child of `signed`) and returns the canonical XML of `signed` that the
 * signature covers.
 */
export function verifySignature(signature: XmlElement, signed: XmlElement, policy: SignaturePolicy): string {
  checkSignedInfo(signature, signed, policy)
  verifySignatureValue(signature, signed, inTryOrder(signature, policy.certificates), policy.allowSha1)
  return checkReferenceDigest(signature, signed, policy.allowSha1)
}

/**
 * The same verification by xml-crypto, as an independent second opinion for tests and the bench:
 * the document root over its own text, an Assertion inside a Response on its own.
 */
export function verifySignatureWithXmlCrypto(
  signature: XmlElement,
  signed: XmlElement,
  documentXml: string,
  policy: SignaturePolicy,
): string {
  checkSignedInfo(signature, signed, policy)
  const isRoot = signed.ownerDocument?.documentElement === signed
  return verifyWithXmlCrypto(
    signature,
    signed,
    isRoot ? documentXml : standaloneXml(signed),
    inTryOrder(signature, policy.certificates),
    policy.allowSha1,
  )
}
