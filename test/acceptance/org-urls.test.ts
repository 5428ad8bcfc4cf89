/**
 * PRODUCT.md §3 (org URLs), §4 SCIM/SAML and §5 (pages), in-process: for a path-based org and an
 * org with its own https origin served behind a TLS proxy (plain HTTP, Host kept), every Okta
 * value, the SP metadata, SP- and IdP-initiated sign-in landing on `{orgURL}/account` with the
 * cookie flags, `/me`, the SCIM base URL in SCIM's own media type, the admin pages; TRUST_PROXY.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { inflateRawSync } from 'node:zlib'
import { createAdmin } from '../../src/orgs/service.ts'
import { newId } from '../../src/store/ids.ts'
import { createTestApp, seedOrg, type TestApp } from '../support/app.ts'
import { selfSigned } from '../support/certs.ts'
import { setUpIntegration } from '../support/integration.ts'
import { OKTA_ISSUER, OKTA_SSO_URL, oktaResponse, signResponse, toBase64 } from '../support/saml.ts'

// biome-ignore lint/suspicious/noExplicitAny: bodies are checked field by field against the contract
type Body = any

const OWN = 'https://sso.globex.example'
const idp = () => selfSigned('okta-idp-acceptance')
const orgs = {
  acme: {
    slug: 'acme',
    orgUrl: 'http://localhost:3000/orgs/acme',
    id: '',
    auth: {} as Record<string, string>,
    scimToken: '',
  },
  globex: { slug: 'globex', orgUrl: OWN, id: '', auth: {} as Record<string, string>, scimToken: '' },
}
type OrgCase = (typeof orgs)['acme']

let app: TestApp

/**
 * A request to an org URL as it reaches the server: an own-origin request arrives from the TLS
 * proxy as plain HTTP with the browser's Host header.
 */
function send(orgCase: OrgCase, path: string, init: RequestInit = {}): Promise<Response> {
  if (orgCase.orgUrl !== OWN) return app.request(`${orgCase.orgUrl}${path}`, init)
  const headers = new Headers(init.headers)
  headers.set('host', 'sso.globex.example')
  return app.fetch(new Request(`http://sso.globex.example${path}`, { ...init, headers }))
}

async function insertOktaAccount(orgId: string, email: string): Promise<string> {
  const id = newId()
  const now = Date.now()
  await app.store.accounts.insert({
    id,
    org_id: orgId,
    email,
    email_lower: email.toLowerCase(),
    name: 'Ada Lovelace',
    source: 'okta',
    active: 1,
    role: 'member',
    scim_user_id: null,
    created_via_integration: 1,
    last_sign_in_at: null,
    created_at: now,
    updated_at: now,
  })
  return id
}

const cookieOf = (response: Response, name: string) =>
  response.headers.getSetCookie().find((c) => c.startsWith(`${name}=`)) ?? null

/** On an https org URL a cookie is `__Host-<name>_<orgId>` (Secure, Path=/); on http, `<name>`. */
const cookieName = (orgCase: OrgCase, name: string) =>
  orgCase.orgUrl.startsWith('https:') ? `__Host-${name}_${orgCase.id}` : name

beforeAll(async () => {
  app = createTestApp()
  for (const orgCase of Object.values(orgs)) {
    const seeded = await seedOrg(app.store, orgCase.slug, orgCase.orgUrl === OWN ? OWN : undefined)
    orgCase.auth = seeded.auth
    orgCase.id = seeded.org.id
    orgCase.scimToken = (
      await setUpIntegration(app, orgCase.slug, seeded.auth, {
        ssoUrl: OKTA_SSO_URL,
        issuer: OKTA_ISSUER,
        certificate: idp().certificate,
      })
    ).scimToken
    await insertOktaAccount(seeded.org.id, `ada@${orgCase.slug}.example`)
    await createAdmin(app.store, {
      orgSlug: orgCase.slug,
      email: `admin@${orgCase.slug}.example`,
      password: 'acceptance-password-1',
    })
  }
})

