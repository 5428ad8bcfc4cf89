/** PKCE (RFC 7636): a random code verifier and its S256 challenge, plus the random `state`. */

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url')
}

/** 32 random bytes → 43 characters, inside RFC 7636's 43–128 range. */
export function newCodeVerifier(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)))
}

export function codeChallenge(verifier: string): string {
  return base64url(new Bun.CryptoHasher('sha256').update(verifier).digest())
}

export function newState(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)))
}
