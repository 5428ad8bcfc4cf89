/**
 * Issue 13, "operating the binary": every response carries `x-request-id`, and every log line
 * written while its request was handled carries the same `requestId`, so the "request" line and an
 * error line of one request join. An `x-request-id` header counts only from a trusted proxy
 * (TRUST_PROXY); from anyone else, or malformed, the server makes its own. Through the real fetch
 * handler with real socket peers and the real logger.
 */
import { describe, expect, test } from 'bun:test'
import { createApp, createFetch } from '../../src/http/app.ts'
import type { AppDeps } from '../../src/http/context.ts'
import { createLogger } from '../../src/observability/log.ts'
import { createTestApp, PUBLIC_URL, seedOrg } from '../support/app.ts'

type Line = Record<string, unknown> & { msg: string; requestId?: string }

function loggedApp(trustProxy: AppDeps['config']['trustProxy'] = { hops: 0 }) {
  const lines: Line[] = []
  const base = createTestApp({ trustProxy })
  const deps: AppDeps = { ...base.deps, log: createLogger('debug', (l) => lines.push(JSON.parse(l))) }
  const handle = createFetch(createApp(deps), deps)
  const from = (peer: string, path: string, init?: RequestInit) =>
    handle(new Request(`${PUBLIC_URL}${path}`, init), { requestIP: () => ({ address: peer }) })
  return { base, lines, from }
}

/** The "request" line is written after the response went out: wait for it. */
async function requestLine(lines: Line[], requestId: string): Promise<Line> {
  for (let i = 0; i < 200; i++) {
    const line = lines.find((l) => l.msg === 'request' && l.requestId === requestId)
    if (line) return line
    await Bun.sleep(5)
  }
  throw new Error(`no request line for ${requestId}: ${JSON.stringify(lines)}`)
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('request ids', () => {
  test('every response names its id, and the request line carries the same one', async () => {
    const { lines, from } = loggedApp()
    const first = await from('198.51.100.7', '/healthz')
    const second = await from('198.51.100.7', '/no/such/route')
    const ids = [first, second].map((r) => r.headers.get('x-request-id') as string)
    for (const id of ids) expect(id).toMatch(UUID)
    expect(ids[0]).not.toBe(ids[1])
    expect((await requestLine(lines, ids[0] as string)).status).toBe('200')
    expect((await requestLine(lines, ids[1] as string)).status).toBe('404')
  })

  test('refusals made before routing carry an id too', async () => {
    const { from } = loggedApp()
    const refused = await from('198.51.100.7', '/api/v1/orgs/acme/users', {
      method: 'POST',
      headers: { 'content-type': 'application/xml' },
      body: '<x/>',
    })
    expect(refused.status).toBeGreaterThanOrEqual(400)
    expect(refused.status).toBeLessThan(500)
    expect(refused.headers.get('x-request-id')).toMatch(UUID)
  })

  test('a client cannot choose its id; a trusted proxy can', async () => {
    const untrusted = loggedApp({ hops: 0 })
    const own = await untrusted.from('198.51.100.7', '/healthz', { headers: { 'x-request-id': 'forged-1' } })
    expect(own.headers.get('x-request-id')).toMatch(UUID)

    const behindProxy = loggedApp({ networks: ['10.0.0.0/8'] })
    const viaProxy = await behindProxy.from('10.0.0.2', '/healthz', {
      headers: { 'x-request-id': 'lb-7f3a.42' },
    })
    expect(viaProxy.headers.get('x-request-id')).toBe('lb-7f3a.42')
    expect((await requestLine(behindProxy.lines, 'lb-7f3a.42')).route).toBe('/healthz')
    // The same header from a peer outside the proxy networks is ignored.
    const direct = await behindProxy.from('198.51.100.7', '/healthz', { headers: { 'x-request-id': 'lb-1' } })
    expect(direct.headers.get('x-request-id')).toMatch(UUID)
    // A malformed id from the proxy (too long, or characters that do not belong in a log) is replaced.
    for (const bad of ['x'.repeat(129), 'a b', 'a"b', 'é']) {
      const replaced = await behindProxy.from('10.0.0.2', '/healthz', { headers: { 'x-request-id': bad } })
      expect(replaced.headers.get('x-request-id')).toMatch(UUID)
    }
  })

  test('an error line and the request line of one request join on requestId', async () => {
    const { base, lines, from } = loggedApp()
    const { auth } = await seedOrg(base.store)
    // Other requests in flight at the same time must not lend their ids to this one's lines.
    const concurrent = Array.from({ length: 5 }, () => from('198.51.100.7', '/healthz'))
    base.store.engine.db.exec('DROP TABLE audit_log')
    const failed = await from('198.51.100.7', '/api/v1/orgs/acme/audit', { headers: auth })
    await Promise.all(concurrent)
    const id = failed.headers.get('x-request-id') as string
    expect(id).toMatch(UUID)
    const errorLines = lines.filter((l) => l.level === 'error')
    expect(errorLines.length).toBeGreaterThan(0)
    expect(errorLines.every((l) => l.requestId === id)).toBe(true)
    expect((await requestLine(lines, id)).status).toBe(String(failed.status))
  })
})
