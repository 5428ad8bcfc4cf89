/**
 * Who sent a request, for per-client throttles and the audit log, and which X-Forwarded-* values to
 * believe. The server's fetch handler records the socket's peer address (`rememberPeerAddress`).
 * Forwarded headers count only as far as TRUST_PROXY says: every proxy appends to the right, so only
 * the entries our own proxies appended are facts; anything further left was written by the client.
 * - `{ hops: n }`: n proxies stand in front; the client is the n-th X-Forwarded-For entry from the
 *   right (one proxy: the rightmost). `{ hops: 0 }` never reads a header.
 * - `{ networks }`: headers count only when the peer is in one of the listed proxy networks; the
 *   client is then the rightmost entry that is not itself such a proxy.
 * X-Forwarded-Host/-Proto follow the same decision and use the rightmost value (the trusted proxy's);
 * so does X-Request-Id (src/http/request-id.ts).
 */
import { isIP } from 'node:net'
import type { Config } from '../config/index.ts'

export type ProxyTrust = Config['trustProxy']

const peers = new WeakMap<Request, string>()

export function rememberPeerAddress(request: Request, address: string): void {
  peers.set(request, normaliseAddress(address))
}

export function clientAddress(request: Request, trust: ProxyTrust): string {
  const peer = peers.get(request)
  if (!headersTrusted(peer, trust)) return peer ?? 'unknown'
  const entries = listOf(request.headers.get('x-forwarded-for')).map(normaliseAddress)
  if (entries.length === 0) return peer ?? 'unknown'
  if ('hops' in trust) return entries[Math.max(0, entries.length - trust.hops)] as string
  const networks = compiled(trust.networks)
  for (let i = entries.length - 1; i > 0; i--) {
    const entry = entries[i] as string
    if (!inNetworks(entry, networks)) return entry
  }
  // Every entry is one of our proxies: the leftmost is as close to the client as we can tell.
  return entries[0] as string
}

/** The trusted value of X-Forwarded-Host or -Proto: the one our proxy set (the rightmost). */
export function forwardedValue(
  request: Request,
  header: 'x-forwarded-host' | 'x-forwarded-proto',
  trust: ProxyTrust,
): string | undefined {
  if (!headersTrusted(peers.get(request), trust)) return undefined
  return listOf(request.headers.get(header)).at(-1)
}

/** Whether this request came through a trusted proxy, whose own headers (X-Request-Id) count. */
export function fromTrustedProxy(request: Request, trust: ProxyTrust): boolean {
  return headersTrusted(peers.get(request), trust)
}

function headersTrusted(peer: string | undefined, trust: ProxyTrust): boolean {
  if ('hops' in trust) return trust.hops > 0
  return peer !== undefined && inNetworks(peer, compiled(trust.networks))
}

function listOf(header: string | null): string[] {
  if (!header) return []
  return header
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
}

/**
 * One address as a plain string: without quotes, brackets or a port, IPv4-mapped IPv6 as IPv4, at
 * most 100 characters (it ends up in throttle keys and audit rows). Anything that is not an IP
 * address (`unknown`, an obfuscated RFC 7239 name) is kept, cut to length: it is still a key.
 */
function normaliseAddress(raw: string): string {
  let value = raw.trim().replace(/^"|"$/g, '')
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value)
  if (bracketed) value = bracketed[1] as string
  else if (/^[\d.]+:\d+$/.test(value)) value = value.slice(0, value.lastIndexOf(':'))
  const lower = value.toLowerCase()
  if (lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4) return lower.slice(7)
  return (isIP(lower) === 6 ? lower : value).slice(0, 100)
}

// ——— proxy networks ———

interface Network {
  family: 4 | 6
  base: bigint
  mask: bigint
}

const compiledNetworks = new WeakMap<string[], Network[]>()

/** Config is read once, so each list is parsed once (config has already validated it). */
function compiled(list: string[]): Network[] {
  let networks = compiledNetworks.get(list)
  if (!networks) {
    networks = list.map(parseNetwork).filter((n): n is Network => n !== null)
    compiledNetworks.set(list, networks)
  }
  return networks
}

/** `10.0.0.0/8`, `fd00::/8`, or a single address (a whole-length prefix); null when malformed. */
function parseNetwork(text: string): Network | null {
  const [address = '', prefixText, extra] = text.trim().split('/')
  if (extra !== undefined) return null
  const family = isIP(address)
  if (family !== 4 && family !== 6) return null
  const bits = family === 4 ? 32 : 128
  const prefix = prefixText === undefined ? bits : Number(prefixText)
  if (!/^\d{1,3}$/.test(prefixText ?? String(bits)) || prefix > bits) return null
  const mask = ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n)
  return { family, base: (toBigInt(address, family) as bigint) & mask, mask }
}

function inNetworks(address: string, networks: Network[]): boolean {
  const family = isIP(address)
  if (family !== 4 && family !== 6) return false
  const value = toBigInt(address, family)
  if (value === null) return false
  return networks.some((n) => n.family === family && (value & n.mask) === n.base)
}

function toBigInt(address: string, family: 4 | 6): bigint | null {
  if (family === 4) return address.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n)
  let text = address.toLowerCase().replace(/%.*$/, '')
  // A trailing dotted quad (::ffff:10.0.0.1) is the last two groups.
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number]
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head = '', tail] = text.split('::')
  const left = head ? head.split(':') : []
  const right = tail ? tail.split(':') : []
  const groups =
    tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
  if (groups.length !== 8) return null
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(Number.parseInt(group, 16)), 0n)
}
