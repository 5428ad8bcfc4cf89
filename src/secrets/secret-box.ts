/**
 * Encryption of secrets the store must keep readable (an org's SP private key): AES-256-GCM under a
 * key derived with HKDF-SHA256 from the operator's SECRET_KEY. A sealed value is text,
 * `enc:v1:<base64 of nonce | ciphertext | tag>`, so it fits the TEXT column the clear value used;
 * the version lets a later format or key rotation coexist with it. The additional data binds each
 * ciphertext to its row (purpose + org id): copied into another org's row, or another column, it no
 * longer opens. The key check is an HMAC of a fixed label under a second derived key: stored once,
 * it tells a wrong key from a right one without decrypting anything.
 *
 * node:crypto, synchronous on purpose: the store's repositories are synchronous (see
 * docs/architecture.md); Web Crypto's subtle API is promise-only.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto'

export const SEALED_PREFIX = 'enc:v1:'
/** Shortest SECRET_KEY accepted: `openssl rand -base64 32` prints 44 characters. */
export const MIN_SECRET_KEY_LENGTH = 32

const NONCE_BYTES = 12
const TAG_BYTES = 16
const SALT = 'okta-bridge secrets'
const KEY_CHECK_LABEL = 'okta-bridge store key check'

/** Which row and column a secret belongs to; part of the ciphertext's additional data. */
export interface SecretBinding {
  purpose: string
  orgId: string
}

export interface SecretBox {
  seal(plain: string, binding: SecretBinding): string
  /** The clear text, or a SecretKeyError when the value is not one this key sealed for this row. */
  open(sealed: string, binding: SecretBinding): string
  /** `v1:<base64url HMAC>` — the same for the same key, on every machine. */
  keyCheck(): string
}

/** A sealed value that does not open, or a store whose key is missing or wrong. */
export class SecretKeyError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SecretKeyError'
  }
}

export function isSealed(value: string | null | undefined): boolean {
  return typeof value === 'string' && value.startsWith('enc:')
}

const derive = (material: string, info: string) =>
  Buffer.from(hkdfSync('sha256', Buffer.from(material, 'utf8'), SALT, info, 32))

const additionalData = (binding: SecretBinding) =>
  Buffer.from(`okta-bridge:v1:${binding.purpose}:${binding.orgId}`, 'utf8')

export function createSecretBox(secretKey: string): SecretBox {
  const material = secretKey.trim()
  if (material.length < MIN_SECRET_KEY_LENGTH) {
    throw new SecretKeyError(`the secret key must have at least ${MIN_SECRET_KEY_LENGTH} characters`)
  }
  const encryptionKey = derive(material, 'aes-256-gcm v1')
  const checkKey = derive(material, 'key check v1')
  const check = `v1:${createHmac('sha256', checkKey).update(KEY_CHECK_LABEL).digest('base64url')}`
  return {
    seal(plain, binding) {
      const nonce = randomBytes(NONCE_BYTES)
      const cipher = createCipheriv('aes-256-gcm', encryptionKey, nonce, { authTagLength: TAG_BYTES })
      cipher.setAAD(additionalData(binding))
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
      return `${SEALED_PREFIX}${Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64')}`
    },
    open(sealed, binding) {
      if (!sealed.startsWith(SEALED_PREFIX)) {
        throw new SecretKeyError(`a ${binding.purpose} is sealed in a format this version does not know`)
      }
      const bytes = Buffer.from(sealed.slice(SEALED_PREFIX.length), 'base64')
      if (bytes.length < NONCE_BYTES + TAG_BYTES)
        throw new SecretKeyError(`a ${binding.purpose} is truncated`)
      const decipher = createDecipheriv('aes-256-gcm', encryptionKey, bytes.subarray(0, NONCE_BYTES), {
        authTagLength: TAG_BYTES,
      })
      decipher.setAAD(additionalData(binding))
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES))
      try {
        const body = bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES)
        return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8')
      } catch {
        // GCM says only "unable to authenticate": a wrong key, a changed byte or another row's value.
        throw new SecretKeyError(`the ${binding.purpose} of org ${binding.orgId} does not open with this key`)
      }
    },
    keyCheck: () => check,
  }
}
