/**
 * The SAML HTTP-Redirect binding (SAML 2.0 Bindings §3.4): a message deflated, base64-encoded and
 * carried in the query as `SAMLRequest` or `SAMLResponse`, plus `RelayState`; when signed, the
 * signature covers the exact query bytes `SAMLRequest=…&RelayState=…&SigAlg=…` (RelayState only
 * when present) and travels as `SigAlg` + `Signature`.
 *
 * Outgoing messages (AuthnRequests, LogoutRequests, LogoutResponses) are signed with RSA-SHA256 over
 * the very string that goes into the URL, each value encoded with `encodeURIComponent` (what Okta
 * and Node's querystring also produce, so a verifier that re-encodes gets the same bytes). Incoming
 * signatures are verified over the raw bytes of the query as received, never over a re-encoding,
 * with the configured IdP certificate(s) only. Everything is bounded before work: the query length,
 * the encoded message (the ACS's 256 KiB) and the inflated XML (the same 256 KiB; a deflate bomb
 * stops there).
 */
import { createSign, createVerify, type KeyObject, X509Certificate } from 'node:crypto'
import { deflateRawSync, inflateRawSync } from 'node:zlib'
import { ACS_FORM_MAX_BYTES, RELAY_STATE_MAX } from './form.ts'
import { SamlRejection } from './rejection.ts'

export type MessageParam = 'SAMLRequest' | 'SAMLResponse'

export const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256'
const RSA_SHA1 = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1'
const VERIFIERS: Record<string, string> = {
  [RSA_SHA256]: 'RSA-SHA256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384': 'RSA-SHA384',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': 'RSA-SHA512',
}

/** Longest query accepted at all: the message, RelayState and a signature, with room to spare. */
export const REDIRECT_QUERY_MAX = ACS_FORM_MAX_BYTES + 4 * RELAY_STATE_MAX + 4096
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

export interface OutgoingMessage {
  param: MessageParam
  xml: string
  relayState?: string | null
  /** PEM of the SP private key; without one the message goes unsigned. */
  signingKey?: string | null
}

/**
 * The query string (no leading `?`) carrying `message`, signed when a key is given: the Signature
 * covers exactly the bytes before `&Signature=`.
 */
export function redirectQuery(message: OutgoingMessage): string {
  const encoded = deflateRawSync(Buffer.from(message.xml, 'utf8')).toString('base64')
  let query = `${message.param}=${encodeURIComponent(encoded)}`
  if (message.relayState) query += `&RelayState=${encodeURIComponent(message.relayState)}`
  if (!message.signingKey) return query
  query += `&SigAlg=${encodeURIComponent(RSA_SHA256)}`
  const signature = createSign('RSA-SHA256').update(query, 'utf8').sign(message.signingKey, 'base64')
  return `${query}&Signature=${encodeURIComponent(signature)}`
}

/** `endpoint` with the binding's query appended (after any query the endpoint already has). */
export function redirectTo(endpoint: string, message: OutgoingMessage): string {
  const url = new URL(endpoint)
  url.hash = ''
  const base = url.toString()
  return `${base}${url.search ? '&' : '?'}${redirectQuery(message)}`
}

export interface IncomingRedirect {
  param: MessageParam
  /** The inflated message. */
  xml: string
  relayState: string | null
  /** The signature when the query carries one, with the exact bytes it must cover. */
  signature: { algorithm: string; value: Buffer; signedBytes: string } | null
}

const FIELDS = new Set(['SAMLRequest', 'SAMLResponse', 'RelayState', 'SigAlg', 'Signature'])

function decodeComponent(raw: string, plusIsSpace: boolean): string {
  try {
    return decodeURIComponent(plusIsSpace ? raw.replace(/\+/g, ' ') : raw)
  } catch {
    throw new SamlRejection('form_invalid', 'the query has a malformed percent-encoding')
  }
}

function base64Bytes(text: string, what: string): Buffer {
  const compact = text.replace(/[\r\n\t ]+/g, '')
  if (compact.length === 0 || compact.length % 4 !== 0 || !BASE64.test(compact)) {
    throw new SamlRejection('response_not_base64', `${what} is not base64`)
  }
  return Buffer.from(compact, 'base64')
}

