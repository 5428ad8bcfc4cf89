/**
 * One cookie rule for every cookie (src/pages/cookies.ts, issue 9): on an https org URL the name is
 * `__Host-okb_<kind>_<orgId>` with Secure, Path=/ and no Domain, so orgs sharing an origin keep
 * their cookies apart by name; on http the plain name, scoped by the org's path. Reading follows
 * the same rule. End to end: admin sign-in, SSO sign-in and the SP-initiated binding cookie on a
 * shared https origin.
 */
import { describe, expect, test } from 'bun:test'
import { type CookieKind, clearCookie, cookieScope, readCookie, setCookie } from '../../src/pages/cookies.ts'
import { cookiePair, idpKey, insertAccount, seedSamlOrg } from '../saml/fixture.ts'
import { createTestApp, type TestApp } from '../support/app.ts'
import { oktaResponse, postAcs, signResponse } from '../support/saml.ts'
import { ConsoleClient, seedAdmin } from '../web/console-client.ts'

const ID = '6f1c2a9e-0000-4000-8000-000000000001'

describe('cookie names and attributes', () => {
  const cases: [string, string, Record<CookieKind, string>][] = [
    [
      'http, path-based',
      'http://localhost:3000/orgs/acme',
      {
        session: 'okb_session=v; Path=/orgs/acme; HttpOnly; Max-Age=60; SameSite=Lax',
        admin: 'okb_admin=v; Path=/orgs/acme; HttpOnly; Max-Age=60; SameSite=Lax',
        loginCsrf: 'okb_login_csrf=v; Path=/orgs/acme; HttpOnly; Max-Age=60; SameSite=Strict',
        firstRunCsrf: 'okb_first_run_csrf=v; Path=/orgs/acme; HttpOnly; Max-Age=60; SameSite=Strict',
        samlRequest: 'okb_saml_request=v; Path=/orgs/acme/okta; HttpOnly; Max-Age=60',
      },
    ],
    [
      'http, own origin',
      'http://acme.local:8080',
      {
        session: 'okb_session=v; Path=/; HttpOnly; Max-Age=60; SameSite=Lax',
        admin: 'okb_admin=v; Path=/; HttpOnly; Max-Age=60; SameSite=Lax',
        loginCsrf: 'okb_login_csrf=v; Path=/; HttpOnly; Max-Age=60; SameSite=Strict',
        firstRunCsrf: 'okb_first_run_csrf=v; Path=/; HttpOnly; Max-Age=60; SameSite=Strict',
        samlRequest: 'okb_saml_request=v; Path=/okta; HttpOnly; Max-Age=60',
      },
    ],
    ...['https://sso.example.com/orgs/acme', 'https://acme.example.com'].map(
      (url): [string, string, Record<CookieKind, string>] => [
        url.includes('/orgs/') ? 'https, shared origin' : 'https, own origin',
        url,
        {
          session: `__Host-okb_session_${ID}=v; Path=/; HttpOnly; Max-Age=60; SameSite=Lax; Secure`,
          admin: `__Host-okb_admin_${ID}=v; Path=/; HttpOnly; Max-Age=60; SameSite=Lax; Secure`,
          loginCsrf: `__Host-okb_login_csrf_${ID}=v; Path=/; HttpOnly; Max-Age=60; SameSite=Strict; Secure`,
          firstRunCsrf: `__Host-okb_first_run_csrf_${ID}=v; Path=/; HttpOnly; Max-Age=60; SameSite=Strict; Secure`,
          samlRequest: `__Host-okb_saml_request_${ID}=v; Path=/; HttpOnly; Max-Age=60; SameSite=None; Secure`,
        },
      ],
    ),
  ]
  for (const [label, url, expected] of cases) {
    test(`${label} (${url})`, () => {
      const scope = cookieScope(ID, url)
      for (const kind of Object.keys(expected) as CookieKind[]) {
        expect(setCookie(kind, scope, 'v', 60)).toBe(expected[kind])
        expect(clearCookie(kind, scope)).toBe(
          expected[kind].replace('=v;', '=;').replace('Max-Age=60', 'Max-Age=0'),
        )
        expect(setCookie(kind, scope, 'v', 60)).not.toContain('Domain')
      }
    })
  }

  test("reading follows the same rule: another org's cookie or an unprefixed one is not there", () => {
    const acme = cookieScope('acme-id', 'https://sso.example.com/orgs/acme')
    const globex = cookieScope('globex-id', 'https://sso.example.com/orgs/globex')
    const header = 'okb_session=old; __Host-okb_session_globex-id=g; __Host-okb_session_acme-id=a'
    expect(readCookie(header, 'session', acme)).toBe('a')
    expect(readCookie(header, 'session', globex)).toBe('g')
    expect(readCookie(header, 'admin', acme)).toBeNull()
    expect(readCookie('okb_session=old', 'session', acme)).toBeNull()
    expect(readCookie('okb_session=plain', 'session', cookieScope('x', 'http://localhost/orgs/acme'))).toBe(
      'plain',
    )
  })
})

const SHARED = 'https://sso.example.com'

