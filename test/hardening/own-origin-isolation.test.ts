/**
 * Issue 9, "own-origin isolation": on an org's own origin only that org exists. Another org's pages,
 * SAML endpoints, SCIM and admin API under `/orgs/{other}/…` or `/api/v1/orgs/{other}/…` answer 404
 * there in each surface's format, so a RelayState cannot lead onto another tenant on this origin;
 * the org's own `/orgs/{self}/…` keeps working, and the shared origin is unchanged.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { createAdmin } from '../../src/orgs/service.ts'
import { insertAccount } from '../saml/fixture.ts'
import { createTestApp, seedOrg, type TestApp } from '../support/app.ts'
import { selfSigned } from '../support/certs.ts'
import { setUpIntegration } from '../support/integration.ts'
import { OKTA_ISSUER, OKTA_SSO_URL, oktaResponse, signResponse, toBase64 } from '../support/saml.ts'

const OWN = 'https://sso.globex.example'
const idp = selfSigned('okta-idp-isolation')
let app: TestApp
const keys: Record<string, Record<string, string>> = {}
const scimTokens: Record<string, string> = {}

/** A request on the own origin as the TLS proxy passes it on: plain http, the browser's Host. */
function onOwnOrigin(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers)
  headers.set('host', 'sso.globex.example')
  return app.fetch(new Request(`http://sso.globex.example${path}`, { ...init, headers }))
}

beforeAll(async () => {
  app = createTestApp()
  for (const [slug, url] of [
    ['acme', undefined],
    ['globex', OWN],
  ] as const) {
    const seeded = await seedOrg(app.store, slug, url)
    keys[slug] = seeded.auth
    scimTokens[slug] = (
      await setUpIntegration(app, slug, seeded.auth, {
        ssoUrl: OKTA_SSO_URL,
        issuer: OKTA_ISSUER,
        certificate: idp.certificate,
      })
    ).scimToken
    await insertAccount(app, seeded.org.id, `ada@${slug}.example`)
    await createAdmin(app.store, {
      orgSlug: slug,
      email: `admin@${slug}.example`,
      password: 'isolation-pw-1',
    })
  }
})

describe('on an own origin, another org does not exist', () => {
  test('its pages are a 404 page', async () => {
    for (const path of ['/orgs/acme/admin/login', '/orgs/acme/account', '/orgs/acme/okta/metadata']) {
      const response = await onOwnOrigin(path, { headers: { accept: 'text/html' } })
      expect(response.status).toBe(404)
      expect(response.headers.get('content-type')).toContain('text/html')
    }
    // Percent-encoding the slug is the same slug.
    expect((await onOwnOrigin('/orgs/%61cme/okta/metadata')).status).toBe(404)
  })

  test('its ACS, SCIM and admin API are 404 in their own formats', async () => {
    const acs = await onOwnOrigin('/orgs/acme/okta/auth', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'SAMLResponse=x',
    })
    expect(acs.status).toBe(404)
    expect(acs.headers.get('content-type')).toContain('text/html')
    const scim = await onOwnOrigin('/orgs/acme/okta/scim/v2/Users', {
      headers: { authorization: `Bearer ${scimTokens.acme}` },
    })
    expect(scim.status).toBe(404)
    expect(scim.headers.get('content-type')).toContain('application/scim+json')
    expect((await scim.json()).schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error'])
    const api = await onOwnOrigin('/api/v1/orgs/acme/okta', { headers: keys.acme })
    expect(api.status).toBe(404)
    expect((await api.json()).error.code).toBe('ORG_NOT_FOUND')
  })

  test('a RelayState naming another org lands on a 404, never on its pages', async () => {
    const xml = signResponse(oktaResponse({ orgUrl: OWN, email: 'ada@globex.example' }), idp, 'assertion')
    const signIn = await onOwnOrigin('/okta/auth', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: new URLSearchParams({ SAMLResponse: toBase64(xml), RelayState: '/orgs/acme/account' }).toString(),
    })
    expect(signIn.status).toBe(303)
    // The path is on this origin, so RelayState is followed; what it leads to is no other org.
    const location = new URL(signIn.headers.get('location') as string)
    expect(location.href).toBe(`${OWN}/orgs/acme/account`)
    const cookie = (signIn.headers.getSetCookie()[0] as string).split(';')[0] as string
    const landed = await onOwnOrigin(location.pathname, { headers: { accept: 'text/html', cookie } })
    expect(landed.status).toBe(404)
    expect(await landed.text()).not.toContain('acme')
  })
})

describe('what stays', () => {
  test("the org's own /orgs/{self}/… and /api/v1/orgs/{self}/… keep working on its origin", async () => {
    const metadata = await onOwnOrigin('/orgs/globex/okta/metadata')
    expect(metadata.status).toBe(200)
    expect(await metadata.text()).toContain(`entityID="${OWN}"`)
    expect((await onOwnOrigin('/api/v1/orgs/globex/okta', { headers: keys.globex })).status).toBe(200)
    expect((await onOwnOrigin('/okta/metadata')).status).toBe(200)
    expect((await onOwnOrigin('/healthz')).status).toBe(200)
  })

  test('the shared origin serves every org as before', async () => {
    expect((await app.request('/orgs/acme/okta/metadata')).status).toBe(200)
    expect((await app.request('/orgs/globex/okta/metadata')).status).toBe(200)
    expect((await app.request('/api/v1/orgs/acme/okta', { headers: keys.acme })).status).toBe(200)
  })
})
