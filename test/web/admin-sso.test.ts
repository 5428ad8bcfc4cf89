/**
 * Issue 12, enforcement, over HTTP with real signed SAML (xmlsec1), the real store and the real sync
 * scheduler (roles come from Okta groups through the role mappings):
 * - `{orgURL}/admin/sso` → Okta → ACS lands an admin-mapped account in the console with an admin
 *   session (cookie Max-Age = sessionMaxHours), as an `admins` row of source 'sso' that the
 *   principal and the audit log name; the next sign-in reuses it; a password admin with the same
 *   email is linked, not duplicated;
 * - a member is refused with a page and an audit row; a deactivated account is refused; an
 *   IdP-initiated response never opens the console; losing the admin role in Okta ends the session;
 * - `requireSsoForAdmins`: refused before the integration exists; then password sign-in works only
 *   for break-glass admins (audited `admin.break_glass_sign_in`), others get one message that
 *   points at "Sign in with Okta";
 * - `okta-bridge admin create --break-glass` (the CLI runner on a store file) and `admin list`.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inflateRawSync } from 'node:zlib'
import { runStoreCommand } from '../../src/cli/commands.ts'
import { parseFlags } from '../../src/config/flags.ts'
import { loadConfig } from '../../src/config/index.ts'
import { createApp, createFetch } from '../../src/http/app.ts'
import { silentLogger } from '../../src/observability/log.ts'
import { createAdmin, createApiKey } from '../../src/orgs/service.ts'
import { openStore } from '../../src/store/index.ts'
import { createScheduler } from '../../src/sync/scheduler.ts'
import { idpKey } from '../saml/fixture.ts'
import { createTestApp, jsonBody, PUBLIC_URL, seedOrg, type TestApp } from '../support/app.ts'
import { directoryWriter } from '../support/directory.ts'
import { setUpIntegration } from '../support/integration.ts'
import { OKTA_ISSUER, OKTA_SSO_URL, oktaResponse, signResponse, toBase64 } from '../support/saml.ts'
import { ADMIN_PASSWORD, ConsoleClient } from './console-client.ts'

// Each test signs SAML responses with xmlsec1 and hashes argon2id passwords: room on a busy machine.
const SLOW = 30_000

// biome-ignore lint/suspicious/noExplicitAny: bodies are checked field by field
type Body = any

let clientCounter = 0
/** One client address per call, so the per-client sign-in throttles never meet. */
const nextClient = () => `10.77.${Math.floor(++clientCounter / 250)}.${clientCounter % 250}`

async function testbed(slug = 'acme') {
  const app = createTestApp({ trustProxy: { hops: 1 } })
  const scheduler = createScheduler({
    store: app.store,
    log: silentLogger,
    metrics: app.deps.metrics,
    config: app.config,
  })
  const { org, auth } = await seedOrg(app.store, slug)
  await setUpIntegration(app, slug, auth, {
    ssoUrl: OKTA_SSO_URL,
    issuer: OKTA_ISSUER,
    certificate: idpKey().certificate,
  })
  const mapped = await app.request(`/api/v1/orgs/${slug}/role-mappings`, {
    method: 'PUT',
    ...jsonBody({ mappings: [{ group: 'Okta Admins', role: 'admin' }] }, auth),
  })
  expect(mapped.status).toBe(200)
  const dir = directoryWriter(app.store, org.id)
  const adminsGroup = await dir.group('Okta Admins')
  const grace = await dir.user({
    userName: `grace@${slug}.example`,
    givenName: 'Grace',
    familyName: 'Hopper',
  })
  const bob = await dir.user({ userName: `bob@${slug}.example` })
  await dir.addMembers(adminsGroup, [grace])
  await scheduler.drain()
  const orgUrl = `${PUBLIC_URL}/orgs/${slug}`
  return { app, scheduler, org, auth, dir, adminsGroup, grace, bob, orgUrl, slug }
}
type Testbed = Awaited<ReturnType<typeof testbed>>

/** The AuthnRequest ID inside an HTTP-Redirect binding URL. */
function requestIdOf(location: string): string {
  const encoded = new URL(location).searchParams.get('SAMLRequest') as string
  const xml = inflateRawSync(Buffer.from(encoded, 'base64')).toString()
  return /ID="([^"]+)"/.exec(xml)?.[1] as string
}

