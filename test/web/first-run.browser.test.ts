/**
 * First run and a setup link in real Chromium against the real server (in process, `startServer`
 * on an empty data dir, its real scheduler running): the admin reads the set-up code from the
 * server's log, creates the org on the first-run page and lands signed in; makes a setup link in the
 * console; a second browser without any account opens it, saves the IdP's values and reads the SCIM
 * token once, and its checks turn green without a reload as the test pushes SCIM and signs in; the
 * link reaches no console page; revocation and expiry are clear pages.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig, sqlitePath } from '../../src/config/index.ts'
import { type RunningServer, startServer } from '../../src/main.ts'
import { createLogger } from '../../src/observability/log.ts'
import { openStore, type Store } from '../../src/store/index.ts'
import { type Browser, freePort, launchBrowser } from '../support/browser.ts'
import { selfSigned } from '../support/certs.ts'
import { OKTA_ISSUER, OKTA_SSO_URL, oktaResponse, signResponse, toBase64 } from '../support/saml.ts'

setDefaultTimeout(60_000)

const EMAIL = 'first@acme.example'
const PASSWORD = 'correct horse battery staple'
const logLines: string[] = []
let server: RunningServer
let admin: Browser
let itAdmin: Browser
let store: Store
let origin: string
let linkUrl = ''
let scimToken = ''
const idp = selfSigned('browser-idp')

beforeAll(async () => {
  const port = freePort()
  const config = loadConfig(new Map(), {
    DATA_DIR: mkdtempSync(join(tmpdir(), 'okb-first-run-')),
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    SYNC_INTERVAL_MS: '50',
    LOG_LEVEL: 'error',
  })
  origin = `http://127.0.0.1:${port}`
  server = await startServer(
    config,
    createLogger('error', (line) => logLines.push(line)),
  )
  store = openStore(sqlitePath(config))
  admin = await launchBrowser()
  itAdmin = await launchBrowser()
})

afterAll(async () => {
  await admin?.close()
  await itAdmin?.close()
  await server?.stop()
  await store?.close()
})

describe('first run and a setup link in Chromium', () => {
  test('the code from the log creates the org, and the admin lands signed in', async () => {
    const messages = logLines.map((line) => JSON.parse(line).msg as string)
    expect(messages[0]).toBe(`open ${origin} to finish set-up`)
    const code = /^setup code: (\S+)$/.exec(messages.find((m) => m.startsWith('setup code:')) ?? '')?.[1]
    expect(code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/)
    const page = admin.page
    await page.goto(origin)
    expect(await page.title()).toBe('Set up okta-bridge')
    // A wrong code first: a clear refusal, nothing created.
    await page.fill('#f-setupCode', 'AAAA-BBBB-CCCC')
    await page.fill('#f-slug', 'acme')
    await page.fill('#f-orgName', 'Acme Inc')
    await page.fill('#f-email', EMAIL)
    await page.fill('#f-password', PASSWORD)
    await page.click('button[type=submit]')
    expect(await page.textContent('#first-run-error')).toContain('set-up code is wrong')
    expect(await store.orgs.all()).toHaveLength(0)
    await page.fill('#f-setupCode', code as string)
    await page.fill('#f-password', PASSWORD)
    await page.click('button[type=submit]')
    await page.waitForURL(`${origin}/orgs/acme/admin/integration`)
    expect(await page.textContent('.who')).toBe(EMAIL)
  })

  test('the admin makes a setup link in the console', async () => {
    const page = admin.page
    await page.goto(`${origin}/orgs/acme/admin/setup-links`)
    await page.selectOption('#f-idp', 'okta')
    await page.click('button[type=submit].primary')
    linkUrl = ((await page.textContent('#setup-link-url')) ?? '').trim()
    expect(linkUrl).toStartWith(`${origin}/orgs/acme/setup/okb_setup_`)
  })

  test('a second browser without an account sets up the integration; checks turn green live', async () => {
    const page = itAdmin.page
    await page.goto(linkUrl)
    expect(await page.textContent('#link-scope')).toContain('Acme Inc')
    expect(await page.isVisible('#check-firstScimRequest .check-waiting')).toBe(true)
    await page.fill('#f-ssoUrl', OKTA_SSO_URL)
    await page.fill('#f-issuer', OKTA_ISSUER)
    await page.fill('#f-certificate', idp.certificate)
    // The three values' form (the metadata form comes first on the page).
    await page.click('#manual-form button[type=submit]')
    scimToken = ((await page.textContent('#scim-token')) ?? '').trim()
    expect(scimToken).toStartWith('okb_scim_')
    expect(await page.isVisible('#check-metadataRead .check-ok')).toBe(true)
    await page.evaluate(() => {
      ;(window as unknown as { stillHere: boolean }).stillHere = true
    })

    const scim = await fetch(`${origin}/orgs/acme/okta/scim/Users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: 'ada@acme.example',
        name: { givenName: 'Ada', familyName: 'Lovelace' },
        emails: [{ value: 'ada@acme.example', primary: true }],
        active: true,
      }),
    })
    expect(scim.status).toBe(201)
    await page.waitForSelector('#check-firstScimRequest .check-ok', { state: 'visible' })
    await page.waitForSelector('#check-firstUserProvisioned .check-ok', { state: 'visible' })

    const orgUrl = `${origin}/orgs/acme`
    const signed = signResponse(oktaResponse({ orgUrl, email: 'ada@acme.example' }), idp)
    const acs = await fetch(`${orgUrl}/okta/auth`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ SAMLResponse: toBase64(signed) }).toString(),
    })
    expect(acs.status).toBe(303)
    await page.waitForSelector('#check-firstSignIn .check-ok', { state: 'visible' })
    expect(await page.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere)).toBe(true)
  })

  test('the link reaches nothing else: the console sends this browser to sign-in', async () => {
    const page = itAdmin.page
    expect((await itAdmin.context.cookies()).map((c) => c.name)).toEqual([])
    await page.goto(`${origin}/orgs/acme/admin/integration`)
    expect(new URL(page.url()).pathname).toBe('/orgs/acme/admin/login')
    const api = await page.goto(`${origin}/api/v1/orgs/acme/setup-links`)
    expect(api?.status()).toBe(401)
  })

  test('revoked in the console: the link is a clear page at once', async () => {
    await admin.page.goto(`${origin}/orgs/acme/admin/setup-links`)
    await admin.page.click('table button.danger')
    await admin.page.waitForSelector('td.status-revoked')
    const answer = await itAdmin.page.goto(linkUrl)
    expect(answer?.status()).toBe(410)
    expect(await itAdmin.page.textContent('h1')).toBe('Setup link revoked')
  })

  test('an expired link is a clear page', async () => {
    await admin.page.goto(`${origin}/orgs/acme/admin/setup-links`)
    await admin.page.selectOption('#f-idp', 'entra')
    await admin.page.fill('#f-expiresInHours', '1')
    await admin.page.click('button[type=submit].primary')
    const url = ((await admin.page.textContent('#setup-link-url')) ?? '').trim()
    const opened = await itAdmin.page.goto(url)
    expect(opened?.status()).toBe(200)
    expect(await itAdmin.page.textContent('body')).toContain('Tenant URL')
    if (store.engine.kind !== 'sqlite') throw new Error('expected SQLite')
    store.engine.db
      .query('UPDATE setup_links SET expires_at = ? WHERE revoked_at IS NULL')
      .run(Date.now() - 1)
    const expired = await itAdmin.page.goto(url)
    expect(expired?.status()).toBe(410)
    expect(await itAdmin.page.textContent('h1')).toBe('Setup link expired')
  })
})
