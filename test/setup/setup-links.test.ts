/**
 * Setup links, in process against the real app, store and scheduler: the admin API makes, lists
 * and revokes links (201/200/204, 4xx for bad input, audited); the link's page needs no account,
 * saves the IdP's values (or reads its metadata URL or XML), shows the SCIM token once, and its live checks turn true as SCIM arrives,
 * the scheduler provisions and a SAML sign-in succeeds (a failed one gives its reason); expired,
 * revoked and foreign links are clear pages; the link reaches nothing else: no console page, no
 * admin API route, no other org.
 */
import { describe, expect, test } from 'bun:test'
import { silentLogger } from '../../src/observability/log.ts'
import { createScheduler } from '../../src/sync/scheduler.ts'
import { idpKey } from '../saml/fixture.ts'
import { createTestApp, jsonBody, PUBLIC_URL, seedOrg, type TestApp } from '../support/app.ts'
import { idpMetadataXml, metadataServer } from '../support/idp-metadata.ts'
import { OKTA_ISSUER, OKTA_SSO_URL, oktaResponse, postAcs, signResponse } from '../support/saml.ts'
import { ConsoleClient, seedAdmin } from '../web/console-client.ts'

type Json = Record<string, unknown>

async function setUp() {
  const app = createTestApp({ trustProxy: { hops: 1 } })
  const acme = await seedOrg(app.store, 'acme')
  const globex = await seedOrg(app.store, 'globex')
  return { app, acme, globex }
}

async function makeLink(
  app: TestApp,
  auth: Record<string, string>,
  body: Json = { idp: 'okta' },
  slug = 'acme',
) {
  const response = await app.request(`/api/v1/orgs/${slug}/setup-links`, {
    method: 'POST',
    ...jsonBody(body, auth),
  })
  return { status: response.status, body: (await response.json()) as Json }
}

const form = (fields: Record<string, string>): RequestInit => ({
  method: 'POST',
  body: new URLSearchParams(fields).toString(),
  headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
})

async function checks(app: TestApp, url: string) {
  const response = await app.request(`${url}/status.json`)
  return {
    status: response.status,
    body: (await response.json()) as { checks: Record<string, boolean>; reasons: Json },
  }
}