/** Posts a signed Okta response to the ACS from this browser. */
function postResponse(bed: Testbed, browser: ConsoleClient, xml: string, client: string) {
  return browser.request(`/orgs/${bed.slug}/okta/auth`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': client },
    body: new URLSearchParams({ SAMLResponse: toBase64(xml) }).toString(),
  })
}

/** "Sign in with Okta": /admin/sso, then Okta's signed answer to that request posted back. */
async function consoleSignIn(bed: Testbed, browser: ConsoleClient, email: string, next?: string) {
  const client = nextClient()
  const query = next ? `?next=${encodeURIComponent(next)}` : ''
  const start = await browser.request(`/orgs/${bed.slug}/admin/sso${query}`, {
    headers: { 'x-forwarded-for': client },
  })
  expect(start.status).toBe(302)
  const location = start.headers.get('location') as string
  expect(location.startsWith(`${OKTA_SSO_URL}?SAMLRequest=`)).toBe(true)
  const answer = oktaResponse({ orgUrl: bed.orgUrl, email, inResponseTo: requestIdOf(location) })
  return postResponse(bed, browser, signResponse(answer, idpKey(), 'both'), client)
}

const audit = async (bed: Testbed, kind: 'admin' | 'saml') =>
  bed.app.store.audit.list(bed.org.id, { kind, limit: 50 })

