/**
 * Issue 9, "clients behind proxies": the client address is the one our trusted proxy appended (the
 * right end of X-Forwarded-For), never the left end a client writes itself; TRUST_PROXY takes a hop
 * count or proxy networks; X-Forwarded-Host/-Proto follow the same trust decision. Through the real
 * fetch handler with real socket peers, and on the pure function.
 */
import { describe, expect, test } from 'bun:test'
import { ConfigError, loadConfig, parseFlags } from '../../src/config/index.ts'
import { clientAddress, type ProxyTrust, rememberPeerAddress } from '../../src/http/client-address.ts'
import { seedSamlOrg } from '../saml/fixture.ts'
import { seedOrg } from '../support/app.ts'
import { postAcs } from '../support/saml.ts'
import { createPeerApp } from './peer-app.ts'

function addressOf(trust: ProxyTrust, peer: string | null, forwardedFor?: string): string {
  const request = new Request('http://localhost:3000/', {
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  })
  if (peer) rememberPeerAddress(request, peer)
  return clientAddress(request, trust)
}

describe('clientAddress', () => {
  test('without trust, headers are never read', () => {
    expect(addressOf({ hops: 0 }, '198.51.100.7', '1.1.1.1')).toBe('198.51.100.7')
    expect(addressOf({ hops: 0 }, null, '1.1.1.1')).toBe('unknown')
  })

  test('with hops, the entry the trusted proxies appended counts, not what the client wrote', () => {
    // One proxy: the rightmost entry, whatever the client put before it.
    expect(addressOf({ hops: 1 }, '10.0.0.2', 'forged-1, 203.0.113.9')).toBe('203.0.113.9')
    expect(addressOf({ hops: 1 }, '10.0.0.2', '203.0.113.9')).toBe('203.0.113.9')
    // Two proxies: the outer one appended the client, the inner one the outer proxy.
    expect(addressOf({ hops: 2 }, '10.0.0.2', 'forged, 203.0.113.9, 10.0.0.1')).toBe('203.0.113.9')
    // A chain shorter than configured: the leftmost is the nearest we know.
    expect(addressOf({ hops: 3 }, '10.0.0.2', '203.0.113.9')).toBe('203.0.113.9')
    // No header at all: the peer.
    expect(addressOf({ hops: 1 }, '10.0.0.2')).toBe('10.0.0.2')
  })

  test('with networks, headers count only from a listed proxy; listed proxies are skipped', () => {
    const trust = { networks: ['10.0.0.0/8', 'fd00::/8'] }
    expect(addressOf(trust, '10.0.0.2', 'forged, 203.0.113.9, 10.1.2.3')).toBe('203.0.113.9')
    expect(addressOf(trust, 'fd00::5', 'forged, 2001:db8::1, fd00::7')).toBe('2001:db8::1')
    // A client talking to us directly cannot name itself someone else.
    expect(addressOf(trust, '203.0.113.50', '198.51.100.1')).toBe('203.0.113.50')
    // Bun reports IPv4 peers on a dual-stack socket as IPv4-mapped IPv6.
    expect(addressOf(trust, '::ffff:10.9.9.9', '203.0.113.9')).toBe('203.0.113.9')
    expect(addressOf({ hops: 0 }, '::ffff:192.0.2.1')).toBe('192.0.2.1')
    // Ports and brackets some proxies add are not part of the address.
    expect(addressOf(trust, '10.0.0.2', '[2001:db8::2]:4711')).toBe('2001:db8::2')
    expect(addressOf(trust, '10.0.0.2', '203.0.113.9:4711')).toBe('203.0.113.9')
  })
})

