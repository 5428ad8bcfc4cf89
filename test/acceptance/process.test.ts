/**
 * PRODUCT.md §3–§4 "Process", checked against the compiled binary as a black box: the CLI's flags,
 * `--json` objects (exact keys), `--help`, exit codes and one-line errors; one server started with
 * `--port 0` and the default PUBLIC_URL, reached by Host for an org with its own origin; the body
 * limit in each protocol's format; `/healthz`, `/readyz`, `/metrics`; SIGTERM.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  buildBinary,
  type CommandResult,
  type RunningBinary,
  runBinary,
  startBinary,
  tempDataDir,
} from '../support/binary.ts'
import { selfSigned } from '../support/certs.ts'

const dataDir = tempDataDir()
let server: RunningBinary | null = null

beforeAll(() => {
  buildBinary()
})
afterAll(async () => {
  if (server) await server.stop('SIGKILL')
  rmSync(dataDir, { recursive: true, force: true })
})

const METRICS = { authorization: 'Bearer process-test-metrics-token' }
const cli = (...args: string[]) => runBinary([...args, '--data-dir', dataDir])
const json = (result: CommandResult) => {
  const lines = result.stdout.trim().split('\n')
  expect(lines).toHaveLength(1)
  return JSON.parse(lines[0] as string)
}

describe('CLI (PRODUCT.md §4 Process)', () => {
  test('each command prints exactly one JSON object with the listed keys', () => {
    const org = cli('org', 'create', '--slug', 'acme', '--name', 'Acme Inc', '--json')
    expect(org.code).toBe(0)
    const created = json(org)
    expect(Object.keys(created).sort()).toEqual(['id', 'name', 'slug', 'url'])
    expect(created).toMatchObject({ slug: 'acme', name: 'Acme Inc', url: null })

    const own = json(
      cli('org', 'create', '--slug', 'globex', '--url', 'https://SSO.Globex.example/', '--json'),
    )
    expect(own.url).toBe('https://sso.globex.example')

    const admin = json(cli('admin', 'create', '--org', 'acme', '--email', 'admin@acme.example', '--json'))
    expect(Object.keys(admin).sort()).toEqual(['email', 'id', 'password'])
    expect(admin.password.length).toBeGreaterThanOrEqual(16)
    const piped = runBinary(
      [
        'admin',
        'create',
        '--org',
        'acme',
        '--email',
        'ops@acme.example',
        '--password-stdin',
        '--json',
        '--data-dir',
        dataDir,
      ],
      {},
      'correct horse battery staple\n',
    )
    expect(piped.code, piped.stderr).toBe(0)

    const key = json(cli('api-key', 'create', '--org', 'acme', '--name', 'ci', '--json'))
    expect(Object.keys(key).sort()).toEqual(['id', 'key'])
    expect(json(runBinary(['--version', '--json']))).toEqual({
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
    })
  })

  test('a switch never swallows the next word: `--json org create …` is org create with --json', () => {
    const result = runBinary(['--json', 'org', 'create', '--slug', 'initech', '--data-dir', dataDir])
    expect(result.code, result.stderr).toBe(0)
    expect(json(result).slug).toBe('initech')
  })

  test('--help for the binary, each command and each command group', () => {
    expect(runBinary(['--help']).stdout).toContain('PUBLIC_URL')
    for (const [args, text] of [
      [['serve', '--help'], 'SIGTERM'],
      [['org', 'create', '--help'], '--url'],
      [['admin', 'create', '--help'], '--password-stdin'],
      [['api-key', 'create', '--help'], 'shown'],
      [['org', '--help'], 'org create'],
      [['api-key', '--help'], 'api-key create'],
    ] as const) {
      const result = runBinary([...args])
      expect(result.code, args.join(' ')).toBe(0)
      expect(result.stdout).toContain(text)
    }
  })

  test('invalid settings, unknown flags and commands: one line on stderr, exit code 2', () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [['serve'], { PORT: 'http' }, /^okta-bridge: invalid setting PORT: "http" is not a whole number$/],
      [
        ['serve', '--port', '70000'],
        {},
        /PORT \(--port\): 70000 is invalid: use a port number from 0 to 65535$/,
      ],
      [
        ['serve'],
        { LOG_LEVEL: 'loud' },
        /LOG_LEVEL \(--log-level\): "loud" is invalid: use one of debug, info/,
      ],
      [['serve'], { TRUST_PROXY: 'maybe' }, /TRUST_PROXY: "maybe" is not a hop count or a proxy network/],
      [['serve'], { PUBLIC_URL: 'sso.example.com' }, /PUBLIC_URL \(--public-url\)/],
      [
        ['serve'],
        { DATABASE_URL: 'mysql://db/okb' },
        /DATABASE_URL \(--database-url\): mysql:\/\/ is not a supported store/,
      ],
      [
        ['org', 'create', '--slug', 'x', '--data_dir', '/tmp/x'],
        {},
        /unknown flag --data_dir for "org create"/,
      ],
      [['serve', '--prot', '80'], {}, /unknown flag --prot for "serve"/],
      [['org', 'delete', '--slug', 'x'], {}, /unknown command "org delete"/],
      [['org', 'create'], {}, /--slug is required/],
    ]
    for (const [args, env, message] of cases) {
      const result = runBinary([...args, '--data-dir', dataDir], env)
      expect(result.code, args.join(' ')).toBe(2)
      const lines = result.stderr.trim().split('\n')
      expect(lines, args.join(' ')).toHaveLength(1)
      expect(lines[0]).toMatch(message)
    }
  })

  test('with --json a refusal is also one JSON error object on stdout', () => {
    const usage = runBinary(['org', 'create', '--bogus', '1', '--json', '--data-dir', dataDir])
    expect(usage.code).toBe(2)
    expect(json(usage).error).toMatchObject({ code: 'USAGE', message: expect.stringContaining('--bogus') })
    const taken = cli('org', 'create', '--slug', 'acme', '--json')
    expect(taken.code).toBe(1)
    expect(json(taken).error.code).toBe('SLUG_TAKEN')
  })

  test('a data dir that cannot be created: one line naming the cause, exit 2, no stack trace', () => {
    const blocker = join(dataDir, 'not-a-dir')
    writeFileSync(blocker, 'x')
    const result = runBinary(['serve', '--port', '0', '--data-dir', join(blocker, 'data')])
    expect(result.code).toBe(2)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toMatch(/^okta-bridge: cannot start: /)
  })
})

describe('the server (PRODUCT.md §3, §4, §8)', () => {
  let apiKey = ''
  let globexKey = ''
  let scimToken = ''

  test('starts on --port 0: the default PUBLIC_URL names the real port everywhere', async () => {
    apiKey = json(cli('api-key', 'create', '--org', 'acme', '--json')).key
    globexKey = json(cli('api-key', 'create', '--org', 'globex', '--json')).key
    server = await startBinary(['--data-dir', dataDir], { METRICS_TOKEN: 'process-test-metrics-token' })
    const base = `http://localhost:${server.port}`
    const put = await fetch(`${server.url}/api/v1/orgs/acme/okta`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        ssoUrl: 'https://acme.okta.com/app/acme/exk1/sso/saml',
        issuer: 'http://www.okta.com/exk1',
        certificate: selfSigned().certificate,
      }),
    })
    const status = await put.json()
    expect(put.status).toBe(200)
    expect(status).toMatchObject({
      acsUrl: `${base}/orgs/acme/okta/auth`,
      audience: `${base}/orgs/acme`,
      scimBaseUrl: `${base}/orgs/acme/okta/scim`,
      spMetadataUrl: `${base}/orgs/acme/okta/metadata`,
      loginUrl: `${base}/orgs/acme/okta/login`,
    })
    scimToken = status.scimToken
    const created = await fetch(`${server.url}/orgs/acme/okta/scim/Users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: 'ada@acme.example',
        emails: [{ value: 'ada@acme.example', primary: true }],
        active: true,
      }),
    })
    expect(created.status).toBe(201)
    const user = await created.json()
    expect(user.meta.location).toBe(`${base}/orgs/acme/okta/scim/Users/${user.id}`)
    expect(created.headers.get('location')).toBe(user.meta.location)
    // The binary validates like `bun start` does (a minified build once let ?limit=1001 through).
    const tooMany = await fetch(`${server.url}/api/v1/orgs/acme/users?limit=1001`, {
      headers: { authorization: `Bearer ${apiKey}` },
    })
    expect(tooMany.status).toBe(400)
    expect((await tooMany.json()).error.code).toBe('INVALID_INPUT')
  })

  test('an org with its own https origin is served at its root by Host, behind a TLS proxy', async () => {
    const at = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${server?.url}${path}`, { headers: { host: 'sso.globex.example', ...headers } })
    const metadata = await at('/okta/metadata')
    expect(metadata.status).toBe(200)
    const xml = await metadata.text()
    expect(xml).toContain('entityID="https://sso.globex.example"')
    expect(xml).toContain('Location="https://sso.globex.example/okta/auth"')
    // Host matching ignores case and the scheme's default port.
    expect((await at('/okta/metadata', { host: 'SSO.Globex.Example:443' })).status).toBe(200)
    const login = await at('/admin/login', { accept: 'text/html' })
    expect(login.status).toBe(200)
    expect(await login.text()).toContain('action="/admin/login"')
    const scim = await at('/okta/scim/Users')
    expect(scim.status).toBe(401)
    expect(scim.headers.get('content-type')).toContain('application/scim+json')
    // The admin API stays global on the own origin, and its values name that origin.
    const status = await (
      await at('/api/v1/orgs/globex/okta', { authorization: `Bearer ${globexKey}` })
    ).json()
    expect(status.acsUrl).toBe('https://sso.globex.example/okta/auth')
    // Without TRUST_PROXY, X-Forwarded-Host is ignored: no org is reached through it.
    const forwarded = await fetch(`${server?.url}/okta/metadata`, {
      headers: { 'x-forwarded-host': 'sso.globex.example', 'x-forwarded-proto': 'https' },
    })
    expect(forwarded.status).toBe(404)
  })

  test('bodies over the limit get a 413 in each protocol’s format, declared or chunked', async () => {
    const big = 'x'.repeat(1024 * 1024 + 10)
    const chunked = () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < 5; i++) controller.enqueue(new TextEncoder().encode(big.slice(0, 300_000)))
          controller.close()
        },
      })
    for (const body of [() => big, chunked]) {
      const scim = await fetch(`${server?.url}/orgs/acme/okta/scim/Users`, {
        method: 'POST',
        headers: { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' },
        body: body(),
      })
      expect(scim.status).toBe(413)
      expect(scim.headers.get('content-type')).toContain('application/scim+json')
      expect((await scim.json()).schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error'])

      const admin = await fetch(`${server?.url}/api/v1/orgs/acme/users`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: body(),
      })
      expect(admin.status).toBe(413)
      expect((await admin.json()).error.code).toBe('BODY_TOO_LARGE')

      const acs = await fetch(`${server?.url}/orgs/acme/okta/auth`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: body(),
      })
      expect(acs.status).toBe(413)
      expect(acs.headers.get('content-type')).toContain('text/html')
      expect(await acs.text()).not.toMatch(/at .+:\d+:\d+/)
    }
    // A small chunked body is read normally.
    const small = await fetch(`${server?.url}/api/v1/orgs/acme/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: new Blob([JSON.stringify({ email: 'local@acme.example', name: 'Local' })]).stream(),
    })
    expect(small.status).toBe(201)
  })

  test('/healthz, /readyz and /metrics say what the spec lists', async () => {
    const base = server?.url as string
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' })
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'ready' })
    await fetch(`${base}/orgs/acme/okta/auth`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'SAMLResponse=not-base64!',
    })
    let text = ''
    for (let i = 0; i < 100 && !/okta_bridge_sync_pending_changes\{org="acme"\}/.test(text); i++) {
      text = await (await fetch(`${base}/metrics`, { headers: METRICS })).text()
      await Bun.sleep(50)
    }
    expect((await fetch(`${base}/metrics`)).status).toBe(401)
    const metrics = await fetch(`${base}/metrics`, { headers: METRICS })
    expect(metrics.headers.get('content-type')).toContain('text/plain')
    text = await metrics.text()
    expect(text).toMatch(/okta_bridge_http_requests_total\{method="GET",route="\/healthz",status="200"\} 1/)
    expect(text).toMatch(/okta_bridge_http_request_duration_seconds_bucket\{.*route="\/readyz".*\} 1/)
    expect(text).toMatch(
      /okta_bridge_scim_operations_total\{operation="create",resource="User",status="201"\} 1/,
    )
    expect(text).toMatch(/okta_bridge_saml_logins_total\{outcome="response_not_base64"\} 1/)
    // Statuses are the ones sent, also for handlers that answer with a Response (SAML pages).
    expect(text).toMatch(
      /okta_bridge_http_requests_total\{method="POST",route="\/orgs\/:slug\/okta\/auth",status="400"\} 1/,
    )
    expect(text).toMatch(/okta_bridge_sync_lag_seconds\{org="acme"\} \d/)
    expect(text).toMatch(/okta_bridge_sync_pending_changes\{org="acme"\} \d/)
    expect(text).toMatch(/okta_bridge_store_seconds_count\{operation="transaction"\} [1-9]/)
  })

  test('SIGTERM stops it cleanly with exit code 0', async () => {
    const code = await server?.stop('SIGTERM')
    expect(code).toBe(0)
    expect(server?.lines.some((l) => l.includes('"msg":"stopped"'))).toBe(true)
    server = null
  })
})