describe('console sign-in with Okta', () => {
  test(
    'the sign-in page offers it once the integration is set up',
    async () => {
      const bed = await testbed()
      const page = await new ConsoleClient(bed.app).page(`/orgs/acme/admin/login?next=/orgs/acme/admin/users`)
      expect(page.html).toContain(
        `href="/orgs/acme/admin/sso?next=${encodeURIComponent('/orgs/acme/admin/users')}"`,
      )
      expect(page.html).toContain('Sign in with Okta')
      const bare = await seedOrg(bed.app.store, 'bare')
      expect(bare.org.slug).toBe('bare')
      const barePage = await new ConsoleClient(bed.app).page('/orgs/bare/admin/login')
      expect(barePage.html).not.toContain('Sign in with Okta')
      const refused = await new ConsoleClient(bed.app).request('/orgs/bare/admin/sso', {
        headers: { 'x-forwarded-for': nextClient() },
      })
      expect(refused.status).toBe(404)
    },
    SLOW,
  )

  test(
    'an admin-mapped account lands in the console with an admin session named in principal and audit',
    async () => {
      const bed = await testbed()
      const browser = new ConsoleClient(bed.app)
      const landed = await consoleSignIn(bed, browser, 'Grace@acme.example', '/orgs/acme/admin/users')
      expect(landed.status).toBe(303)
      expect(landed.headers.get('location')).toBe(`${bed.orgUrl}/admin/users`)
      const cookie = landed.headers.getSetCookie().find((c) => c.startsWith('okb_admin=')) as string
      expect(cookie).toContain('HttpOnly')
      expect(cookie).toContain('SameSite=Lax')
      expect(cookie).toContain(`Max-Age=${168 * 3600}`)
      // A console sign-in is no account-page session.
      expect(landed.headers.getSetCookie().some((c) => c.startsWith('okb_session='))).toBe(false)

      const users = await browser.page('/orgs/acme/admin/users')
      expect(users.status).toBe(200)
      expect(users.html).toContain('grace@acme.example')
      expect(users.html).toContain('title="Signed in with Okta"')

      // The admin row made by this first sign-in.
      const list = (await (
        await bed.app.request('/api/v1/orgs/acme/admins', { headers: bed.auth })
      ).json()) as Body
      const sso = list.items.find((a: Body) => a.email === 'grace@acme.example')
      const account = await bed.app.store.accounts.byScimUser(bed.org.id, bed.grace)
      expect(sso).toMatchObject({ source: 'sso', breakGlass: false, accountId: account?.id })

      const adminRows = await audit(bed, 'admin')
      const signedIn = adminRows.find((row) => row.action === 'admin.signed_in')
      expect(signedIn?.actor).toBe(`admin:${sso.id}`)
      expect(JSON.parse(signedIn?.data ?? '{}')).toMatchObject({
        method: 'okta',
        email: 'grace@acme.example',
        accountId: account?.id,
      })
      const created = adminRows.find((row) => row.action === 'admin.created' && row.subject === sso.id)
      expect(JSON.parse(created?.data ?? '{}')).toMatchObject({ source: 'sso' })
      const saml = (await audit(bed, 'saml'))[0]
      expect(JSON.parse(saml?.data ?? '{}')).toMatchObject({ flow: 'sp_initiated', purpose: 'console' })

      // An action in the console is audited as that admin.
      const access = await browser.page('/orgs/acme/admin/access')
      const made = await browser.post('/orgs/acme/admin/access/api-keys', {
        _csrf: access.csrf,
        keyName: 'ci',
      })
      expect(made.status).toBe(200)
      const keyRow = (await audit(bed, 'admin')).find((row) => row.action === 'api_key.created')
      expect(keyRow?.actor).toBe(`admin:${sso.id}`)

      // A second sign-in is the same admin, not a new row.
      const again = await consoleSignIn(bed, new ConsoleClient(bed.app), 'grace@acme.example')
      expect(again.headers.get('location')).toBe(`${bed.orgUrl}/admin/integration`)
      const after = (await (
        await bed.app.request('/api/v1/orgs/acme/admins', { headers: bed.auth })
      ).json()) as Body
      expect(after.items.filter((a: Body) => a.email === 'grace@acme.example')).toHaveLength(1)
    },
    SLOW,
  )

  test(
    'an existing password admin with the account email is linked, not duplicated',
    async () => {
      const bed = await testbed()
      const existing = await createAdmin(bed.app.store, {
        orgSlug: 'acme',
        email: 'grace@acme.example',
        password: ADMIN_PASSWORD,
      })
      const browser = new ConsoleClient(bed.app)
      expect((await consoleSignIn(bed, browser, 'grace@acme.example')).status).toBe(303)
      const list = (await (
        await bed.app.request('/api/v1/orgs/acme/admins', { headers: bed.auth })
      ).json()) as Body
      const grace = list.items.filter((a: Body) => a.email === 'grace@acme.example')
      expect(grace).toHaveLength(1)
      expect(grace[0]).toMatchObject({ id: existing.id, source: 'password' })
      expect(grace[0].accountId).not.toBeNull()
      expect((await audit(bed, 'admin')).some((row) => row.action === 'admin.linked_to_account')).toBe(true)
    },
    SLOW,
  )

  test(
    'a member is refused with a page and an audit row; so is a deactivated admin',
    async () => {
      const bed = await testbed()
      const browser = new ConsoleClient(bed.app)
      const refused = await consoleSignIn(bed, browser, 'bob@acme.example')
      expect(refused.status).toBe(403)
      expect(await refused.text()).toContain('This account cannot open the admin console')
      expect(refused.headers.getSetCookie().some((c) => c.startsWith('okb_admin='))).toBe(false)
      const row = (await audit(bed, 'saml'))[0]
      expect(row?.reason).toBe('not_console_admin')
      expect(row?.subject).toBe('bob@acme.example')
      expect((await browser.get('/orgs/acme/admin/users')).status).toBe(303)

      await bed.dir.user({ id: bed.grace, userName: 'grace@acme.example', active: false })
      await bed.scheduler.drain()
      const inactive = await consoleSignIn(bed, new ConsoleClient(bed.app), 'grace@acme.example')
      expect(inactive.status).toBe(403)
      expect((await audit(bed, 'saml'))[0]?.reason).toBe('user_inactive')
    },
    SLOW,
  )

  test(
    'an IdP-initiated response never opens the console, whatever its RelayState',
    async () => {
      const bed = await testbed()
      const browser = new ConsoleClient(bed.app)
      const tile = signResponse(oktaResponse({ orgUrl: bed.orgUrl, email: 'grace@acme.example' }), idpKey())
      const response = await browser.request('/orgs/acme/okta/auth', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': nextClient() },
        body: new URLSearchParams({
          SAMLResponse: toBase64(tile),
          RelayState: '/orgs/acme/admin/users',
        }).toString(),
      })
      expect(response.status).toBe(303)
      expect(response.headers.getSetCookie().some((c) => c.startsWith('okb_session='))).toBe(true)
      expect(response.headers.getSetCookie().some((c) => c.startsWith('okb_admin='))).toBe(false)
      const console = await browser.get('/orgs/acme/admin/users')
      expect(console.status).toBe(303)
      expect(console.headers.get('location')).toStartWith('/orgs/acme/admin/login')
      const admins = (await (
        await bed.app.request('/api/v1/orgs/acme/admins', { headers: bed.auth })
      ).json()) as Body
      expect(admins.items).toHaveLength(0)
    },
    SLOW,
  )

  test(
    'losing the admin role in Okta ends the console session on the next request',
    async () => {
      const bed = await testbed()
      const browser = new ConsoleClient(bed.app)
      expect((await consoleSignIn(bed, browser, 'grace@acme.example')).status).toBe(303)
      expect((await browser.get('/orgs/acme/admin/users')).status).toBe(200)
      await bed.dir.removeMembers(bed.adminsGroup, [bed.grace])
      await bed.scheduler.drain()
      expect((await bed.app.store.accounts.byScimUser(bed.org.id, bed.grace))?.role).toBe('member')
      expect((await browser.get('/orgs/acme/admin/users')).status).toBe(303)
    },
    SLOW,
  )
})