describe('TRUST_PROXY setting', () => {
  test('hops, booleans and networks', () => {
    const env = (value: string) => loadConfig(new Map(), { TRUST_PROXY: value }).trustProxy
    expect(loadConfig(new Map(), {}).trustProxy).toEqual({ hops: 0 })
    expect(env('0')).toEqual({ hops: 0 })
    expect(env('1')).toEqual({ hops: 1 })
    expect(env('true')).toEqual({ hops: 1 })
    expect(env('yes')).toEqual({ hops: 1 })
    expect(env('2')).toEqual({ hops: 2 })
    expect(env('10.0.0.0/8, fd00::/8')).toEqual({ networks: ['10.0.0.0/8', 'fd00::/8'] })
    expect(env('192.0.2.10')).toEqual({ networks: ['192.0.2.10'] })
  })

  test('--trust-proxy alone is one hop; with a value it takes the value, never a command', () => {
    const of = (argv: string[]) => {
      const { flags, positionals } = parseFlags(argv)
      return { trust: loadConfig(flags, {}).trustProxy, positionals }
    }
    expect(of(['--trust-proxy'])).toEqual({ trust: { hops: 1 }, positionals: [] })
    expect(of(['--trust-proxy', 'serve'])).toEqual({ trust: { hops: 1 }, positionals: ['serve'] })
    expect(of(['--trust-proxy', '2', 'serve'])).toEqual({ trust: { hops: 2 }, positionals: ['serve'] })
    expect(of(['--trust-proxy', '10.0.0.0/8,fd00::/8']).trust).toEqual({
      networks: ['10.0.0.0/8', 'fd00::/8'],
    })
  })

  test.each(['maybe', '10.0.0.0/33', 'fd00::/129', '10.0.0.0/8/8', '10.0.0/8', '99'])(
    'TRUST_PROXY=%p is one clear line',
    (value) => {
      let error: unknown
      try {
        loadConfig(new Map(), { TRUST_PROXY: value })
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(ConfigError)
      expect((error as Error).message).toMatch(/^TRUST_PROXY/)
      expect((error as Error).message).not.toContain('\n')
    },
  )
})

describe('through the server', () => {
  test('forged leftmost X-Forwarded-For entries do not dodge the SAML rate limit', async () => {
    const peers = createPeerApp({ trustProxy: { hops: 1 } })
    const org = await seedSamlOrg(peers.base, 'acme')
    const viaProxy = peers.from('10.0.0.2')
    const statuses: number[] = []
    for (let i = 0; i < 40; i++) {
      // The proxy appends the real client; everything before it is the client's own invention.
      const client = `192.0.2.${i}, 198.51.100.7`
      statuses.push((await postAcs(viaProxy, org.orgUrl, '<junk/>', { client })).status)
    }
    expect(statuses.slice(0, 20).every((s) => s === 400)).toBe(true)
    expect(statuses.slice(20).every((s) => s === 429)).toBe(true)
    const limited = (await peers.base.store.audit.list(org.orgId, { kind: 'saml', limit: 100 })).filter(
      (row) => row.reason === 'rate_limited',
    )
    expect(limited.map((row) => row.actor)).toEqual(['198.51.100.7'])
  })

  test('with proxy networks, a direct client cannot pose as many clients', async () => {
    const peers = createPeerApp({ trustProxy: { networks: ['10.0.0.0/8'] } })
    const org = await seedSamlOrg(peers.base, 'acme')
    const direct = peers.from('203.0.113.50')
    const statuses: number[] = []
    for (let i = 0; i < 22; i++)
      statuses.push((await postAcs(direct, org.orgUrl, '<junk/>', { client: `192.0.2.${i}` })).status)
    expect(statuses.slice(20)).toEqual([429, 429])
    // Through the listed proxy, its appended entry is the client, and that one is fresh.
    const proxied = await postAcs(peers.from('10.0.0.2'), org.orgUrl, '<junk/>', { client: '198.51.100.8' })
    expect(proxied.status).toBe(400)
  })

  test('X-Forwarded-Host counts as the trusted proxy set it (the rightmost), and only when trusted', async () => {
    const send = async (trust: ProxyTrust, peer: string, forwardedHost: string) => {
      const peers = createPeerApp({ trustProxy: trust })
      await seedOrg(peers.base.store, 'globex', 'https://sso.globex.example')
      return peers.from(peer).fetch(
        new Request('http://10.0.0.5:3000/okta/metadata', {
          headers: { host: '10.0.0.5:3000', 'x-forwarded-host': forwardedHost, 'x-forwarded-proto': 'https' },
        }),
      )
    }
    // The client sent its own X-Forwarded-Host; the proxy appended the real one.
    const hops = await send({ hops: 1 }, '10.0.0.2', 'evil.example, sso.globex.example')
    expect(hops.status).toBe(200)
    expect(await hops.text()).toContain('entityID="https://sso.globex.example"')
    const listed = await send({ networks: ['10.0.0.0/8'] }, '10.0.0.2', 'sso.globex.example')
    expect(listed.status).toBe(200)
    // From a peer that is not a listed proxy, the header is the client's word and is ignored.
    expect((await send({ networks: ['10.0.0.0/8'] }, '203.0.113.50', 'sso.globex.example')).status).toBe(404)
    expect((await send({ hops: 0 }, '10.0.0.2', 'sso.globex.example')).status).toBe(404)
  })
})
