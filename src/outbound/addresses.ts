/**
 * Which IP addresses an outbound request may reach when the operator has not allowed private ones
 * (ALLOW_PRIVATE_OUTBOUND): public unicast only. Refused: loopback, private (RFC 1918, IPv6 ULA),
 * link-local (which holds the cloud metadata address 169.254.169.254), shared CGNAT space, "this
 * network", documentation and benchmark ranges, multicast and reserved space, and every IPv6 form
 * that embeds one of those IPv4 addresses (mapped, compatible, NAT64, 6to4).
 */
import { isIP } from 'node:net'

/** IPv4 ranges no webhook may reach without the operator's consent: [first address, prefix length]. */
const BLOCKED_V4: Array<[string, number, string]> = [
  ['0.0.0.0', 8, 'this network'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (CGNAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4 relay'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
]

function v4Number(address: string): number {
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0)
}

function v4Refusal(address: string): string | null {
  const n = v4Number(address)
  for (const [base, bits, why] of BLOCKED_V4) {
    const size = 2 ** (32 - bits)
    const start = v4Number(base)
    if (n >= start && n < start + size) return why
  }
  return null
}

/** The 8 groups of an IPv6 address (with an embedded dotted IPv4 tail expanded). */
function v6Groups(address: string): number[] {
  let text = address.toLowerCase().replace(/%.*$/, '')
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (tail?.[1]) {
    const n = v4Number(tail[1])
    text = `${text.slice(0, -tail[1].length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`
  }
  const [head = '', rest] = text.split('::')
  const left = head === '' ? [] : head.split(':')
  const right = rest === undefined || rest === '' ? [] : rest.split(':')
  const fill = rest === undefined ? [] : new Array(8 - left.length - right.length).fill('0')
  return [...left, ...fill, ...right].map((group) => Number.parseInt(group, 16))
}

const v4Of = (high: number, low: number) => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`

function v6Refusal(address: string): string | null {
  const g = v6Groups(address)
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, h1 = 0, h2 = 0] = g
  if (g.every((x) => x === 0)) return 'unspecified'
  if (a === 0 && b === 0 && c === 0 && d === 0 && e === 0 && f === 0 && h1 === 0 && h2 === 1)
    return 'loopback'
  // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible): the IPv4 address decides.
  if (a === 0 && b === 0 && c === 0 && d === 0 && e === 0 && (f === 0xffff || f === 0)) {
    return v4Refusal(v4Of(h1, h2)) ?? (f === 0 ? 'IPv4-compatible' : null)
  }
  if (a === 0x64 && b === 0xff9b) return v4Refusal(v4Of(h1, h2)) ?? null // NAT64
  if (a === 0x2002) return v4Refusal(v4Of(b, c)) ?? null // 6to4
  if ((a & 0xfe00) === 0xfc00) return 'private (unique local)'
  if ((a & 0xffc0) === 0xfe80) return 'link-local'
  if ((a & 0xffc0) === 0xfec0) return 'site-local'
  if ((a & 0xff00) === 0xff00) return 'multicast'
  if (a === 0x2001 && b === 0x0db8) return 'documentation'
  if (a === 0x0100 && b === 0 && c === 0 && d === 0) return 'discard-only'
  return null
}

/** Why `address` is not a public unicast address (e.g. "loopback"), or null when it is one. */
export function privateAddressReason(address: string): string | null {
  const family = isIP(address)
  if (family === 4) return v4Refusal(address)
  if (family === 6) return v6Refusal(address)
  return 'not an IP address'
}
