/**
 * Step: an enveloped XML signature, verified with the configured IdP certificate(s) only. KeyInfo
 * never supplies the key (an attacker's embedded certificate is ignored; at most it tells which of
 * the configured certificates to try first). The signature must reference exactly the element it
 * sits in, by that element's ID, with allow-listed algorithms (SHA-1 only when the admin enabled
 * it). The answer is the canonical XML that the digest covered: later steps read that, never the
 * original document, so nothing unsigned can be slipped in next to the signed part.
 */
import { SignedXml } from 'xml-crypto'
import { SamlRejection } from '../rejection.ts'
import { attribute, children, NS, onlyChild, serialize, textOf, type XmlElement } from '../xml.ts'

export interface SignaturePolicy {
  /** PEM certificates to accept: the current one and, during a rollover, the next one. */
  certificates: string[]
  allowSha1: boolean
}

const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#'
const C14N = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315'
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature'
const CANONICALIZATIONS = new Set([EXC_C14N, C14N])
const TRANSFORMS = new Set([ENVELOPED, EXC_C14N, C14N])
const STRONG_SIGNATURES = new Set([
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
])
const SHA1_SIGNATURE = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1'
const STRONG_DIGESTS = new Set([
  'http://www.w3.org/2001/04/xmlenc#sha256',
  'http://www.w3.org/2001/04/xmlenc#sha512',
])
const SHA1_DIGEST = 'http://www.w3.org/2000/09/xmldsig#sha1'

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

/** Checks what the signature claims to sign, and how, before any cryptography. */
export function checkSignedInfo(signature: XmlElement, signed: XmlElement, policy: SignaturePolicy): void {
  const signedInfo = onlyChild(signature, NS.dsig, 'SignedInfo')
  if (!signedInfo) throw new SamlRejection('signature_invalid', 'Signature has no SignedInfo')
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
  if (!transformList.includes(ENVELOPED) || transformList.some((t) => !TRANSFORMS.has(t))) {
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

/**
 * Verifies `signature` (a child of `signed`) over `documentXml`, the exact text `signed` was parsed
 * from. Returns the canonical XML of `signed` that the signature covers.
 */
export function verifySignature(
  signature: XmlElement,
  signed: XmlElement,
  documentXml: string,
  policy: SignaturePolicy,
): string {
  checkSignedInfo(signature, signed, policy)
  const signatureXml = serialize(signature)
  let lastError = 'no certificate configured'
  for (const certificate of inTryOrder(signature, policy.certificates)) {
    const verifier = new SignedXml({ publicCert: certificate, getCertFromKeyInfo: () => null })
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
