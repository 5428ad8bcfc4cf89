/**
 * Every page carries the one set of security headers of src/pages/headers.ts, whichever feature
 * answers it: the console, its sign-in page, the account page's answers, SAML pages, error pages
 * and /docs. The standalone pages' inline stylesheet is exactly the one their policy allows by
 * hash (or a browser would drop it). And nothing outside src/pages/ writes a security header or a
 * cookie of its own.
 */
import { describe, expect, test } from 'bun:test'
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { createTestApp, seedOrg } from '../support/app.ts'
import { ConsoleClient, seedAdmin } from './console-client.ts'

const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
const STANDALONE_CSP =
  /^default-src 'none'; style-src 'sha256-([A-Za-z0-9+/=]+)'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'$/
const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"

function expectPageHeaders(response: Response, csp: string | RegExp): void {
  expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
  const policy = response.headers.get('content-security-policy')
  if (typeof csp === 'string') expect(policy).toBe(csp)
  else expect(policy).toMatch(csp)
  expect(response.headers.get('x-frame-options')).toBe('DENY')
  expect(response.headers.get('x-content-type-options')).toBe('nosniff')
  expect(response.headers.get('referrer-policy')).toBe('no-referrer')
  expect(response.headers.get('cache-control')).toBe('no-store')
}

/** A standalone page: no script, and its one inline stylesheet is the one its policy names. */
async function expectStandalone(response: Response): Promise<string> {
  expectPageHeaders(response, STANDALONE_CSP)
  const html = await response.text()
  const hash = STANDALONE_CSP.exec(response.headers.get('content-security-policy') ?? '')?.[1]
  const styles = [...html.matchAll(/<style>([^<]*)<\/style>/g)].map((m) => m[1] as string)
  expect(styles).toHaveLength(1)
  expect(
    createHash('sha256')
      .update(styles[0] as string)
      .digest('base64'),
  ).toBe(hash as string)
  expect(html).not.toContain('<script')
  return html
}

describe('security headers of every page', () => {
  test('console pages and the admin sign-in page', async () => {
    const app = createTestApp()
    await seedOrg(app.store, 'acme')
    const admin = await seedAdmin(app, 'acme')
    const client = new ConsoleClient(app)
    expectPageHeaders(await client.get('/orgs/acme/admin/login'), CONSOLE_CSP)
    await client.signIn('/orgs/acme', admin.email)
    for (const path of ['integration', 'users', 'groups', 'duplicates', 'audit', 'access']) {
      const page = await client.get(`/orgs/acme/admin/${path}`)
      expect(page.status).toBe(200)
      expectPageHeaders(page, CONSOLE_CSP)
    }
    const expired = await client.post('/orgs/acme/admin/groups/mappings', { _csrf: 'stale' })
    expect(expired.status).toBe(403)
    expectPageHeaders(expired, CONSOLE_CSP)
  })

  test('the account page, SAML pages and error pages are standalone pages', async () => {
    const app = createTestApp()
    await seedOrg(app.store, 'acme')
    const browser = { accept: 'text/html' }
    const account = await app.request('/orgs/acme/account', { headers: browser })
    expect(account.status).toBe(401)
    expect(await expectStandalone(account)).toContain('<h1>You are not signed in</h1>')

    const saml = await app.request('/orgs/acme/okta/login', { headers: browser })
    expect(saml.status).toBe(404)
    await expectStandalone(saml)
    const acs = await app.request('/orgs/acme/okta/auth', {
      method: 'POST',
      headers: { ...browser, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'SAMLResponse=bm90IHhtbA%3D%3D',
    })
    expect(acs.status).toBeGreaterThanOrEqual(400)
    await expectStandalone(acs)

    const unknownOrg = await app.request('/orgs/nobody/admin/users', { headers: browser })
    expect(unknownOrg.status).toBe(404)
    expect(await expectStandalone(unknownOrg)).toContain('<h1>Not found</h1>')
    const noRoute = await app.request('/no/such/page', { headers: browser })
    expect(noRoute.status).toBe(404)
    await expectStandalone(noRoute)
    const signOut = await app.request('/orgs/acme/logout', { method: 'POST', headers: browser })
    expect(signOut.status).toBe(200)
    await expectStandalone(signOut)
  })

  test('/docs', async () => {
    const app = createTestApp()
    expectPageHeaders(await app.request('/docs'), DOCS_CSP)
  })
})

describe('one place for headers and cookies', () => {
  const src = resolve(import.meta.dir, '../../src')
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name)
      return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : []
    })
  const outsidePages = files(src).filter((file) => !relative(src, file).startsWith('pages/'))

  test('no file outside src/pages/ writes a page security header or builds a cookie', () => {
    const offenders = outsidePages.filter((file) =>
      /content-security-policy|x-frame-options|referrer-policy|HttpOnly;|Path=\/|SameSite=/i.test(
        readFileSync(file, 'utf8').replace(/^\s*(\*|\/\/).*$/gm, ''),
      ),
    )
    expect(offenders.map((file) => relative(src, file))).toEqual([])
  })
})
