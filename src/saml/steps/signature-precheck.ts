/**
 * Our own cryptographic check of an enveloped signature, before xml-crypto sees the document.
 * xml-crypto resolves a reference with about seven XPath scans over the whole document before it
 * looks at SignatureValue at all (~20 µs per element under load), so a *forged* signature over a
 * 9,900-element document cost ~200 ms of the HTTP thread: free work for anyone who can post a form.
 *
 * 1. `verifySignatureValue`: SignedInfo alone (a handful of elements; more than 32 is refused) is
 *    canonicalized with the method it names and its SignatureValue verified against the configured
 *    certificates. A forged signature stops here, whatever the size of the rest of the document.
 * 2. `checkReferenceDigest`: the one Reference's digest is recomputed over the signed element
 *    (enveloped-signature + the named C14N: one linear pass, no XPath). A genuine SignedInfo taken
 *    from a real response and replayed over altered or padded content stops here.
 *
 * Both run only after `checkSignedInfo` accepted the algorithms, and both use xml-crypto's own
 * C14N classes (`c14n.ts`). Together they are the whole verification of an enveloped signature with
 * one same-document reference, the only kind `checkSignedInfo` lets through: the digest is taken
 * over the element we parsed and will read (no lookup by ID that a wrapped copy could win), and
 * SignatureValue over the SignedInfo that names that digest. xml-crypto's own check of the same
 * signature (`verifyWithXmlCrypto`) agrees on every signed response of the test suite
 * (test/saml/signature-cross-check.test.ts); it is not run per request, since it costs ~20 µs per
 * element of the document (60–100 ms for a genuine response naming 500+ groups).
 */
import { constants, createHash, createPublicKey, type KeyObject, timingSafeEqual, verify } from 'node:crypto'
import { SamlRejection } from '../rejection.ts'
import { attribute, children, descendants, NS, onlyChild, textOf, type XmlElement } from '../xml.ts'
import { C14N, canonicalize, canonicalizeEnveloped, ENVELOPED, EXC_C14N, prefixList } from './c14n.ts'
import { digestHash, signatureHash } from './signature-algorithms.ts'

/** A genuine SignedInfo has about ten elements; anything much bigger is not one. */
export const SIGNED_INFO_MAX_ELEMENTS = 32

const invalid = (signed: XmlElement, why: string) =>
  new SamlRejection(
    'signature_invalid',
    `${signed.localName} signature does not verify with the configured certificate: ${why}`,
  )

const base64 = (element: XmlElement | null): Buffer =>
  Buffer.from(element ? textOf(element).replace(/\s+/g, '') : '', 'base64')

function rsaKey(certificate: string): KeyObject | null {
  try {
    const key = createPublicKey(certificate)
    return key.asymmetricKeyType === 'rsa' ? key : null
  } catch {
    return null
  }
}

const required = (parent: XmlElement, localName: string): XmlElement => {
  const element = onlyChild(parent, NS.dsig, localName)
  if (!element) throw new SamlRejection('signature_invalid', `${parent.localName} has no ${localName}`)
  return element
}

/**
 * Verifies SignatureValue over the canonical SignedInfo with each of `certificates` (in that
 * order) and returns the one that verifies; refuses with `signature_invalid` when none does.
 */
export function verifySignatureValue(
  signature: XmlElement,
  signed: XmlElement,
  certificates: string[],
  allowSha1: boolean,
): string {
  const signedInfo = required(signature, 'SignedInfo')
  let count = 0
  for (const _ of descendants(signedInfo)) {
    if (++count > SIGNED_INFO_MAX_ELEMENTS)
      throw invalid(signed, `SignedInfo holds more than ${SIGNED_INFO_MAX_ELEMENTS} elements`)
  }
  const method = required(signedInfo, 'CanonicalizationMethod')
  const hash = signatureHash(attribute(required(signedInfo, 'SignatureMethod'), 'Algorithm') ?? '', allowSha1)
  if (!hash) throw new SamlRejection('signature_algorithm', 'the SignatureMethod is not accepted')
  const algorithm = attribute(method, 'Algorithm') ?? ''
  const canonical = Buffer.from(
    canonicalize(signedInfo, algorithm, algorithm === EXC_C14N ? prefixList(method) : []),
    'utf8',
  )
  const value = base64(onlyChild(signature, NS.dsig, 'SignatureValue'))
  for (const certificate of certificates) {
    const key = rsaKey(certificate)
    if (key && verify(hash, canonical, { key, padding: constants.RSA_PKCS1_PADDING }, value)) {
      return certificate
    }
  }
  throw invalid(signed, 'SignatureValue does not match SignedInfo')
}

/**
 * Recomputes the digest of the single Reference (already checked to point at `signed`, with the
 * transforms enveloped-signature and at most one C14N) and refuses when it differs. Answers the
 * canonical XML the digest covers: exactly what the IdP signed.
 */
export function checkReferenceDigest(signature: XmlElement, signed: XmlElement, allowSha1: boolean): string {
  const reference = required(required(signature, 'SignedInfo'), 'Reference')
  const transforms = onlyChild(reference, NS.dsig, 'Transforms')
  const last = transforms ? children(transforms, NS.dsig, 'Transform').at(-1) : undefined
  const lastAlgorithm = last ? attribute(last, 'Algorithm') : null
  // A node-set left after the enveloped transform is turned into octets with inclusive C14N.
  const algorithm = lastAlgorithm === ENVELOPED || lastAlgorithm === null ? C14N : lastAlgorithm
  const hash = digestHash(attribute(required(reference, 'DigestMethod'), 'Algorithm') ?? '', allowSha1)
  if (!hash) throw new SamlRejection('signature_algorithm', 'the DigestMethod is not accepted')
  const canonical = canonicalizeEnveloped(
    signed,
    signature,
    algorithm,
    algorithm === EXC_C14N ? prefixList(last) : [],
  )
  const computed = createHash(hash).update(canonical, 'utf8').digest()
  const expected = base64(required(reference, 'DigestValue'))
  if (computed.length !== expected.length || !timingSafeEqual(computed, expected)) {
    throw invalid(signed, 'the reference digest does not match the signed content')
  }
  return canonical
}
