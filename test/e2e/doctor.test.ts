/**
 * Issue 13, "operating the binary": `okta-bridge doctor` with the real binary. Against a running
 * HTTPS server on SQLite with an org that has signed in: every check holds (exit 0). Then what an
 * operator would meet: a sign-in whose IssueInstant says the IdP's clock is ahead, a TLS
 * certificate about to expire, the server gone, a bad setting: each a failed check naming what to
 * fix (exit 1). And the store check on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { copyFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { buildBinary, type RunningBinary, runBinary, startBinary, tempDataDir } from '../support/binary.ts'
import { selfSigned, serverCertificate } from '../support/certs.ts'
import { createDatabase } from '../support/postgres.ts'
import { OKTA_ISSUER, OKTA_SSO_URL, oktaResponse, signResponse, toBase64 } from '../support/saml.ts'

const dataDir = tempDataDir()
const certFile = join(dataDir, 'tls.crt')
const keyFile = join(dataDir, 'tls.key')
const tlsCert = serverCertificate('doctor', 60)
const idp = selfSigned('doctor-idp')
let server: RunningBinary | null = null
let settings: string[] = []
let env: Record<string, string> = {}

interface Report {
  checks: { name: string; ok: boolean; detail: string }[]
}

function doctor(extra: string[] = [], extraEnv: Record<string, string> = {}) {
  const result = runBinary(['doctor', ...settings, ...extra, '--json'], { ...env, ...extraEnv })
  const report = JSON.parse(result.stdout) as Report
  const byName = Object.fromEntries(report.checks.map((c) => [c.name, c]))
  return { code: result.code, report, byName }
}

async function signIn(base: string, orgUrl: string, issueInstantOffset: number): Promise<number> {
  const xml = signResponse(
    oktaResponse({ orgUrl, email: 'ada@acme.example', issueInstant: issueInstantOffset }),
    idp,
    'both',
  )
  const response = await fetch(`${base}/orgs/acme/okta/auth`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    body: new URLSearchParams({ SAMLResponse: toBase64(xml) }).toString(),
    tls: { ca: tlsCert.certificate },
  })
  return response.status
}

beforeAll(() => {
  buildBinary()
}, 120_000)
afterAll(async () => {
  if (server) await server.stop('SIGKILL')
  rmSync(dataDir, { recursive: true, force: true })
})

describe('okta-bridge doctor', () => {
  test('every check holds against a healthy HTTPS server, and each failure says what to fix', async () => {
    copyFileSync(tlsCert.certPath, certFile)
    copyFileSync(tlsCert.keyPath, keyFile)
    const cli = (...args: string[]) => runBinary([...args, '--data-dir', dataDir, '--json'])
    expect(cli('org', 'create', '--slug', 'acme').code).toBe(0)
    const key = JSON.parse(cli('api-key', 'create', '--org', 'acme').stdout).key as string
    server = await startBinary(['--data-dir', dataDir, '--tls-cert', certFile, '--tls-key', keyFile])
    const base = `https://localhost:${server.port}`
    // The doctor runs where the server runs, with its settings; the test CA is trusted like a private CA.
    settings = ['--data-dir', dataDir, '--tls-cert', certFile, '--tls-key', keyFile, '--public-url', base]
    env = { NODE_EXTRA_CA_CERTS: tlsCert.certPath }
    const api = (path: string, method: string, body: unknown) =>
      fetch(`${base}/api/v1/orgs/acme${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        tls: { ca: tlsCert.certificate },
      })
    const put = await api('/okta', 'PUT', {
      ssoUrl: OKTA_SSO_URL,
      issuer: OKTA_ISSUER,
      certificate: idp.certificate,
    })
    expect(put.status).toBe(200)
    expect((await api('/users', 'POST', { email: 'ada@acme.example', name: 'Ada' })).status).toBe(201)
    const orgUrl = `https://localhost:${server.port}/orgs/acme`

    // Before any sign-in the clock has nothing to be compared with, which is no failure.
    const early = doctor()
    expect(early.byName['clock-skew:acme']).toMatchObject({ ok: true })
    expect(await signIn(base, orgUrl, 0)).toBe(303)

    const healthy = doctor()
    expect(healthy.report.checks.map((c) => c.name)).toEqual([
      'configuration',
      'store',
      'public-url',
      'tls-certificate',
      'certificates:acme',
      'clock-skew:acme',
    ])
    for (const check of healthy.report.checks) expect(check).toMatchObject({ ok: true })
    expect(healthy.code).toBe(0)
    expect(healthy.byName.store?.detail).toContain('1 organization(s)')
    expect(healthy.byName['clock-skew:acme']?.detail).toContain('from the last 1 sign-in(s)')

    // The IdP's clock runs 45 s ahead: accepted (the org allows 60 s), but the doctor says so.
    expect(await signIn(base, orgUrl, 45)).toBe(303)
    const skewed = doctor()
    expect(skewed.code).toBe(1)
    expect(skewed.byName['clock-skew:acme']?.ok).toBe(false)
    expect(skewed.byName['clock-skew:acme']?.detail).toMatch(/behind the IdP's by 4\d s .*NTP/)

    // A certificate about to end; then the server gone.
    const short = serverCertificate('doctor-short', 5)
    copyFileSync(short.certPath, certFile)
    copyFileSync(short.keyPath, keyFile)
    await server.stop('SIGTERM')
    server = null
    const failing = doctor()
    expect(failing.code).toBe(1)
    expect(failing.byName['tls-certificate']).toMatchObject({ ok: false })
    expect(failing.byName['tls-certificate']?.detail).toMatch(/expires in [45] day\(s\).*SIGHUP/)
    expect(failing.byName['public-url']).toMatchObject({ ok: false })
    expect(failing.byName['public-url']?.detail).toContain('is the server running')
    expect(failing.byName.store).toMatchObject({ ok: true })

    // The human output: one line per check, FAIL where something needs fixing.
    const human = runBinary(['doctor', ...settings], env)
    expect(human.code).toBe(1)
    expect(human.stdout).toMatch(/^FAIL {2}public-url: /m)
    expect(human.stdout).toMatch(/^ok {4}store: /m)

    // An invalid setting is the first, failed check; nothing else is tried.
    const invalid = doctor(['--port', 'http'])
    expect(invalid.code).toBe(1)
    expect(invalid.report.checks).toEqual([
      {
        name: 'configuration',
        ok: false,
        detail: expect.stringContaining('PORT: "http" is not a whole number'),
      },
    ])
    // A public name on plain http is a configuration to fix.
    const plain = runBinary([
      'doctor',
      '--data-dir',
      dataDir,
      '--public-url',
      'http://sso.example.com',
      '--json',
    ])
    const plainReport = JSON.parse(plain.stdout) as Report
    expect(plainReport.checks[0]).toMatchObject({ name: 'configuration', ok: false })
    expect(plainReport.checks[0]?.detail).toContain('--tls-cert')
  }, 90_000)

  test('the store check on PostgreSQL: it answers, and a database that does not is named without its password', async () => {
    const url = await createDatabase()
    const result = runBinary(['doctor', '--json'], { DATABASE_URL: url })
    const report = JSON.parse(result.stdout) as Report
    const store = report.checks.find((c) => c.name === 'store')
    expect(store).toMatchObject({ ok: true })
    expect(store?.detail).toMatch(/^postgres .* answers, schema current, 0 organization\(s\)$/)

    const wrong = new URL(url)
    wrong.password = 'not-the-password'
    wrong.port = '1'
    const down = runBinary(['doctor', '--json'], { DATABASE_URL: wrong.toString() })
    const downStore = (JSON.parse(down.stdout) as Report).checks.find((c) => c.name === 'store')
    expect(down.code).toBe(1)
    expect(downStore).toMatchObject({ ok: false })
    expect(downStore?.detail).toContain('check DATABASE_URL')
    expect(downStore?.detail).not.toContain('not-the-password')
  }, 90_000)
})
