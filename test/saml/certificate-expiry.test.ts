/**
 * IdP certificate expiry: `integration.certificate_expiring` in the change feed at 30, 7 and 1 days
 * before notAfter, each threshold once per certificate (run with a `now`, as the refresh loop does);
 * none for a certificate far from expiry; the expiry gauge on /metrics by org; the console banner.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { X509Certificate } from 'node:crypto'
import { checkCertificateExpiry } from '../../src/integration/certificate-expiry.ts'
import { createMetadataRefresh } from '../../src/integration/metadata-refresh.ts'
import { silentLogger } from '../../src/observability/log.ts'
import { createTestApp, METRICS_AUTH, seedOrg, type TestApp } from '../support/app.ts'
import { selfSigned } from '../support/certs.ts'
import { setUpIntegration } from '../support/integration.ts'
import { ConsoleClient, seedAdmin } from '../web/console-client.ts'

const DAY = 86_400_000
const soon = () => selfSigned('expiring-idp', 5)
const later = () => selfSigned('later-idp', 20)

let app: TestApp
let auth: Record<string, string>
let orgId: string
let notAfter: number

async function expiringEvents(headers = auth, slug = 'acme') {
  const feed = (await (await app.request(`/api/v1/orgs/${slug}/events`, { headers })).json()) as {
    events: Array<{ type: string; data: Record<string, unknown> }>
  }
  return feed.events.filter((event) => event.type === 'integration.certificate_expiring')
}

beforeAll(async () => {
  app = createTestApp()
  const seeded = await seedOrg(app.store, 'acme')
  auth = seeded.auth
  orgId = seeded.org.id
  await setUpIntegration(app, 'acme', auth, { certificate: soon().certificate })
  notAfter = Date.parse(new X509Certificate(soon().certificate).validTo)
})

describe('certificate expiry notices', () => {
  let loop: ReturnType<typeof createMetadataRefresh>
  afterAll(() => loop?.stop())

  test('5 days before notAfter: one 7-day event (not a 30-day one too), once', async () => {
    const now = notAfter - 5 * DAY
    expect(await checkCertificateExpiry(app.store, now)).toBe(1)
    expect(await checkCertificateExpiry(app.store, now + 3600_000)).toBe(0)
    const events = await expiringEvents()
    expect(events).toHaveLength(1)
    expect(events[0]?.data).toMatchObject({
      certificate: 'current',
      daysBefore: 7,
      expiresInDays: 5,
      fingerprint: new X509Certificate(soon().certificate).fingerprint256,
    })
  })

  test('the 1-day threshold comes once, and an expired certificate is not announced', async () => {
    expect(await checkCertificateExpiry(app.store, notAfter - 12 * 3600_000)).toBe(1)
    expect(await checkCertificateExpiry(app.store, notAfter - 11 * 3600_000)).toBe(0)
    expect(await checkCertificateExpiry(app.store, notAfter + DAY)).toBe(0)
    expect((await expiringEvents()).map((event) => event.data.daysBefore)).toEqual([7, 1])
  })

  test('a next certificate 20 days from expiry gets its 30-day event; far ones none', async () => {
    const globex = await seedOrg(app.store, 'globex')
    await setUpIntegration(app, 'globex', globex.auth, {
      certificate: selfSigned('far-idp', 400).certificate,
    })
    expect(await checkCertificateExpiry(app.store, Date.now())).toBe(0)
    await setUpIntegration(app, 'globex', globex.auth, {
      certificate: selfSigned('far-idp', 400).certificate,
      nextCertificate: later().certificate,
    })
    expect(await checkCertificateExpiry(app.store, Date.now())).toBe(1)
    const events = await expiringEvents(globex.auth, 'globex')
    expect(events.map((event) => [event.data.certificate, event.data.daysBefore])).toEqual([['next', 30]])
  })

  test('the loop runs the check and /metrics shows seconds left by org', async () => {
    loop = createMetadataRefresh({
      store: app.store,
      log: silentLogger,
      metrics: app.deps.metrics,
      config: app.config,
      timing: { firstRunMs: 3600_000, pollMs: 3600_000 },
    })
    loop.start()
    const result = await loop.runOnce(notAfter - 5 * DAY, { checkExpiry: true })
    expect(result.expiringAnnounced).toBe(0)
    const metrics = await (await app.request('/metrics', { headers: METRICS_AUTH })).text()
    const line = metrics
      .split('\n')
      .find((row) =>
        row.startsWith('okta_bridge_idp_certificate_expiry_seconds{certificate="current",org="acme"}'),
      )
    const seconds = Number(line?.split(' ').at(-1))
    expect(seconds).toBeGreaterThan(4 * 86_400)
    expect(seconds).toBeLessThanOrEqual(5 * 86_400)
    expect(metrics).toContain('okta_bridge_idp_certificate_expiry_seconds{certificate="next",org="globex"}')
  })

  test('the console warns on the integration page', async () => {
    await seedAdmin(app, 'acme')
    const client = new ConsoleClient(app)
    await client.signIn('/orgs/acme', 'admin@acme.example')
    const { html } = await client.page('/orgs/acme/admin/integration')
    expect(html).toContain('id="cert-warning"')
    expect(orgId).toBeString()
  })
})