describe('requireSsoForAdmins', () => {
  test(
    'cannot be turned on before the integration is set up',
    async () => {
      const app = createTestApp()
      const { auth } = await seedOrg(app.store, 'fresh')
      const response = await app.request('/api/v1/orgs/fresh/okta', {
        method: 'PUT',
        ...jsonBody(
          {
            ssoUrl: OKTA_SSO_URL,
            issuer: OKTA_ISSUER,
            certificate: idpKey().certificate,
            settings: { requireSsoForAdmins: true },
          },
          auth,
        ),
      })
      expect(response.status).toBe(400)
      const body = (await response.json()) as Body
      expect(body.error).toMatchObject({ code: 'INVALID_INPUT', field: 'settings.requireSsoForAdmins' })
      expect(
        (await app.request('/api/v1/orgs/fresh/okta', { headers: auth }).then((r) => r.json())) as Body,
      ).toMatchObject({
        configured: false,
      })
    },
    SLOW,
  )

  test(
    'password sign-in then works only for break-glass admins, each use audited',
    async () => {
      const bed = await testbed()
      const plain = await createAdmin(bed.app.store, {
        orgSlug: 'acme',
        email: 'ops@acme.example',
        password: ADMIN_PASSWORD,
      })
      const created = await bed.app.request('/api/v1/orgs/acme/admins', {
        method: 'POST',
        ...jsonBody({ email: 'glass@acme.example', password: ADMIN_PASSWORD, breakGlass: true }, bed.auth),
      })
      expect(created.status).toBe(201)
      const glass = (await created.json()) as Body
      expect(glass.breakGlass).toBe(true)

      const on = await bed.app.request('/api/v1/orgs/acme/okta', {
        method: 'PUT',
        ...jsonBody(
          {
            ssoUrl: OKTA_SSO_URL,
            issuer: OKTA_ISSUER,
            certificate: idpKey().certificate,
            settings: { requireSsoForAdmins: true },
          },
          bed.auth,
        ),
      })
      expect(on.status).toBe(200)
      expect(((await on.json()) as Body).settings.requireSsoForAdmins).toBe(true)

      const login = await new ConsoleClient(bed.app).page('/orgs/acme/admin/login')
      expect(login.html).toContain('id="sso-required"')

      const plainBrowser = new ConsoleClient(bed.app)
      const refused = await plainBrowser.signIn('/orgs/acme', 'ops@acme.example')
      expect(refused.status).toBe(403)
      const refusedHtml = await refused.text()
      expect(refusedHtml).toContain('requires admins to sign in with Okta')
      expect(refusedHtml).toContain('Sign in with Okta')
      expect(plainBrowser.cookies.has('okb_admin')).toBe(false)
      const failure = (await audit(bed, 'admin')).find((row) => row.action === 'admin.sign_in')
      expect(failure).toMatchObject({
        outcome: 'failure',
        reason: 'sso required',
        subject: 'ops@acme.example',
      })
      expect(plain.breakGlass).toBe(false)

      // A wrong password of a break-glass admin reads the same: the page tells nobody which passwords are right.
      const wrong = await new ConsoleClient(bed.app).signIn(
        '/orgs/acme',
        'glass@acme.example',
        'not the password!',
      )
      expect(wrong.status).toBe(403)
      expect(await wrong.text()).toContain('requires admins to sign in with Okta')

      const glassBrowser = new ConsoleClient(bed.app)
      const ok = await glassBrowser.signIn('/orgs/acme', 'glass@acme.example')
      expect(ok.status).toBe(303)
      expect((await glassBrowser.get('/orgs/acme/admin/users')).status).toBe(200)
      const use = (await audit(bed, 'admin')).find((row) => row.action === 'admin.break_glass_sign_in')
      expect(use).toMatchObject({ outcome: 'success', actor: `admin:${glass.id}`, subject: glass.id })
      expect(JSON.parse(use?.data ?? '{}').email).toBe('glass@acme.example')

      // Okta still signs the mapped admin in.
      expect((await consoleSignIn(bed, new ConsoleClient(bed.app), 'grace@acme.example')).status).toBe(303)
    },
    SLOW,
  )
})

