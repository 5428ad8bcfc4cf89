/**
 * Session lifetime per org (`sessionIdleMinutes`, `sessionMaxHours`), over HTTP on the real app:
 * the cookie's Max-Age after a SAML sign-in and after an admin's password sign-in is the org's
 * maximum; lowering the maximum or the idle time (through the console's settings form or the admin
 * API) ends sessions that are already open, user and admin alike, on their next request; a higher
 * maximum applies to new sessions. Older sessions are made by the sessions service with an earlier
 * clock (`issueSession(…, now)`), not by editing rows. Also the settings form itself: bounds shown
 * next to the field, and `requireScimProvisioned` as the one switch for just-in-time provisioning.
 */
import { describe, expect, test } from 'bun:test'
import { issueSession } from '../../src/sessions/service.ts'
import { cookiePair, createSamlApp, idpKey, seedSamlOrg } from '../saml/fixture.ts'
import { jsonBody } from '../support/app.ts'
import { OKTA_ISSUER, OKTA_SSO_URL, oktaResponse, postAcs, signResponse } from '../support/saml.ts'
import { ConsoleClient, seedAdmin } from '../web/console-client.ts'

const SLOW = 30_000
const MINUTE = 60_000
const HOUR = 60 * MINUTE

// biome-ignore lint/suspicious/noExplicitAny: bodies are checked field by field
type Body = any

async function setUp() {
  const app = createSamlApp()
  const org = await seedSamlOrg(app, 'acme')
  const admin = await seedAdmin(app, 'acme')
  const putSettings = (settings: Record<string, unknown>) =>
    app.request('/api/v1/orgs/acme/okta', {
      method: 'PUT',
      ...jsonBody(
        { ssoUrl: OKTA_SSO_URL, issuer: OKTA_ISSUER, certificate: idpKey().certificate, settings },
        org.auth,
      ),
    })
  return { app, org, admin, putSettings }
}

const me = (app: Awaited<ReturnType<typeof setUp>>['app'], token: string) =>
  app.request('/orgs/acme/me', { headers: { cookie: `okb_session=${token}` } })

describe('session lifetime per org', () => {
  test(
    "the cookie's Max-Age is the org's sessionMaxHours, for SAML and password sign-in",
    async () => {
      const { app, org, putSettings } = await setUp()
      const signIn = async () => {
        const xml = signResponse(oktaResponse({ orgUrl: org.orgUrl, email: org.email }), idpKey())
        const response = await postAcs(app, org.orgUrl, xml)
        expect(response.status).toBe(303)
        return response.headers.getSetCookie().find((c) => c.startsWith('okb_session=')) as string
      }
      expect(await signIn()).toContain(`Max-Age=${7 * 24 * 3600}`)
      expect((await putSettings({ sessionMaxHours: 2 })).status).toBe(200)
      const cookie = await signIn()
      expect(cookie).toContain('Max-Age=7200')
      const token = cookie.split(';')[0]?.split('=')[1] as string
      expect((await me(app, token)).status).toBe(200)

      const browser = new ConsoleClient(app)
      const signedIn = await browser.signIn('/orgs/acme', 'admin@acme.example')
      expect(signedIn.status).toBe(303)
      expect(signedIn.headers.getSetCookie().find((c) => c.startsWith('okb_admin='))).toContain(
        'Max-Age=7200',
      )
    },
    SLOW,
  )

  test(
    'lowering sessionMaxHours ends open sessions at once; raising it lengthens only new ones',
    async () => {
      const { app, org, admin, putSettings } = await setUp()
      const now = Date.now()
      const user = await issueSession(
        app.store,
        { orgId: org.orgId, kind: 'user', subjectId: org.accountId },
        now - 3 * HOUR,
      )
      // Keep it from idling out: a request now moves last_seen_at.
      expect((await me(app, user.token)).status).toBe(200)
      const console = await issueSession(
        app.store,
        { orgId: org.orgId, kind: 'admin', subjectId: admin.id },
        now - 3 * HOUR,
      )
      const adminCookie = { cookie: `okb_admin=${console.token}` }
      expect((await app.request('/orgs/acme/admin/users', { headers: adminCookie })).status).toBe(200)

      expect((await putSettings({ sessionMaxHours: 4 })).status).toBe(200)
      expect((await me(app, user.token)).status).toBe(200)
      expect((await putSettings({ sessionMaxHours: 2 })).status).toBe(200)
      expect((await me(app, user.token)).status).toBe(401)
      const signedOut = await app.request('/orgs/acme/admin/users', { headers: adminCookie })
      expect(signedOut.status).toBe(303)
      expect(signedOut.headers.get('location')).toStartWith('/orgs/acme/admin/login')
      // Ended means gone: raising the maximum again does not bring them back.
      expect((await putSettings({ sessionMaxHours: 720 })).status).toBe(200)
      expect((await me(app, user.token)).status).toBe(401)
      const fresh = await issueSession(app.store, {
        orgId: org.orgId,
        kind: 'user',
        subjectId: org.accountId,
      })
      expect(fresh.maxAgeSeconds).toBe(720 * 3600)
    },
    SLOW,
  )

  test(
    'lowering sessionIdleMinutes through the console form ends idle sessions at once',
    async () => {
      const { app, org } = await setUp()
      const browser = new ConsoleClient(app)
      expect((await browser.signIn('/orgs/acme', 'admin@acme.example')).status).toBe(303)
      const idle = await issueSession(
        app.store,
        { orgId: org.orgId, kind: 'user', subjectId: org.accountId },
        Date.now() - 90 * MINUTE,
      )
      expect((await me(app, idle.token)).status).toBe(200)
      const idleAgain = await issueSession(
        app.store,
        { orgId: org.orgId, kind: 'user', subjectId: org.accountId },
        Date.now() - 90 * MINUTE,
      )

      const form = await browser.page('/orgs/acme/admin/integration/settings')
      expect(form.status).toBe(200)
      expect(form.html).toMatch(/name="sessionIdleMinutes"[^>]* value="480"/)
      expect(form.html).toMatch(/name="sessionMaxHours"[^>]* value="168"/)
      const fields = {
        _csrf: form.csrf,
        allowIdpInitiated: '1',
        requireScimProvisioned: '1',
        clockSkewSeconds: '60',
        emailAttribute: '',
        sessionMaxHours: '168',
      }
      const tooShort = await browser.post('/orgs/acme/admin/integration/settings', {
        ...fields,
        sessionIdleMinutes: '2',
      })
      expect(tooShort.status).toBe(400)
      const refusedHtml = await tooShort.text()
      expect(refusedHtml).toContain('Enter a whole number from 5 to 10080.')
      expect(refusedHtml).toContain('aria-invalid="true"')

      const saved = await browser.post('/orgs/acme/admin/integration/settings', {
        ...fields,
        sessionIdleMinutes: '60',
      })
      expect(saved.status).toBe(303)
      expect(saved.headers.get('location')).toBe('/orgs/acme/admin/integration/settings?saved=1')
      // The session used a minute ago lives on; the one idle for 90 minutes is over.
      expect((await me(app, idle.token)).status).toBe(200)
      expect((await me(app, idleAgain.token)).status).toBe(401)
      // The admin's own session (just used) lives on too.
      expect((await browser.get('/orgs/acme/admin/integration/settings?saved=1')).status).toBe(200)

      const status = (await (
        await app.request('/api/v1/orgs/acme/okta', { headers: org.auth })
      ).json()) as Body
      expect(status.settings).toMatchObject({ sessionIdleMinutes: 60, sessionMaxHours: 168 })
      const changed = (await app.store.audit.list(org.orgId, { kind: 'admin', limit: 20 })).find(
        (row) => row.action === 'integration.settings_changed',
      )
      expect(JSON.parse(changed?.data ?? '{}')).toEqual({ changed: { sessionIdleMinutes: 60 } })
    },
    SLOW,
  )
})