for (const orgCase of Object.values(orgs)) {
  const own = orgCase.orgUrl === OWN
  describe(`${own ? 'own-origin' : 'path-based'} org (${orgCase.orgUrl})`, () => {
    test('the Okta values derive from the org URL exactly', async () => {
      const status = (await (
        await app.request(`/api/v1/orgs/${orgCase.slug}/okta`, { headers: orgCase.auth })
      ).json()) as Body
      expect(status).toMatchObject({
        acsUrl: `${orgCase.orgUrl}/okta/auth`,
        audience: orgCase.orgUrl,
        scimBaseUrl: `${orgCase.orgUrl}/okta/scim`,
        spMetadataUrl: `${orgCase.orgUrl}/okta/metadata`,
        loginUrl: `${orgCase.orgUrl}/okta/login`,
      })
    })

    test('SP metadata at {orgURL}/okta/metadata names the entity ID and the ACS', async () => {
      const response = await send(orgCase, '/okta/metadata')
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toContain('application/samlmetadata+xml')
      const xml = await response.text()
      expect(xml).toContain(`entityID="${orgCase.orgUrl}"`)
      expect(xml).toContain(
        `Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${orgCase.orgUrl}/okta/auth"`,
      )
    })

    test('SP-initiated login at {orgURL}/okta/login sends an AuthnRequest for this org', async () => {
      const response = await send(orgCase, '/okta/login')
      expect(response.status).toBe(302)
      const location = new URL(response.headers.get('location') as string)
      expect(`${location.origin}${location.pathname}`).toBe(OKTA_SSO_URL)
      const xml = inflateRawSync(
        Buffer.from(location.searchParams.get('SAMLRequest') as string, 'base64'),
      ).toString()
      expect(xml).toContain(`AssertionConsumerServiceURL="${orgCase.orgUrl}/okta/auth"`)
      expect(xml).toContain(`>${orgCase.orgUrl}</saml:Issuer>`)
      const binding = cookieOf(response, cookieName(orgCase, 'okb_saml_request')) as string
      expect(binding).toContain(own ? 'Path=/;' : 'Path=/orgs/acme/okta')
      // Okta's POST back is cross-site: under https the binding cookie must be SameSite=None; Secure.
      if (own) expect(binding).toContain('SameSite=None; Secure')
    })

    test('IdP-initiated sign-in lands on {orgURL}/account; the session cookie reaches /me', async () => {
      const xml = signResponse(
        oktaResponse({ orgUrl: orgCase.orgUrl, email: `ADA@${orgCase.slug}.example` }),
        idp(),
        'assertion',
      )
      const response = await send(orgCase, '/okta/auth', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
        body: new URLSearchParams({ SAMLResponse: toBase64(xml) }).toString(),
      })
      expect(response.status).toBe(303)
      expect(response.headers.get('location')).toBe(`${orgCase.orgUrl}/account`)
      const session = cookieOf(response, cookieName(orgCase, 'okb_session')) as string
      expect(session).toContain('HttpOnly')
      expect(session).toContain('SameSite=Lax')
      expect(session).toContain(own ? 'Path=/' : 'Path=/orgs/acme')
      if (own) expect(session).toContain('Secure')
      else expect(session).not.toContain('Secure')
      const cookie = session.split(';')[0] as string

      const me = await send(orgCase, '/me', { headers: { cookie } })
      expect(me.status).toBe(200)
      expect(me.headers.get('content-type')).toContain('application/json')
      expect(await me.json()).toMatchObject({
        email: `ada@${orgCase.slug}.example`,
        name: 'Ada Lovelace',
        role: 'member',
        groups: [],
        source: 'okta',
      })
      const account = await send(orgCase, '/account', { headers: { cookie, accept: 'text/html' } })
      expect(account.status).toBe(200)
      expect(await account.text()).toContain(`ada@${orgCase.slug}.example`)
      // The session is this org's only.
      const other = orgCase.slug === 'acme' ? orgs.globex : orgs.acme
      expect((await send(other, '/me', { headers: { cookie } })).status).toBe(401)
    })

    test('SCIM at {orgURL}/okta/scim: scim+json in and out, 409 with scimType, enterprise extension', async () => {
      const scim = (path: string, method: string, body?: unknown) =>
        send(orgCase, `/okta/scim${path}`, {
          method,
          headers: { authorization: `Bearer ${orgCase.scimToken}`, 'content-type': 'application/scim+json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        })
      const enterprise = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
      const user = {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', enterprise],
        userName: `Grace.Hopper@${orgCase.slug}.example`,
        name: { givenName: 'Grace', familyName: 'Hopper' },
        emails: [{ value: `Grace.Hopper@${orgCase.slug}.example`, primary: true, type: 'work' }],
        active: true,
        [enterprise]: { employeeNumber: '7', department: 'Navy' },
      }
      const created = await scim('/Users', 'POST', user)
      expect(created.status).toBe(201)
      expect(created.headers.get('content-type')).toContain('application/scim+json')
      const body = (await created.json()) as Body
      expect(body.meta.location).toBe(`${orgCase.orgUrl}/okta/scim/Users/${body.id}`)
      expect(body[enterprise]).toEqual({ employeeNumber: '7', department: 'Navy' })

      const clash = await scim('/Users', 'POST', { ...user, userName: user.userName.toUpperCase() })
      expect(clash.status).toBe(409)
      expect(clash.headers.get('content-type')).toContain('application/scim+json')
      expect(await clash.json()).toMatchObject({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
        status: '409',
        scimType: 'uniqueness',
      })
      const filter = encodeURIComponent(`userName eq "grace.hopper@${orgCase.slug.toUpperCase()}.EXAMPLE"`)
      const found = (await (await scim(`/Users?filter=${filter}`, 'GET')).json()) as Body
      expect(found.totalResults).toBe(1)
      expect(found.Resources[0][enterprise].department).toBe('Navy')

      const malformed = await scim('/Users', 'POST')
      expect(malformed.status).toBe(400)
      expect(((await malformed.json()) as Body).scimType).toBe('invalidSyntax')
    })

    test('admin sign-in at {orgURL}/admin/login leads to Settings → Okta Integration', async () => {
      const login = await send(orgCase, '/admin/login', { headers: { accept: 'text/html' } })
      expect(login.status).toBe(200)
      expect(login.headers.get('content-security-policy')).toContain("default-src 'none'")
      const html = await login.text()
      const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] as string
      const csrfCookie = (cookieOf(login, cookieName(orgCase, 'okb_login_csrf')) as string).split(
        ';',
      )[0] as string
      const signIn = await send(orgCase, '/admin/login', {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          cookie: csrfCookie,
          accept: 'text/html',
        },
        body: new URLSearchParams({
          _csrf: csrf,
          email: `admin@${orgCase.slug}.example`,
          password: 'acceptance-password-1',
        }).toString(),
      })
      expect(signIn.status).toBe(303)
      const admin = (cookieOf(signIn, cookieName(orgCase, 'okb_admin')) as string).split(';')[0] as string
      const page = await send(orgCase, '/admin/integration', {
        headers: { cookie: admin, accept: 'text/html' },
      })
      expect(page.status).toBe(200)
      const settings = await page.text()
      for (const value of [`${orgCase.orgUrl}/okta/auth`, `${orgCase.orgUrl}/okta/scim`])
        expect(settings).toContain(value)
    })
  })
}

describe('TRUST_PROXY', () => {
  test('with TRUST_PROXY=1, X-Forwarded-Host/-Proto name the own origin', async () => {
    const behind = createTestApp({ trustProxy: { hops: 1 } })
    await seedOrg(behind.store, 'globex', OWN)
    const viaProxy = await behind.fetch(
      new Request('http://10.0.0.5:3000/okta/metadata', {
        headers: {
          host: '10.0.0.5:3000',
          'x-forwarded-host': 'sso.globex.example',
          'x-forwarded-proto': 'https',
        },
      }),
    )
    expect(viaProxy.status).toBe(200)
    expect(await viaProxy.text()).toContain(`entityID="${OWN}"`)
    // A proxy that keeps Host and only adds X-Forwarded-Proto is matched too.
    const keptHost = await behind.fetch(
      new Request('http://sso.globex.example/okta/metadata', {
        headers: { host: 'sso.globex.example', 'x-forwarded-proto': 'https' },
      }),
    )
    expect(keptHost.status).toBe(200)
    // Global routes stay global on the own origin.
    const health = await behind.fetch(new Request('http://sso.globex.example/healthz'))
    expect(health.status).toBe(200)
  })
})
