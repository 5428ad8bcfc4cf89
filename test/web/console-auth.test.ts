/**
 * Admin sign-in, sessions and CSRF of the web console, in process: redirects with a safe `next`,
 * rate limiting, the session cookie's scope, org isolation, sign-out, expired sessions, and the
 * admin API accepting the console cookie only with the CSRF header for changes.
 */
import { describe, expect, test } from 'bun:test'
import { safeNext } from '../../src/admin/sign-in.ts'
import { ABSOLUTE_MS, issueSession } from '../../src/sessions/service.ts'
import { createTestApp, jsonBody, seedOrg } from '../support/app.ts'
import { selfSigned } from '../support/certs.ts'
import { ConsoleClient, csrfOf, seedAdmin } from './console-client.ts'

const BASE = '/orgs/acme'

async function setUp() {
  const app = createTestApp()
  await seedOrg(app.store, 'acme')
  await seedOrg(app.store, 'globex')
  const admin = await seedAdmin(app, 'acme')
  return { app, admin }
}

describe('admin sign-in', () => {
  test('a page without a session sends the browser to sign-in and back to where it was', async () => {
    const { app, admin } = await setUp()
    const client = new ConsoleClient(app)
    const first = await client.get(`${BASE}/admin/integration?x=1`)
    expect(first.status).toBe(303)
    expect(first.headers.get('location')).toBe(
      `${BASE}/admin/login?next=${encodeURIComponent(`${BASE}/admin/integration?x=1`)}`,
    )
    const signedIn = await client.signIn(BASE, admin.email, undefined, `${BASE}/admin/integration?x=1`)
    expect(signedIn.status).toBe(303)
    expect(signedIn.headers.get('location')).toBe(`${BASE}/admin/integration?x=1`)
    const cookie = signedIn.headers.getSetCookie().find((c) => c.startsWith('okb_admin='))
    expect(cookie).toContain('Path=/orgs/acme')
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('SameSite=Lax')
    const page = await client.get(`${BASE}/admin/integration`)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain(admin.email)
  })

  test('the login page carries the strict CSP, no inline script, and escapes the org name', async () => {
    const app = createTestApp()
    const { createOrg } = await import('../../src/orgs/service.ts')
    await createOrg(app.store, { slug: 'evil', name: '<script>alert("x")</script>' })
    const response = await new ConsoleClient(app).get('/orgs/evil/admin/login')
    const html = await response.text()
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
    expect(response.headers.get('x-frame-options')).toBe('DENY')
    expect(html).not.toContain('<script>alert')
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;')
    // Every script has a src on our own path; no inline code, no other origin.
    for (const tag of html.match(/<script[^>]*>/g) ?? [])
      expect(tag).toMatch(/src="\/orgs\/evil\/admin\/assets\//)
    expect(html).not.toMatch(/https?:\/\/(?!localhost)/)
  })

  test('a wrong password gets one generic answer; five failures lock the email for a while', async () => {
    const { app, admin } = await setUp()
    const client = new ConsoleClient(app)
    const wrong = await client.signIn(BASE, admin.email, 'not the password at all')
    expect(wrong.status).toBe(401)
    const unknown = await client.signIn(BASE, 'nobody@acme.example', 'not the password at all')
    expect(unknown.status).toBe(401)
    expect(await wrong.text()).toContain('do not match an admin')
    for (let i = 0; i < 4; i++) await client.signIn(BASE, admin.email, 'still wrong password')
    const locked = await client.signIn(BASE, admin.email)
    expect(locked.status).toBe(429)
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(client.cookies.has('okb_admin')).toBe(false)
    const acmeId = (await app.store.orgs.bySlug('acme'))!.id
    const failures = await app.store.audit.list(acmeId, { kind: 'admin', limit: 20 })
    expect(failures.filter((row) => row.action === 'admin.sign_in' && row.outcome === 'failure').length).toBe(
      7,
    )
  })

  test('the sign-in form needs its CSRF pair', async () => {
    const { app, admin } = await setUp()
    const client = new ConsoleClient(app)
    const html = await (await client.get(`${BASE}/admin/login`)).text()
    client.cookies.clear() // a cross-site form post: no login CSRF cookie
    const response = await client.post(`${BASE}/admin/login`, {
      _csrf: csrfOf(html),
      email: admin.email,
      password: 'correct horse battery staple',
    })
    expect(response.status).toBe(403)
    expect(client.cookies.has('okb_admin')).toBe(false)
  })

  test('next only ever leads inside this org console', () => {
    expect(safeNext('https://evil.example/admin', '/orgs/acme')).toBe('/orgs/acme/admin/integration')
    expect(safeNext('//evil.example/orgs/acme/admin', '/orgs/acme')).toBe('/orgs/acme/admin/integration')
    expect(safeNext('/orgs/globex/admin/users', '/orgs/acme')).toBe('/orgs/acme/admin/integration')
    expect(safeNext('/orgs/acme/admin/../../globex/admin', '/orgs/acme')).toBe('/orgs/acme/admin/integration')
    expect(safeNext('/orgs/acme/admin\\@evil', '/orgs/acme')).toBe('/orgs/acme/admin/integration')
    expect(safeNext('/orgs/acme/admin/users?q=a', '/orgs/acme')).toBe('/orgs/acme/admin/users?q=a')
    expect(safeNext('/admin/users', '')).toBe('/admin/users')
    expect(safeNext('//admin/users', '')).toBe('/admin/integration')
  })
})

describe('sessions', () => {
  test("an admin of one org never opens another org's console or API", async () => {
    const { app, admin } = await setUp()
    const client = new ConsoleClient(app)
    await client.signIn(BASE, admin.email)
    const session = client.cookies.get('okb_admin') as string
    // Even sent deliberately to the other org's paths, the cookie is no session there.
    const page = await app.request('/orgs/globex/admin/integration', {
      headers: { cookie: `okb_admin=${session}`, accept: 'text/html' },
    })
    expect(page.status).toBe(303)
    expect(page.headers.get('location')).toStartWith('/orgs/globex/admin/login')
    const api = await app.request('/api/v1/orgs/globex/okta', { headers: { cookie: `okb_admin=${session}` } })
    expect(api.status).toBe(401)
    const own = await app.request('/api/v1/orgs/acme/okta', { headers: { cookie: `okb_admin=${session}` } })
    expect(own.status).toBe(200)
  })

  test('the admin API takes the console cookie, and changes only with the X-CSRF-Token header', async () => {
    const { app, admin } = await setUp()
    const client = new ConsoleClient(app)
    await client.signIn(BASE, admin.email)
    const { csrf } = await client.page(`${BASE}/admin/integration`)
    const body = {
      ssoUrl: 'https://acme.okta.com/app/x/sso/saml',
      issuer: 'http://www.okta.com/exk1',
      certificate: selfSigned().certificate,
    }
    const cookie = `okb_admin=${client.cookies.get('okb_admin')}`
    const refused = await app.request('/api/v1/orgs/acme/okta', {
      method: 'PUT',
      ...jsonBody(body, { cookie }),
    })
    expect(refused.status).toBe(403)
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('CSRF_TOKEN_INVALID')
    expect(await app.store.integrations.get((await app.store.orgs.bySlug('acme'))!.id)).toBeNull()
    const accepted = await app.request('/api/v1/orgs/acme/okta', {
      method: 'PUT',
      ...jsonBody(body, { cookie, 'x-csrf-token': csrf }),
    })
    expect(accepted.status).toBe(200)
    expect(((await accepted.json()) as { scimToken: string }).scimToken).toStartWith('okb_scim_')
  })

  test('an expired session sends the admin to sign-in, then back', async () => {
    const { app, admin } = await setUp()
    const org = (await app.store.orgs.bySlug('acme'))!
    const old = await issueSession(
      app.store,
      { orgId: org.id, kind: 'admin', subjectId: admin.id },
      Date.now() - ABSOLUTE_MS - 1000,
    )
    const client = new ConsoleClient(app)
    client.cookies.set('okb_admin', old.token)
    const response = await client.get(`${BASE}/admin/integration`)
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toContain(
      `next=${encodeURIComponent(`${BASE}/admin/integration`)}`,
    )
  })

  test('sign-out needs the CSRF token and ends the session', async () => {
    const { app, admin } = await setUp()
    const client = new ConsoleClient(app)
    await client.signIn(BASE, admin.email)
    const token = client.cookies.get('okb_admin') as string
    const { csrf } = await client.page(`${BASE}/admin/integration`)
    await client.post(`${BASE}/admin/logout`, { _csrf: 'forged' })
    expect((await client.get(`${BASE}/admin/integration`)).status).toBe(200)
    const out = await client.post(`${BASE}/admin/logout`, { _csrf: csrf })
    expect(out.status).toBe(303)
    expect(out.headers.get('location')).toBe(`${BASE}/admin/login`)
    const again = await app.request(`${BASE}/admin/integration`, {
      headers: { cookie: `okb_admin=${token}` },
    })
    expect(again.status).toBe(303)
  })

  test('an org on its own origin has its console at the origin root', async () => {
    const app = createTestApp()
    const { org } = await seedOrg(app.store, 'initech', 'https://initech.example')
    const admin = await seedAdmin(app, 'initech')
    const client = new ConsoleClient(app, 'https://initech.example')
    const first = await client.get('/admin/integration')
    expect(first.headers.get('location')).toBe(
      `/admin/login?next=${encodeURIComponent('/admin/integration')}`,
    )
    const signedIn = await client.signIn('', admin.email, undefined, '/admin/integration')
    expect(signedIn.headers.get('location')).toBe('/admin/integration')
    // https: a __Host- name (Secure, Path=/, no Domain) that carries the org id.
    const cookie = signedIn.headers.getSetCookie().find((c) => c.startsWith(`__Host-okb_admin_${org.id}=`))
    expect(cookie).toContain('Path=/;')
    expect(cookie).toContain('Secure')
    const { html } = await client.page('/admin/integration')
    expect(html).toContain('href="/admin/assets/console.css')
    expect(html).toContain('https://initech.example/okta/scim')
  })
})