describe('requireScimProvisioned and justInTimeProvisioning: one rule', () => {
  test(
    'either name sets both; a contradiction is refused; unchecking the box lets unknown people in',
    async () => {
      const { app, org, putSettings } = await setUp()
      const settings = async () =>
        ((await (await app.request('/api/v1/orgs/acme/okta', { headers: org.auth })).json()) as Body).settings
      expect(await settings()).toMatchObject({ requireScimProvisioned: true, justInTimeProvisioning: false })
      expect((await putSettings({ justInTimeProvisioning: true })).status).toBe(200)
      expect(await settings()).toMatchObject({ requireScimProvisioned: false, justInTimeProvisioning: true })
      expect((await putSettings({ requireScimProvisioned: true })).status).toBe(200)
      expect(await settings()).toMatchObject({ requireScimProvisioned: true, justInTimeProvisioning: false })
      const contradiction = await putSettings({ requireScimProvisioned: true, justInTimeProvisioning: true })
      expect(contradiction.status).toBe(400)
      expect(((await contradiction.json()) as Body).error.field).toBe('settings.requireScimProvisioned')

      const stranger = () =>
        postAcs(
          app,
          org.orgUrl,
          signResponse(
            oktaResponse({ orgUrl: org.orgUrl, email: `new.${crypto.randomUUID()}@acme.example` }),
            idpKey(),
          ),
        )
      expect((await stranger()).status).toBe(403)

      const browser = new ConsoleClient(app)
      expect((await browser.signIn('/orgs/acme', 'admin@acme.example')).status).toBe(303)
      const form = await browser.page('/orgs/acme/admin/integration/settings')
      expect(form.html).toMatch(/name="requireScimProvisioned" value="1" checked/)
      const saved = await browser.post('/orgs/acme/admin/integration/settings', {
        _csrf: form.csrf,
        allowIdpInitiated: '1',
        clockSkewSeconds: '60',
        emailAttribute: '',
        sessionIdleMinutes: '480',
        sessionMaxHours: '168',
      })
      expect(saved.status).toBe(303)
      expect(await settings()).toMatchObject({ requireScimProvisioned: false, justInTimeProvisioning: true })
      const created = await stranger()
      expect(created.status).toBe(303)
      expect(cookiePair(created, 'okb_session')).not.toBeNull()
    },
    SLOW,
  )
})
