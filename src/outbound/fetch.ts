/**
 * Every request the server makes to a URL that someone typed in (webhook endpoints, IdP metadata)
 * goes through here, under one setting, ALLOW_PRIVATE_OUTBOUND:
 * - only http(s) URLs without credentials;
 * - unless the operator allowed private destinations, the host name is resolved and refused when
 *   any of its addresses is loopback, private, link-local (cloud metadata) or otherwise not public
 *   (`addresses.ts`). That check runs when the URL is saved and again before every request, and the
 *   request then goes to the address that was checked (the URL's host stays in `Host` and, for
 *   https, in SNI and the certificate check), so a DNS answer that changes in between (rebinding)
 *   cannot redirect it;
 * - redirects are never followed (a 3xx is the answer), a timeout bounds the whole exchange, and
 *   only the first `maxBodyBytes` of the answer are read.
 */
import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { privateAddressReason } from './addresses.ts'

export interface OutboundPolicy {
  /** ALLOW_PRIVATE_OUTBOUND: loopback/private/link-local destinations are allowed. */
  allowPrivate: boolean
}

/** A destination the policy refuses, or a URL that is not one we send to; `message` says why. */
export class OutboundRefused extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'OutboundRefused'
  }
}

export const MAX_OUTBOUND_URL = 2048

/** The URL if it is one we may send to at all (scheme, shape); no DNS. */
export function parseOutboundUrl(raw: string): URL {
  if (raw.length > MAX_OUTBOUND_URL)
    throw new OutboundRefused(`the URL is longer than ${MAX_OUTBOUND_URL} characters`)
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new OutboundRefused('not a valid absolute URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new OutboundRefused('only http and https URLs')
  if (url.username || url.password)
    throw new OutboundRefused('the URL must not carry a user name or password')
  if (!url.hostname) throw new OutboundRefused('the URL has no host')
  return url
}

const bare = (hostname: string) => hostname.replace(/^\[|\]$/g, '')

/**
 * The address to send to: the URL's host resolved and every address it has checked against the
 * policy (the first one is used). Null when the operator allows private destinations: then nothing
 * is checked and the request goes to the URL as it is.
 */
export async function resolveDestination(url: URL, policy: OutboundPolicy): Promise<string | null> {
  if (policy.allowPrivate) return null
  const host = bare(url.hostname)
  let addresses: string[]
  if (isIP(host)) addresses = [host]
  else {
    try {
      // IPv4 first, as most receivers listen on it (`localhost` also resolves to ::1).
      addresses = (await lookup(host, { all: true, order: 'ipv4first' })).map((entry) => entry.address)
    } catch {
      throw new OutboundRefused(`the host ${host} does not resolve`)
    }
  }
  for (const address of addresses) {
    const reason = privateAddressReason(address)
    if (reason !== null) {
      throw new OutboundRefused(
        `${host} resolves to ${address} (${reason}); private destinations need ALLOW_PRIVATE_OUTBOUND=1`,
      )
    }
  }
  const [first] = addresses
  if (first === undefined) throw new OutboundRefused(`the host ${host} does not resolve`)
  return first
}

/**
 * True when every address the URL's host has is not public (loopback, private, link-local…): where
 * plain http is allowed for IdP metadata, with ALLOW_PRIVATE_OUTBOUND.
 */
export async function isPrivateDestination(url: URL): Promise<boolean> {
  const host = bare(url.hostname)
  let addresses: string[]
  if (isIP(host)) addresses = [host]
  else {
    try {
      addresses = (await lookup(host, { all: true })).map((entry) => entry.address)
    } catch {
      return false
    }
  }
  return addresses.length > 0 && addresses.every((address) => privateAddressReason(address) !== null)
}

/** Checks a URL an admin saves: its shape, and (unless allowed) that it resolves to public addresses. */
export async function checkOutboundUrl(raw: string, policy: OutboundPolicy): Promise<URL> {
  const url = parseOutboundUrl(raw)
  await resolveDestination(url, policy)
  return url
}

export interface OutboundAnswer {
  status: number
  /** The first bytes of the body, decoded as UTF-8. */
  body: string
  /** True when the body was longer than what was kept. */
  truncated: boolean
}

async function readCapped(response: Response, max: number): Promise<{ body: string; truncated: boolean }> {
  const reader = response.body?.getReader()
  if (!reader) return { body: '', truncated: false }
  const chunks: Uint8Array[] = []
  let size = 0
  let truncated = false
  while (true) {
    const { done, value } = await reader.read()
    if (done) break
    chunks.push(value)
    size += value.byteLength
    if (size > max) {
      truncated = true
      await reader.cancel().catch(() => {})
      break
    }
  }
  const bytes = Buffer.concat(chunks).subarray(0, max)
  return { body: new TextDecoder().decode(bytes).replace(/\uFFFD+$/, ''), truncated }
}

/** Sends one request to the address the policy checked (the URL's host kept for Host and SNI). */
async function send(
  url: URL,
  init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string; timeoutMs: number },
  maxBodyBytes: number,
  policy: OutboundPolicy,
): Promise<OutboundAnswer> {
  const signal = AbortSignal.timeout(init.timeoutMs)
  const address = await resolveDestination(url, policy)
  const pinned = new URL(url)
  if (address !== null) pinned.hostname = isIP(address) === 6 ? `[${address}]` : address
  const response = await fetch(pinned, {
    method: init.method,
    headers: { ...init.headers, host: url.host },
    ...(init.body === undefined ? {} : { body: init.body }),
    redirect: 'manual',
    signal,
    ...(url.protocol === 'https:' ? { tls: { serverName: bare(url.hostname) } } : {}),
  })
  const { body, truncated } = await readCapped(response, maxBodyBytes)
  return { status: response.status, body, truncated }
}

/**
 * POSTs `body` to `raw` under the policy. Throws OutboundRefused for a refused destination; a
 * network failure or the timeout rejects like fetch does (an AbortError/TimeoutError for the latter).
 */
export function outboundPost(
  raw: string,
  request: { headers: Record<string, string>; body: string; timeoutMs: number; maxBodyBytes: number },
  policy: OutboundPolicy,
): Promise<OutboundAnswer> {
  const url = parseOutboundUrl(raw)
  return send(
    url,
    { method: 'POST', headers: request.headers, body: request.body, timeoutMs: request.timeoutMs },
    request.maxBodyBytes,
    policy,
  )
}

/**
 * GETs `raw` under the policy (IdP metadata): the same checks, pinning, timeout and bounded answer
 * as `outboundPost`; a redirect is the answer, never followed.
 */
export function outboundGet(
  raw: string,
  request: { headers: Record<string, string>; timeoutMs: number; maxBodyBytes: number },
  policy: OutboundPolicy,
): Promise<OutboundAnswer> {
  const url = parseOutboundUrl(raw)
  return send(
    url,
    { method: 'GET', headers: request.headers, timeoutMs: request.timeoutMs },
    request.maxBodyBytes,
    policy,
  )
}
