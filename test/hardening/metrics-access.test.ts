/**
 * `/metrics` names every org and SAML failure reason (issue 9), so it is never public: off by
 * default (404 and a start-up line saying how to turn it on), behind `METRICS_TOKEN` (401 with
 * WWW-Authenticate: Bearer without the right one), or only on the `METRICS_PORT` listener. `/healthz`
 * and `/readyz` stay open and say nothing about orgs. The OpenAPI document says all of it.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../src/config/index.ts'
import { type RunningServer, startServer } from '../../src/main.ts'
import { createLogger } from '../../src/observability/log.ts'
import { createTestApp, METRICS_TOKEN, seedOrg } from '../support/app.ts'

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

describe('/metrics on the main port', () => {
  test('without METRICS_TOKEN or METRICS_PORT it is not served, and health says nothing about orgs', async () => {
    const app = createTestApp({ metricsToken: undefined })
    await seedOrg(app.store, 'acme')
    const metrics = await app.request('/metrics')
    expect(metrics.status).toBe(404)
    const body = await metrics.text()
    expect(body).not.toContain('acme')
    expect(body).not.toContain('okta_bridge_')
    expect(await (await app.request('/healthz')).json()).toEqual({ status: 'ok' })
    expect(await (await app.request('/readyz')).json()).toEqual({ status: 'ready' })
  })

  test('with METRICS_TOKEN: a missing, wrong or malformed token gets 401 with WWW-Authenticate: Bearer', async () => {
    const app = createTestApp()
    await seedOrg(app.store, 'acme')
    for (const headers of [
      {},
      bearer('wrong-token-of-another-length'),
      bearer(`${METRICS_TOKEN}x`),
      bearer(METRICS_TOKEN.slice(0, -1)),
      { authorization: `Basic ${METRICS_TOKEN}` },
      { authorization: METRICS_TOKEN },
    ]) {
      const refused = await app.request('/metrics', { headers })
      expect({ headers, status: refused.status }).toEqual({ headers, status: 401 })
      expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="metrics"')
      const body = (await refused.json()) as { error: { code: string } }
      expect(body.error.code).toBe('UNAUTHENTICATED')
    }
  })

  test('with the right token it answers the exposition format, SAML failure reasons included', async () => {
    const app = createTestApp()
    await seedOrg(app.store, 'acme')
    await app.request('/orgs/acme/okta/auth', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'SAMLResponse=not-base64!',
    })
    const served = await app.request('/metrics', { headers: { authorization: `bearer ${METRICS_TOKEN}` } })
    expect(served.status).toBe(200)
    expect(served.headers.get('content-type')).toContain('text/plain; version=0.0.4')
    expect(await served.text()).toContain('okta_bridge_saml_logins_total{outcome=')
  })

  test('the OpenAPI document puts /metrics behind the metricsToken bearer scheme, with 401 and 404', async () => {
    const doc = (await (await createTestApp().request('/docs/json')).json()) as {
      paths: Record<string, { get: { security: unknown; responses: Record<string, unknown> } }>
      components: { securitySchemes: Record<string, { type: string; scheme: string }> }
    }
    const metrics = doc.paths['/metrics']?.get
    expect(metrics?.security).toEqual([{ metricsToken: [] }])
    expect(Object.keys(metrics?.responses ?? {}).sort()).toEqual(['200', '401', '404'])
    expect(doc.components.securitySchemes.metricsToken).toMatchObject({ type: 'http', scheme: 'bearer' })
    expect(doc.paths['/healthz']?.get.security).toEqual([])
  })
})

describe('the server process', () => {
  const dirs: string[] = []
  const servers: RunningServer[] = []
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()))
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })
  const serve = async (settings: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'okb-metrics-'))
    dirs.push(dir)
    const lines: Record<string, unknown>[] = []
    const flags = new Map([
      ['port', '0'],
      ['host', '127.0.0.1'],
      ['data-dir', dir],
      ...Object.entries(settings),
    ])
    const server = await startServer(
      loadConfig(flags, {}),
      createLogger('info', (line) => lines.push(JSON.parse(line))),
    )
    servers.push(server)
    return { server, listening: lines.find((line) => line.msg === 'listening') }
  }

  test('METRICS_PORT: a second listener serves only /metrics; the main port answers 404 for it', async () => {
    const { server, listening } = await serve({ 'metrics-port': '0' })
    expect(server.metricsPort).toBeNumber()
    expect(server.metricsPort).not.toBe(server.port)
    const scrape = await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)
    expect(scrape.status).toBe(200)
    expect(await scrape.text()).toContain('# TYPE okta_bridge_http_requests_total counter')
    expect((await fetch(`http://127.0.0.1:${server.metricsPort}/healthz`)).status).toBe(404)
    expect((await fetch(`http://127.0.0.1:${server.metricsPort}/api/v1/orgs/acme/okta`)).status).toBe(404)
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404)
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
    expect(listening).toMatchObject({ metrics: 'metrics port only', metricsPort: server.metricsPort })
  })

  test('METRICS_PORT with METRICS_TOKEN: the metrics listener requires the token too', async () => {
    const { server } = await serve({ 'metrics-port': '0', 'metrics-token': METRICS_TOKEN })
    const base = `http://127.0.0.1:${server.metricsPort}/metrics`
    const refused = await fetch(base)
    expect(refused.status).toBe(401)
    expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="metrics"')
    expect((await fetch(base, { headers: bearer(METRICS_TOKEN) })).status).toBe(200)
    expect((await fetch(`${server.url}/metrics`, { headers: bearer(METRICS_TOKEN) })).status).toBe(404)
  })

  test('with neither set, the start-up line says how to turn metrics on', async () => {
    const { server, listening } = await serve({})
    expect(server.metricsPort).toBeNull()
    expect(listening?.metrics).toBe(
      'off: set METRICS_TOKEN (scrape with Authorization: Bearer) or METRICS_PORT (a separate listener)',
    )
  })

  test('a METRICS_TOKEN shorter than 16 characters is a config error that does not echo it', () => {
    expect(() => loadConfig(new Map(), { METRICS_TOKEN: 'guessable' })).toThrow(
      'METRICS_TOKEN (--metrics-token): (value not shown) is invalid: use a random token of at least 16 characters',
    )
  })
})
