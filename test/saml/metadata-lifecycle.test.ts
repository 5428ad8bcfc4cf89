/**
 * Set up from IdP metadata and rotate certificates automatically, end to end through the real app:
 * a plain-http IdP on 127.0.0.1 (the app runs with ALLOW_PRIVATE_OUTBOUND) serves metadata around
 * real certificates; the integration is set up by URL; sign-ins signed by xmlsec1 with A are
 * accepted; the metadata then lists A and B (B staged as next, both accepted), then only B (A
 * retired and refused, B accepted, `integration.certificate_rotated` in the feed). A failed fetch
 * keeps the last good values and shows `metadataError`; a redirect is never followed.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { X509Certificate } from 'node:crypto'
import { createMetadataRefresh } from '../../src/integration/metadata-refresh.ts'
import { silentLogger } from '../../src/observability/log.ts'
import { createTestApp, jsonBody, METRICS_AUTH, seedOrg, type TestApp } from '../support/app.ts'
import { selfSigned } from '../support/certs.ts'
import { idpMetadataXml, type MetadataServer, metadataServer, signMetadata } from '../support/idp-metadata.ts'
import { OKTA_SSO_URL, oktaResponse, postAcs, signResponse } from '../support/saml.ts'
import { insertAccount, lastSamlReason } from './fixture.ts'

const keyA = () => selfSigned('meta-idp-a')
const keyB = () => selfSigned('meta-idp-b')
const keyC = () => selfSigned('meta-idp-c')

let app: TestApp
let idp: MetadataServer
let auth: Record<string, string>
let orgId: string
const orgUrl = 'http://localhost:3000/orgs/acme'
const email = 'ada@acme.example'

type Status = Record<string, unknown> & {
  certificate: { fingerprintSha256: string } | null
  nextCertificate: { fingerprintSha256: string } | null
}

const fingerprint = (key: ReturnType<typeof keyA>) => new X509Certificate(key.certificate).fingerprint256

async function put(body: Record<string, unknown>, slug = 'acme', headers = auth) {
  const response = await app.request(`/api/v1/orgs/${slug}/okta`, {
    method: 'PUT',
    ...jsonBody(body, headers),
  })
  return {
    status: response.status,
    body: (await response.json()) as Status & { error?: Record<string, string> },
  }
}

async function refresh(slug = 'acme', headers = auth) {
  const response = await app.request(`/api/v1/orgs/${slug}/okta/metadata/refresh`, {
    method: 'POST',
    headers,
  })
  return {
    status: response.status,
    body: (await response.json()) as Status & { error?: Record<string, string> },
  }
}

const signIn = (key: ReturnType<typeof keyA>) =>
  postAcs(app, orgUrl, signResponse(oktaResponse({ orgUrl, email }), key, 'assertion'))

beforeAll(async () => {
  app = createTestApp({ trustProxy: { hops: 1 }, allowPrivateOutbound: true })
  const seeded = await seedOrg(app.store, 'acme')
  auth = seeded.auth
  orgId = seeded.org.id
  await insertAccount(app, orgId, email)
  idp = metadataServer()
})

afterAll(() => idp.stop())

describe('set up by metadata URL, then rotate by refresh', () => {
  test('PUT {metadataUrl}: the integration takes the SSO URL (Redirect), issuer, certificate and SLO from it', async () => {
    idp.serve(idpMetadataXml({ certificates: [keyA().certificate] }))
    const { status, body } = await put({ metadataUrl: idp.url() })
    expect(status).toBe(200)
    expect(body.scimToken).toStartWith('okb_scim_')
    expect(body.configured).toBe(true)
    expect(body.ssoUrl).toBe(OKTA_SSO_URL)
    expect(body.issuer).toBe('http://www.okta.com/exk1')
    expect(body.metadataUrl).toBe(idp.url())
    expect(body.metadataFetchedAt).toBeString()
    expect(body.metadataError).toBeNull()
    expect(body.idpSloUrl).toBe('https://acme.okta.com/app/exk1/slo/saml')
    expect(body.idpSloBinding).toBe('HTTP-Redirect')
    expect(body.spMetadataUrl).toBe(`${orgUrl}/okta/metadata`)
    expect(body.certificate?.fingerprintSha256).toBe(fingerprint(keyA()))
    expect(body.nextCertificate).toBeNull()
    expect((await signIn(keyA())).status).toBe(303)
  })

  test('the metadata lists A and B: B is staged as next, responses signed by either are accepted', async () => {
    idp.serve(idpMetadataXml({ certificates: [keyA().certificate, keyB().certificate] }))
    const { status, body } = await refresh()
    expect(status).toBe(200)
    expect(body.certificate?.fingerprintSha256).toBe(fingerprint(keyA()))
    expect(body.nextCertificate?.fingerprintSha256).toBe(fingerprint(keyB()))
    expect((await signIn(keyA())).status).toBe(303)
    expect((await signIn(keyB())).status).toBe(303)
  })

  test('the metadata lists only B: A is retired and refused, B accepted, the rotation is in the feed', async () => {
    idp.serve(idpMetadataXml({ certificates: [keyB().certificate] }))
    const { body } = await refresh()
    expect(body.certificate?.fingerprintSha256).toBe(fingerprint(keyB()))
    expect(body.nextCertificate).toBeNull()
    const refused = await signIn(keyA())
    expect(refused.status).not.toBe(303)
    expect(await lastSamlReason(app, orgId)).toBe('signature_invalid')
    expect((await signIn(keyB())).status).toBe(303)

    const feed = (await (await app.request('/api/v1/orgs/acme/events', { headers: auth })).json()) as {
      events: Array<{ type: string; data: Record<string, unknown> }>
    }
    const rotated = feed.events.filter((event) => event.type === 'integration.certificate_rotated')
    expect(rotated).toHaveLength(1)
    expect(rotated[0]?.data).toMatchObject({
      previousFingerprint: fingerprint(keyA()),
      fingerprint: fingerprint(keyB()),
      via: 'metadata',
    })
  })

  test('a failed fetch keeps the last good values, shows metadataError, is audited and counted', async () => {
    idp.answer(() => new Response('oops', { status: 500 }))
    const { status, body } = await refresh()
    expect(status).toBe(200)
    expect(body.metadataError).toContain('HTTP 500')
    expect(body.certificate?.fingerprintSha256).toBe(fingerprint(keyB()))
    expect(body.ssoUrl).toBe(OKTA_SSO_URL)
    expect((await signIn(keyB())).status).toBe(303)
    const audit = await app.store.audit.list(orgId, { kind: 'admin', limit: 5 })
    expect(audit[0]).toMatchObject({
      action: 'integration.metadata_refresh',
      outcome: 'failure',
      reason: 'metadata_refresh_failed',
    })
    const metrics = await (await app.request('/metrics', { headers: METRICS_AUTH })).text()
    expect(metrics).toMatch(/okta_bridge_idp_metadata_refreshes_total\{outcome="failure"\} [1-9]/)

    idp.serve(idpMetadataXml({ certificates: [keyB().certificate] }))
    expect((await refresh()).body.metadataError).toBeNull()
  })

  test('a redirect is the answer, never followed', async () => {
    let followed = 0
    idp.answer((request) => {
      if (new URL(request.url).pathname === '/moved') {
        followed++
        return new Response(idpMetadataXml({ certificates: [keyC().certificate] }))
      }
      return new Response(null, { status: 302, headers: { location: idp.url('/moved') } })
    })
    const { body } = await refresh()
    expect(body.metadataError).toContain('redirect')
    expect(followed).toBe(0)
    expect(body.certificate?.fingerprintSha256).toBe(fingerprint(keyB()))
  })

  test('signed metadata is verified with the trusted certificate: signed by B passes, by C is refused', async () => {
    idp.serve(
      signMetadata(idpMetadataXml({ certificates: [keyB().certificate, keyC().certificate] }), keyB()),
    )
    const good = await refresh()
    expect(good.body.metadataError).toBeNull()
    expect(good.body.nextCertificate?.fingerprintSha256).toBe(fingerprint(keyC()))
    idp.serve(signMetadata(idpMetadataXml({ certificates: [keyC().certificate] }), keyA()))
    const bad = await refresh()
    expect(bad.body.metadataError).toContain('signed, but not by the IdP certificate')
    expect(bad.body.certificate?.fingerprintSha256).toBe(fingerprint(keyB()))
  })

  test('the refresh loop fetches a due org once across two instances (lease metadata:<org>)', async () => {
    idp.serve(idpMetadataXml({ certificates: [keyB().certificate] }))
    const before = idp.requests
    const loop = (holder: string) =>
      createMetadataRefresh({
        store: app.store,
        log: silentLogger,
        metrics: app.deps.metrics,
        config: app.config,
        holder,
      })
    const [one, two] = [loop('instance-1'), loop('instance-2')]
    const later = Date.now() + 2 * 3600_000
    const results = await Promise.all([one.runOnce(later), two.runOnce(later)])
    expect(results.reduce((sum, result) => sum + result.refreshed, 0)).toBe(1)
    expect(idp.requests - before).toBe(1)
    const row = await app.store.idpMetadata.get(orgId)
    expect(row?.next_refresh_at).toBeGreaterThan(later + 0.8 * 3600_000)
    expect(row?.error).toBeNull()
    await Promise.all([one.stop(), two.stop()])
  })

  test('set up by hand again: the metadata URL is forgotten, a refresh is refused', async () => {
    const { body } = await put({
      ssoUrl: OKTA_SSO_URL,
      issuer: 'http://www.okta.com/exk1',
      certificate: keyA().certificate,
    })
    expect(body.metadataUrl).toBeNull()
    expect(body.idpSloUrl).toBeNull()
    const refused = await refresh()
    expect(refused.status).toBe(409)
    expect(refused.body.error?.code).toBe('NO_METADATA_URL')
    // The PUT changed the current certificate (B → A): a rotation by the admin.
    const feed = (await (await app.request('/api/v1/orgs/acme/events', { headers: auth })).json()) as {
      events: Array<{ type: string; data: Record<string, unknown> }>
    }
    expect(feed.events.filter((e) => e.type === 'integration.certificate_rotated').at(-1)?.data.via).toBe(
      'admin',
    )
  })
})
