/** Identifiers and secret hashing shared by every repository. */
import { timingSafeEqual } from 'node:crypto'

/**
 * Row ids are UUIDv7: time-ordered, so rows made together sit together in every index keyed by id
 * (an org's accounts are created in its directory's order, and removed in id order), which keeps
 * inserts and deletes on a few B-tree pages instead of one random page per row.
 */
export function newId(): string {
  return Bun.randomUUIDv7()
}

/** A random secret with a readable prefix, e.g. `okb_key_…`; 32 bytes of entropy, base64url. */
export function newSecret(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32))
  return `${prefix}${Buffer.from(bytes).toString('base64url')}`
}

/** Secrets are stored as SHA-256 hex: high-entropy tokens need no slow hash, only a one-way one. */
export function hashSecret(secret: string): string {
  return new Bun.CryptoHasher('sha256').update(secret).digest('hex')
}

/** Constant-time equality of two hex digests (or any equal-length strings). */
export function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}