/** Inflates a Redirect-binding message, at most ACS_FORM_MAX_BYTES of XML. */
export function inflateMessage(bytes: Buffer): string {
  let xml: Buffer
  try {
    xml = inflateRawSync(bytes, { maxOutputLength: ACS_FORM_MAX_BYTES })
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new SamlRejection('response_too_large', `the message inflates past ${ACS_FORM_MAX_BYTES} bytes`)
    }
    throw new SamlRejection('response_not_base64', 'the message is not DEFLATE-compressed')
  }
  const text = xml.toString('utf8')
  if (
    !text
      .replace(/^\uFEFF/, '')
      .trimStart()
      .startsWith('<')
  )
    throw new SamlRejection('response_not_base64', 'the message does not inflate to XML')
  return text
}

/** Splits and decodes a received query (raw, without `?`); the signature is checked separately. */
export function readRedirectQuery(rawQuery: string): IncomingRedirect {
  if (rawQuery.length > REDIRECT_QUERY_MAX) {
    throw new SamlRejection(
      'response_too_large',
      `query of ${rawQuery.length} bytes exceeds ${REDIRECT_QUERY_MAX}`,
    )
  }
  const raw = new Map<string, string>()
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    const key = eq < 0 ? pair : pair.slice(0, eq)
    if (!FIELDS.has(key) || raw.has(key))
      throw new SamlRejection('form_invalid', `unexpected or repeated query field "${key.slice(0, 40)}"`)
    raw.set(key, eq < 0 ? '' : pair.slice(eq + 1))
  }
  const param: MessageParam | null = raw.has('SAMLRequest')
    ? raw.has('SAMLResponse')
      ? null
      : 'SAMLRequest'
    : raw.has('SAMLResponse')
      ? 'SAMLResponse'
      : null
  if (!param)
    throw new SamlRejection('form_invalid', 'the query needs exactly one of SAMLRequest or SAMLResponse')
  const message = raw.get(param) as string
  const relayRaw = raw.get('RelayState')
  const relayState = relayRaw === undefined || relayRaw === '' ? null : decodeComponent(relayRaw, true)
  if (relayState !== null && relayState.length > RELAY_STATE_MAX)
    throw new SamlRejection('form_invalid', `RelayState longer than ${RELAY_STATE_MAX} characters`)
  const xml = inflateMessage(base64Bytes(decodeComponent(message, false), param))
  const sigAlg = raw.get('SigAlg')
  const signatureValue = raw.get('Signature')
  if ((sigAlg === undefined) !== (signatureValue === undefined))
    throw new SamlRejection('signature_missing', 'the query has SigAlg or Signature, not both')
  if (sigAlg === undefined || signatureValue === undefined) return { param, xml, relayState, signature: null }
  const signedBytes = [
    `${param}=${message}`,
    ...(relayRaw === undefined ? [] : [`RelayState=${relayRaw}`]),
    `SigAlg=${sigAlg}`,
  ].join('&')
  return {
    param,
    xml,
    relayState,
    signature: {
      algorithm: decodeComponent(sigAlg, true),
      value: base64Bytes(decodeComponent(signatureValue, false), 'Signature'),
      signedBytes,
    },
  }
}

function publicKeyOf(pem: string): KeyObject | null {
  try {
    return new X509Certificate(pem).publicKey
  } catch {
    return null
  }
}

/**
 * Verifies a Redirect-binding signature with the configured certificates (current, then next);
 * refuses a missing one, SHA-1 unless allowed, and anything else that does not verify.
 */
export function verifyRedirectSignature(
  message: IncomingRedirect,
  certificates: string[],
  allowSha1: boolean,
): void {
  const signature = message.signature
  if (!signature)
    throw new SamlRejection('signature_missing', `the ${message.param} is not signed (no Signature)`)
  const algorithm =
    VERIFIERS[signature.algorithm] ?? (allowSha1 && signature.algorithm === RSA_SHA1 ? 'RSA-SHA1' : null)
  if (!algorithm) {
    throw new SamlRejection(
      'signature_algorithm',
      `SigAlg ${signature.algorithm.slice(0, 100)} is not accepted${signature.algorithm === RSA_SHA1 ? ' (SHA-1)' : ''}`,
    )
  }
  for (const pem of certificates) {
    const key = publicKeyOf(pem)
    if (key && createVerify(algorithm).update(signature.signedBytes, 'utf8').verify(key, signature.value))
      return
  }
  throw new SamlRejection(
    'signature_invalid',
    `the ${message.param} signature does not verify with the configured certificate`,
  )
}
