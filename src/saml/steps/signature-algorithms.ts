/**
 * The signature and digest algorithms we accept, in one place, and the tables handed to xml-crypto
 * so that the library itself knows no other algorithm: what `signature.ts` checks in SignedInfo and
 * what the verifier can run are the same list. RSA-SHA256/384/512 with SHA-256/384/512 digests
 * (RSA-SHA384 is what several IdPs use; xml-crypto does not ship it), SHA-1 only when the org
 * turned it on. Verification only: nothing here signs. `signatureHash`/`digestHash` give the same
 * lists to our own pre-check (`signature-precheck.ts`).
 */
import { createHash, createVerify, type KeyLike } from 'node:crypto'
import { createOptionalCallbackFunction, type HashAlgorithm, type SignatureAlgorithm } from 'xml-crypto'

export type NodeHash = 'sha1' | 'sha256' | 'sha384' | 'sha512'

export const SIGNATURE_ALGORITHMS: Record<string, NodeHash> = {
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384': 'sha384',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': 'sha512',
}
export const SHA1_SIGNATURE = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1'

export const DIGEST_ALGORITHMS: Record<string, NodeHash> = {
  'http://www.w3.org/2001/04/xmlenc#sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#sha384': 'sha384',
  'http://www.w3.org/2001/04/xmlenc#sha512': 'sha512',
}
export const SHA1_DIGEST = 'http://www.w3.org/2000/09/xmldsig#sha1'

function rsaVerifier(uri: string, hash: NodeHash): new () => SignatureAlgorithm {
  return class implements SignatureAlgorithm {
    getSignature = createOptionalCallbackFunction((): string => {
      throw new Error('okta-bridge only verifies IdP signatures')
    })
    verifySignature = createOptionalCallbackFunction(
      (material: string, key: KeyLike, signatureValue: string): boolean =>
        createVerify(`RSA-${hash.toUpperCase()}`).update(material).verify(key, signatureValue, 'base64'),
    )
    getAlgorithmName = () => uri
  }
}

function digest(uri: string, hash: NodeHash): new () => HashAlgorithm {
  return class implements HashAlgorithm {
    getHash = (xml: string) => createHash(hash).update(xml, 'utf8').digest('base64')
    getAlgorithmName = () => uri
  }
}

function table<T>(
  algorithms: Record<string, NodeHash>,
  sha1: string,
  allowSha1: boolean,
  make: (uri: string, hash: NodeHash) => T,
): Record<string, T> {
  const entries = Object.entries(algorithms)
  if (allowSha1) entries.push([sha1, 'sha1'])
  return Object.fromEntries(entries.map(([uri, hash]) => [uri, make(uri, hash)]))
}

/** xml-crypto's `SignatureAlgorithms` for this policy: exactly the accepted ones. */
export function signatureTable(allowSha1: boolean): Record<string, new () => SignatureAlgorithm> {
  return table(SIGNATURE_ALGORITHMS, SHA1_SIGNATURE, allowSha1, rsaVerifier)
}

/** xml-crypto's `HashAlgorithms` for this policy: exactly the accepted ones. */
export function digestTable(allowSha1: boolean): Record<string, new () => HashAlgorithm> {
  return table(DIGEST_ALGORITHMS, SHA1_DIGEST, allowSha1, digest)
}

/** Node's hash name for an accepted SignatureMethod (SHA-1 only when allowed), else null. */
export function signatureHash(uri: string, allowSha1: boolean): NodeHash | null {
  if (Object.hasOwn(SIGNATURE_ALGORITHMS, uri)) return SIGNATURE_ALGORITHMS[uri] as NodeHash
  return allowSha1 && uri === SHA1_SIGNATURE ? 'sha1' : null
}

/** Node's hash name for an accepted DigestMethod (SHA-1 only when allowed), else null. */
export function digestHash(uri: string, allowSha1: boolean): NodeHash | null {
  if (Object.hasOwn(DIGEST_ALGORITHMS, uri)) return DIGEST_ALGORITHMS[uri] as NodeHash
  return allowSha1 && uri === SHA1_DIGEST ? 'sha1' : null
}