describe('setup links', () => {
  test('the admin API makes, lists and revokes links', async () => {
    const { app, acme } = await setUp()
    const made = await makeLink(app, acme.auth, { idp: 'entra', expiresInHours: 24 })
    expect(made.status).toBe(201)
    expect(made.body.url).toMatch(new RegExp(`^${PUBLIC_URL}/orgs/acme/setup/okb_setup_[\\w-]{43}$`))
    expect(Date.parse(made.body.expiresAt as string) - Date.now()).toBeGreaterThan(23 * 3600 * 1000)
    const list = await app.request('/api/v1/orgs/acme/setup-links', { headers: acme.auth })
    const items = ((await list.json()) as { items: Json[] }).items
    expect(items).toHaveLength(1)
    expect(items[0]).toMatchObject({ id: made.body.id, idp: 'entra', status: 'active', lastUsedAt: null })
    expect(JSON.stringify(items)).not.toContain('okb_setup_')
    // Stored hashed.
    const rows = app.store.engine.db.query('SELECT token_hash FROM setup_links').all() as {
      token_hash: string
    }[]
    expect(rows[0]?.token_hash).toMatch(/^[0-9a-f]{64}$/)

    for (const bad of [
      { idp: 'ping' },
      { idp: 'okta', expiresInHours: 169 },
      { idp: 'okta', expiresInHours: 0 },
    ]) {
      const refused = await makeLink(app, acme.auth, bad)
      expect(refused.status).toBe(400)
      expect((refused.body.error as Json).code).toBeDefined()
    }
    const gone = await app.request(`/api/v1/orgs/acme/setup-links/${made.body.id}`, {
      method: 'DELETE',
      headers: acme.auth,
    })
    expect(gone.status).toBe(204)
    const missing = await app.request('/api/v1/orgs/acme/setup-links/nope', {
      method: 'DELETE',
      headers: acme.auth,
    })
    expect(missing.status).toBe(404)
    const audit = await app.store.audit.list(acme.org.id, { limit: 10 })
    expect(audit.map((row) => row.action)).toEqual(
      expect.arrayContaining(['setup_link.created', 'setup_link.revoked']),
    )
  })

  test('the page sets up the integration, shows the token once, and its checks follow what happens', async () => {
    const { app, acme } = await setUp()
    const scheduler = createScheduler({ store: app.store, log: silentLogger, config: app.config })
    const url = (await makeLink(app, acme.auth)).body.url as string
    const page = await app.request(url, { headers: { accept: 'text/html' } })
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('Single sign-on URL (also Recipient URL and Destination URL)')
    expect(html).toContain(`${PUBLIC_URL}/orgs/acme/okta/auth`)
    expect(page.headers.getSetCookie()).toEqual([])
    expect((await checks(app, url)).body.checks).toEqual({
      metadataRead: false,
      firstScimRequest: false,
      firstUserProvisioned: false,
      firstSignIn: false,
    })

    const key = idpKey()
    const saved = await app.request(
      url,
      form({ ssoUrl: OKTA_SSO_URL, issuer: OKTA_ISSUER, certificate: key.certificate }),
    )
    expect(saved.status).toBe(200)
    const token = /id="scim-token"[^>]*>([^<]+)</.exec(await saved.text())?.[1] as string
    expect(token).toMatch(/^okb_scim_/)
    // Shown once: the page again does not have it.
    expect(await (await app.request(url)).text()).not.toContain(token)
    expect((await checks(app, url)).body.checks.metadataRead).toBe(true)

    const scim = await app.request('/orgs/acme/okta/scim/Users', {
      method: 'POST',
      body: JSON.stringify({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: 'ada@acme.example',
        name: { givenName: 'Ada', familyName: 'Lovelace' },
        emails: [{ value: 'ada@acme.example', primary: true }],
        active: true,
      }),
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
    })
    expect(scim.status).toBe(201)
    expect((await checks(app, url)).body.checks).toMatchObject({
      firstScimRequest: true,
      firstUserProvisioned: false,
    })
    await scheduler.drain()
    expect((await checks(app, url)).body.checks.firstUserProvisioned).toBe(true)

    const orgUrl = `${PUBLIC_URL}/orgs/acme`
    const unsigned = await postAcs(app, orgUrl, oktaResponse({ orgUrl, email: 'ada@acme.example' }))
    expect(unsigned.status).toBeGreaterThanOrEqual(400)
    const failed = await checks(app, url)
    expect(failed.body.checks.firstSignIn).toBe(false)
    expect(failed.body.reasons.firstSignIn).toBeTruthy()
    const signed = signResponse(oktaResponse({ orgUrl, email: 'ada@acme.example' }), key)
    expect((await postAcs(app, orgUrl, signed)).status).toBe(303)
    const done = await checks(app, url)
    expect(done.body.checks.firstSignIn).toBe(true)
    expect(done.body.reasons.firstSignIn).toBeNull()

    const uses = (await app.store.audit.list(acme.org.id, { limit: 50 })).map((row) => row.action)
    expect(uses).toEqual(expect.arrayContaining(['setup_link.opened', 'setup_link.integration_saved']))
    const saveRow = (await app.store.audit.list(acme.org.id, { limit: 50 })).find(
      (r) => r.action === 'integration.created',
    )
    expect(saveRow?.actor).toMatch(/^setup-link:/)
  })

  test('a bad value is named on the page; Google needs just-in-time creation and shows it', async () => {
    const { app, acme } = await setUp()
    const url = (await makeLink(app, acme.auth, { idp: 'google' })).body.url as string
    const page = await (await app.request(url)).text()
    expect(page).toContain('just-in-time creation must be on')
    expect(page).toMatch(/name="justInTime" value="1" checked/)
    expect(page).not.toContain('First SCIM request seen')
    const bad = await app.request(url, form({ ssoUrl: 'not a url', issuer: 'x', certificate: 'y' }))
    expect(bad.status).toBe(400)
    expect(await bad.text()).toContain('ssoUrl must be')
    const saved = await app.request(
      url,
      form({
        ssoUrl: 'https://accounts.google.com/o/saml2/idp?idpid=C01',
        issuer: 'https://accounts.google.com/o/saml2?idpid=C01',
        certificate: idpKey().certificate,
        justInTime: '1',
      }),
    )
    expect(saved.status).toBe(200)
    expect(await saved.text()).not.toContain('id="scim-token"')
    const status = await app.request('/api/v1/orgs/acme/okta', { headers: acme.auth })
    expect(((await status.json()) as { settings: Json }).settings.justInTimeProvisioning).toBe(true)
  })

  test("the page sets up from the IdP's metadata URL first, and names a bad metadata value", async () => {
    const app = createTestApp({ trustProxy: { hops: 1 }, allowPrivateOutbound: true })
    const acme = await seedOrg(app.store, 'acme')
    const idp = metadataServer()
    try {
      const url = (await makeLink(app, acme.auth, { idp: 'okta' })).body.url as string
      const opened = await (await app.request(url)).text()
      // The metadata form comes first, with where Okta shows the URL.
      expect(opened.indexOf('name="metadataUrl"')).toBeGreaterThan(-1)
      expect(opened.indexOf('name="metadataUrl"')).toBeLessThan(opened.indexOf('name="ssoUrl"'))
      expect(opened).toContain('Sign On tab → Metadata URL')

      idp.answer(
        () => new Response('<html>not metadata</html>', { headers: { 'content-type': 'text/html' } }),
      )
      const refused = await app.request(`${url}/metadata`, form({ metadataUrl: idp.url() }))
      expect(refused.status).toBe(400)
      const refusedPage = await refused.text()
      expect(refusedPage).toContain('id="f-metadataUrl-error"')
      expect(refusedPage).toContain(`value="${idp.url()}"`)
      expect((await checks(app, url)).body.checks.metadataRead).toBe(false)

      idp.serve(idpMetadataXml({ certificates: [idpKey().certificate] }))
      const saved = await app.request(`${url}/metadata`, form({ metadataUrl: idp.url() }))
      expect(saved.status).toBe(200)
      const savedPage = await saved.text()
      expect(savedPage).toMatch(/okb_scim_[\w-]+/)
      expect((await checks(app, url)).body.checks.metadataRead).toBe(true)
      const status = (await (
        await app.request('/api/v1/orgs/acme/okta', { headers: acme.auth })
      ).json()) as Json
      expect(status).toMatchObject({
        configured: true,
        issuer: OKTA_ISSUER,
        metadataUrl: idp.url(),
        metadataError: null,
      })
      const audit = (await (
        await app.request('/api/v1/orgs/acme/audit?limit=50', { headers: acme.auth })
      ).json()) as { items: Json[] }
      expect(audit.items.some((row) => row.action === 'setup_link.integration_saved')).toBe(true)

      // The pasted document works too, and a broken one is named on its own field.
      const broken = await app.request(`${url}/metadata`, form({ metadataXml: '<md:EntityDescriptor' }))
      expect(broken.status).toBe(400)
      expect(await broken.text()).toContain('id="f-metadataXml-error"')
    } finally {
      idp.stop()
    }
  })

  test('expired, revoked and unknown links are clear pages, and status.json refuses too', async () => {
    const { app, acme } = await setUp()
    const made = await makeLink(app, acme.auth)
    const url = made.body.url as string
    await app.request(`/api/v1/orgs/acme/setup-links/${made.body.id}`, {
      method: 'DELETE',
      headers: acme.auth,
    })
    const revoked = await app.request(url, { headers: { accept: 'text/html' } })
    expect(revoked.status).toBe(410)
    expect(await revoked.text()).toContain('This setup link was revoked')
    expect((await checks(app, url)).status).toBe(410)
    expect(
      (await app.request(url, form({ ssoUrl: OKTA_SSO_URL, issuer: 'x', certificate: 'y' }))).status,
    ).toBe(410)

    const later = await makeLink(app, acme.auth, { idp: 'okta', expiresInHours: 1 })
    app.store.engine.db
      .query('UPDATE setup_links SET expires_at = ? WHERE id = ?')
      .run(Date.now() - 1, later.body.id as string)
    const expired = await app.request(later.body.url as string, { headers: { accept: 'text/html' } })
    expect(expired.status).toBe(410)
    expect(await expired.text()).toContain('This setup link has expired')

    const unknown = await app.request(`${PUBLIC_URL}/orgs/acme/setup/okb_setup_${'x'.repeat(43)}`, {
      headers: { accept: 'text/html' },
    })
    expect(unknown.status).toBe(404)
    expect(await unknown.text()).toContain('This setup link is not valid')
  })

  test('the link reaches nothing else: not the console, not the admin API, not another org', async () => {
    const { app, acme, globex } = await setUp()
    const url = (await makeLink(app, acme.auth)).body.url as string
    const token = url.split('/setup/')[1] as string
    const opened = await app.request(url)
    expect(opened.headers.getSetCookie()).toEqual([])
    // The token as a credential anywhere else.
    const asBearer = { authorization: `Bearer ${token}` }
    for (const path of [
      '/api/v1/orgs/acme/okta',
      '/api/v1/orgs/acme/users',
      '/api/v1/orgs/acme/setup-links',
    ]) {
      expect((await app.request(path, { headers: asBearer })).status).toBe(401)
    }
    expect((await app.request('/orgs/acme/okta/scim/Users', { headers: asBearer })).status).toBe(401)
    const console = await app.request('/orgs/acme/admin/integration', {
      headers: { cookie: `okb_admin=${token}` },
    })
    expect(console.status).toBe(303)
    expect(console.headers.get('location')).toContain('/admin/login')
    // Another org's path with this org's token: unknown.
    const foreign = await app.request(`${PUBLIC_URL}/orgs/globex/setup/${token}`, {
      headers: { accept: 'text/html' },
    })
    expect(foreign.status).toBe(404)
    expect((await app.request(`${PUBLIC_URL}/orgs/globex/setup/${token}/status.json`)).status).toBe(404)
    // Another org's link does not open this org's page either.
    const globexUrl = (await makeLink(app, globex.auth, { idp: 'okta' }, 'globex')).body.url as string
    const swapped = globexUrl.replace('/orgs/globex/', '/orgs/acme/')
    expect((await app.request(swapped, { headers: { accept: 'text/html' } })).status).toBe(404)
    // And another org's admin cannot list or revoke this org's links.
    expect((await app.request('/api/v1/orgs/acme/setup-links', { headers: globex.auth })).status).toBe(404)
  })

  test('the console page makes a link (shown once), lists it and revokes it', async () => {
    const { app, acme } = await setUp()
    const admin = await seedAdmin(app, 'acme')
    const client = new ConsoleClient(app)
    await client.signIn('/orgs/acme', admin.email)
    const page = await client.page('/orgs/acme/admin/setup-links')
    expect(page.status).toBe(200)
    const made = await client.post('/orgs/acme/admin/setup-links', {
      _csrf: page.csrf,
      idp: 'jumpcloud',
      expiresInHours: '12',
    })
    expect(made.status).toBe(201)
    expect(await made.text()).toMatch(/\/orgs\/acme\/setup\/okb_setup_/)
    const listed = (await (
      await app.request('/api/v1/orgs/acme/setup-links', { headers: acme.auth })
    ).json()) as {
      items: Json[]
    }
    const id = listed.items[0]?.id as string
    const forged = await client.post(`/orgs/acme/admin/setup-links/${id}/revoke`, { _csrf: 'forged' })
    expect(forged.status).toBe(403)
    const revoked = await client.post(`/orgs/acme/admin/setup-links/${id}/revoke`, { _csrf: page.csrf })
    expect(revoked.status).toBe(303)
    const list = await client.page('/orgs/acme/admin/setup-links')
    expect(list.html).toContain('revoked')
    expect(list.html).not.toMatch(/okb_setup_/)
    const guides = await client.page('/orgs/acme/admin/guides?idp=entra')
    expect(guides.html).toContain('Tenant URL')
    expect(guides.html).toContain('Reply URL (Assertion Consumer Service URL)')
  })
})