describe('okta-bridge admin create --break-glass', () => {
  const folder = mkdtempSync(join(tmpdir(), 'okb-sso-cli-'))
  afterAll(() => rmSync(folder, { recursive: true, force: true }))

  test(
    'creates a break-glass admin, listed as such, who signs in with a password under requireSsoForAdmins',
    async () => {
      const path = join(folder, 'store.db')
      const config = loadConfig(new Map(), { DATABASE_URL: path, PUBLIC_URL })
      // The binary's own argv handling (parseFlags, the command from the first two words) in process.
      const cli = async (words: string, stdin = '') => {
        const { flags, positionals } = parseFlags(words.split(' '))
        const out: string[] = []
        const err: string[] = []
        const code = await runStoreCommand(positionals.slice(0, 2).join(' '), flags, config, {
          out: (text) => out.push(text),
          err: (text) => err.push(text),
          readStdin: async () => stdin,
        })
        return { code, out: out.join('\n'), err: err.join('\n') }
      }
      expect((await cli('org create --slug acme')).code).toBe(0)
      const made = await cli(
        'admin create --org acme --email glass@acme.example --password-stdin --break-glass --json',
        `${ADMIN_PASSWORD}\n`,
      )
      expect(made.code, made.err).toBe(0)
      expect(JSON.parse(made.out)).toMatchObject({ email: 'glass@acme.example', breakGlass: true })
      const other = await cli('admin create --org acme --email ops@acme.example --json')
      expect(JSON.parse(other.out).breakGlass).toBeUndefined()

      const list = await cli('admin list --org acme --json')
      const items = JSON.parse(list.out).items as Body[]
      expect(items.map((a) => [a.email, a.source, a.breakGlass])).toEqual([
        ['glass@acme.example', 'password', true],
        ['ops@acme.example', 'password', false],
      ])
      const table = await cli('admin list --org acme')
      expect(table.out).toMatch(/ID +EMAIL +CREATED +SOURCE +BREAK-GLASS\n/)
      expect(table.out).toMatch(/glass@acme\.example +\S+ +password +yes/)

      // The same store served: the break-glass admin signs in with the password while SSO is required.
      const store = openStore(path)
      try {
        const app = createTestAppOn(store)
        const { key } = await createApiKey(store, { orgSlug: 'acme' })
        const auth = { authorization: `Bearer ${key}` }
        await setUpIntegration(app, 'acme', auth, {
          ssoUrl: OKTA_SSO_URL,
          issuer: OKTA_ISSUER,
          certificate: idpKey().certificate,
        })
        await setUpIntegration(app, 'acme', auth, {
          ssoUrl: OKTA_SSO_URL,
          issuer: OKTA_ISSUER,
          certificate: idpKey().certificate,
          settings: { requireSsoForAdmins: true },
        })
        const browser = new ConsoleClient(app)
        expect((await browser.signIn('/orgs/acme', 'glass@acme.example')).status).toBe(303)
        expect(
          (
            await new ConsoleClient(app).signIn(
              '/orgs/acme',
              'ops@acme.example',
              JSON.parse(other.out).password,
            )
          ).status,
        ).toBe(403)
        const org = await store.orgs.bySlug('acme')
        const rows = await store.audit.list(org?.id as string, { kind: 'admin', limit: 20 })
        expect(rows.some((row) => row.action === 'admin.break_glass_sign_in')).toBe(true)
      } finally {
        await store.close()
      }
    },
    SLOW,
  )
})

/** The in-process app (as createTestApp builds it) over a given store. */
function createTestAppOn(store: ReturnType<typeof openStore>): TestApp {
  const base = createTestApp()
  const deps = { ...base.deps, store }
  const fetch = createFetch(createApp(deps), deps)
  return {
    ...base,
    deps,
    store,
    fetch,
    request: (path, init) =>
      fetch(new Request(path.startsWith('http') ? path : `${PUBLIC_URL}${path}`, init)),
  }
}