function sharedOrigin(): TestApp {
  return createTestApp({ publicUrl: SHARED, trustProxy: { hops: 1 } })
}

describe('two orgs on one https origin', () => {
  test('admin sign-in: each org has its own __Host- cookie, one browser can hold both, sign-out ends one', async () => {
    const app = sharedOrigin()
    const acme = await seedSamlOrg(app, 'acme')
    const globex = await seedSamlOrg(app, 'globex')
    const acmeAdmin = await seedAdmin(app, 'acme')
    const globexAdmin = await seedAdmin(app, 'globex')
    const browser = new ConsoleClient(app, SHARED)

    const signedIn = await browser.signIn('/orgs/acme', acmeAdmin.email)
    expect(signedIn.status).toBe(303)
    const adminCookie = signedIn.headers
      .getSetCookie()
      .find((c) => c.startsWith(`__Host-okb_admin_${acme.orgId}=`))
    expect(adminCookie).toMatch(/; Path=\/; HttpOnly; Max-Age=\d+; SameSite=Lax; Secure$/)
    // The sign-in form's CSRF cookie is cleared under its own __Host- name.
    expect(browser.cookies.has(`__Host-okb_login_csrf_${acme.orgId}`)).toBe(false)
    expect((await browser.get('/orgs/acme/admin/integration')).status).toBe(200)
    // Path=/ sends acme's cookie to globex's console too: the name keeps it out.
    expect((await browser.get('/orgs/globex/admin/integration')).status).toBe(303)

    expect((await browser.signIn('/orgs/globex', globexAdmin.email)).status).toBe(303)
    expect([...browser.cookies.keys()].sort()).toEqual(
      [`__Host-okb_admin_${acme.orgId}`, `__Host-okb_admin_${globex.orgId}`].sort(),
    )
    expect((await browser.get('/orgs/acme/admin/integration')).status).toBe(200)
    const page = await browser.page('/orgs/globex/admin/integration')
    expect(page.status).toBe(200)

    const out = await browser.post('/orgs/globex/admin/logout', { _csrf: page.csrf })
    expect(out.status).toBe(303)
    expect(out.headers.getSetCookie()).toEqual([
      `__Host-okb_admin_${globex.orgId}=; Path=/; HttpOnly; Max-Age=0; SameSite=Lax; Secure`,
    ])
    expect((await browser.get('/orgs/globex/admin/integration')).status).toBe(303)
    expect((await browser.get('/orgs/acme/admin/integration')).status).toBe(200)
  })

  test('SSO sign-in sets __Host-okb_session_<orgId>, which reaches /me of that org only', async () => {
    const app = sharedOrigin()
    const acme = await seedSamlOrg(app, 'acme')
    const globex = await seedSamlOrg(app, 'globex')
    const acmeUrl = `${SHARED}/orgs/acme`
    await insertAccount(app, globex.orgId, acme.email)
    const response = await postAcs(
      app,
      acmeUrl,
      signResponse(oktaResponse({ orgUrl: acmeUrl, email: acme.email }), idpKey()),
    )
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe(`${acmeUrl}/account`)
    const name = `__Host-okb_session_${acme.orgId}`
    const setCookie = response.headers.getSetCookie().find((c) => c.startsWith(`${name}=`)) as string
    expect(setCookie).toMatch(/; Path=\/; HttpOnly; Max-Age=\d+; SameSite=Lax; Secure$/)
    const cookie = cookiePair(response, name) as string
    expect((await app.request(`${acmeUrl}/me`, { headers: { cookie } })).status).toBe(200)
    expect((await app.request(`${SHARED}/orgs/globex/me`, { headers: { cookie } })).status).toBe(401)
    const out = await app.request(`${acmeUrl}/logout`, {
      method: 'POST',
      headers: { cookie, origin: SHARED },
    })
    expect(out.headers.getSetCookie()).toEqual([
      `${name}=; Path=/; HttpOnly; Max-Age=0; SameSite=Lax; Secure`,
    ])
    expect((await app.request(`${acmeUrl}/me`, { headers: { cookie } })).status).toBe(401)
  })

  test('the SP-initiated binding cookie is __Host-, SameSite=None, and is read back under the same name', async () => {
    const app = sharedOrigin()
    const acme = await seedSamlOrg(app, 'acme')
    const name = `__Host-okb_saml_request_${acme.orgId}`
    const first = await app.request(`${SHARED}/orgs/acme/okta/login`)
    expect(first.status).toBe(302)
    const binding = first.headers.getSetCookie().find((c) => c.startsWith(`${name}=`)) as string
    expect(binding).toMatch(/; Path=\/; HttpOnly; Max-Age=600; SameSite=None; Secure$/)
    // A second start in the same browser keeps its binding token: the cookie was read back.
    const pair = cookiePair(first, name) as string
    const again = await app.request(`${SHARED}/orgs/acme/okta/login`, { headers: { cookie: pair } })
    expect(cookiePair(again, name)).toBe(pair)
    const fresh = await app.request(`${SHARED}/orgs/acme/okta/login`, {
      headers: { cookie: pair.replace(name, 'okb_saml_request') },
    })
    expect(cookiePair(fresh, name)).not.toBe(pair)
  })
})
