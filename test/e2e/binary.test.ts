/**
 * The single executable end to end: built with `bun build --compile`, driven through its CLI and
 * HTTP API as a real process, restarted on the same data, stopped with SIGTERM.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { buildBinary, type RunningBinary, runBinary, startBinary, tempDataDir } from '../support/binary.ts'
import { selfSigned } from '../support/certs.ts'

const dataDir = tempDataDir()
let server: RunningBinary | null = null

beforeAll(() => {
  buildBinary()
}, 120_000)
afterAll(async () => {
  if (server) await server.stop('SIGKILL')
  rmSync(dataDir, { recursive: true, force: true })
})

const cli = (...args: string[]) => runBinary([...args, '--data-dir', dataDir, '--json'])

describe('the compiled binary', () => {
  test('--version and --help need nothing installed beside it', () => {
    const version = runBinary(['--version'])
    expect(version.code).toBe(0)
    expect(version.stdout).toMatch(/^okta-bridge \d+\.\d+\.\d+\n$/)
    const help = runBinary(['--help'])
    expect(help.stdout).toContain('api-key create --org SLUG')
    expect(help.stdout).toContain('PUBLIC_URL')
  })

  test('an invalid setting is one line on stderr and exit code 2', () => {
    const result = runBinary(['serve', '--data-dir', dataDir], { PORT: 'http' })
    expect(result.code).toBe(2)
    expect(result.stderr.trim().split('\n')).toEqual([
      'okta-bridge: invalid setting PORT: "http" is not a whole number',
    ])
  })

  let apiKey = ''
  let scimToken = ''

  test('CLI, server, admin API, docs and CLI-while-running work together', async () => {
    const org = cli('org', 'create', '--slug', 'acme', '--name', 'Acme Inc')
    expect(org.code).toBe(0)
    expect(JSON.parse(org.stdout)).toMatchObject({ slug: 'acme', name: 'Acme Inc', url: null })
    apiKey = JSON.parse(cli('api-key', 'create', '--org', 'acme').stdout).key
    const admin = cli('admin', 'create', '--org', 'acme', '--email', 'admin@acme.example')
    expect(JSON.parse(admin.stdout).email).toBe('admin@acme.example')

    server = await startBinary(['--data-dir', dataDir, '--log-level', 'info'], {
      METRICS_TOKEN: 'binary-test-metrics-token',
    })
    const base = server.url
    expect((await fetch(`${base}/healthz`)).status).toBe(200)
    expect((await fetch(`${base}/readyz`)).status).toBe(200)

    const auth = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }
    const put = await fetch(`${base}/api/v1/orgs/acme/okta`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify({
        ssoUrl: 'https://acme.okta.com/app/acme/exk1/sso/saml',
        issuer: 'http://www.okta.com/exk1',
        certificate: selfSigned().certificate,
      }),
    })
    expect(put.status).toBe(200)
    const status = await put.json()
    scimToken = status.scimToken
    expect(scimToken).toMatch(/^okb_scim_/)
    expect(status.acsUrl).toBe(`http://localhost:${server.port}/orgs/acme/okta/auth`)

    // Docs work offline: no external origin in the page, every asset it names is served.
    const page = await fetch(`${base}/docs`)
    const html = await page.text()
    expect(html).not.toMatch(/https?:\/\//)
    for (const src of [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string)) {
      const asset = await fetch(`${base}${src}`)
      expect(asset.status).toBe(200)
    }
    const doc = await (await fetch(`${base}/docs/json`)).json()
    expect(doc.paths['/api/v1/orgs/{slug}/okta'].put).toBeDefined()

    // The CLI writes to the same store while the server runs; the server sees it at once.
    const other = cli('org', 'create', '--slug', 'globex')
    expect(other.code).toBe(0)
    const otherKey = JSON.parse(cli('api-key', 'create', '--org', 'globex').stdout).key
    const otherStatus = await fetch(`${base}/api/v1/orgs/globex/okta`, {
      headers: { authorization: `Bearer ${otherKey}` },
    })
    expect(otherStatus.status).toBe(200)
    // …and its key does not open acme.
    const cross = await fetch(`${base}/api/v1/orgs/acme/okta`, {
      headers: { authorization: `Bearer ${otherKey}` },
    })
    expect(cross.status).toBe(404)

    // Structured request logs: one JSON line per request with route, status, duration and org.
    await Bun.sleep(50)
    const requestLine = server.lines
      .map((l) => JSON.parse(l))
      .find((l) => l.msg === 'request' && l.method === 'PUT')
    expect(requestLine).toMatchObject({ route: '/api/v1/orgs/:slug/okta', status: '200', org: 'acme' })
    expect(typeof requestLine.durationMs).toBe('number')

    // Metrics: requests by route/status and store transaction timings.
    const metrics = await (
      await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer binary-test-metrics-token' } })
    ).text()
    expect(metrics).toMatch(
      /okta_bridge_http_requests_total\{method="PUT",route="\/api\/v1\/orgs\/:slug\/okta",status="200"\} 1/,
    )
    expect(metrics).toMatch(/okta_bridge_store_seconds_count\{operation="transaction"\} [1-9]/)
  })

  test('SIGTERM stops it cleanly; a restart finds every row again', async () => {
    expect(server).not.toBeNull()
    const code = await server!.stop('SIGTERM')
    expect(code).toBe(0)
    expect(server!.lines.some((l) => l.includes('"msg":"stopped"'))).toBe(true)

    server = await startBinary(['--data-dir', dataDir])
    const status = await (
      await fetch(`${server.url}/api/v1/orgs/acme/okta`, { headers: { authorization: `Bearer ${apiKey}` } })
    ).json()
    expect(status.configured).toBe(true)
    expect(status.issuer).toBe('http://www.okta.com/exk1')
    expect(status.scimToken).toBeUndefined()
    const code2 = await server.stop('SIGINT')
    expect(code2).toBe(0)
    server = null
  })
})
