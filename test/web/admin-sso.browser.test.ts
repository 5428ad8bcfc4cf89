/**
 * Console sign-in with Okta in real Chromium against the real server (`startServer`, its scheduler
 * running): from `{orgURL}/admin/login` the admin clicks "Sign in with Okta", the browser goes to a
 * tiny IdP served by this test (it reads the AuthnRequest, signs an Okta-shaped response for it with
 * xmlsec1 and auto-posts it to the ACS, as Okta's page does), and lands in the console signed in as
 * the admin-mapped account. The account and its admin role come from the directory through the
 * scheduler and the role mappings, as in production. Skipped without Debian's Chromium.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inflateRawSync } from 'node:zlib'
import { loadConfig, sqlitePath } from '../../src/config/index.ts'
import { type RunningServer, startServer } from '../../src/main.ts'
import { createLogger } from '../../src/observability/log.ts'
import { createAdmin, createApiKey, createOrg } from '../../src/orgs/service.ts'
import { openStore, type Store } from '../../src/store/index.ts'
import { type Browser, CHROMIUM, freePort, launchBrowser } from '../support/browser.ts'
import { selfSigned } from '../support/certs.ts'
import { directoryWriter } from '../support/directory.ts'
import { OKTA_ISSUER, oktaResponse, signResponse, toBase64 } from '../support/saml.ts'

setDefaultTimeout(60_000)

const haveChromium = existsSync(CHROMIUM)
const idpKey = selfSigned('browser-sso-idp')
let server: RunningServer
let idp: ReturnType<typeof Bun.serve>
let browser: Browser
let store: Store
let origin: string
let orgUrl: string

const escapeAttribute = (text: string) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;')

/** The IdP's sign-in page: answers the AuthnRequest for the one person it knows, by auto-posted form. */
function idpPage(request: Request): Response {
  const encoded = new URL(request.url).searchParams.get('SAMLRequest')
  if (!encoded) return new Response('no SAMLRequest', { status: 400 })
  const xml = inflateRawSync(Buffer.from(encoded, 'base64')).toString()
  const id = /ID="([^"]+)"/.exec(xml)?.[1] as string
  const acs = /AssertionConsumerServiceURL="([^"]+)"/.exec(xml)?.[1] as string
  const signed = signResponse(
    oktaResponse({ orgUrl, email: 'grace@acme.example', inResponseTo: id }),
    idpKey,
    'both',
  )
  const page = `<!doctype html><html><head><title>Test IdP</title></head><body>
<form method="post" action="${escapeAttribute(acs)}"><input type="hidden" name="SAMLResponse" value="${toBase64(signed)}"><noscript><button>Continue</button></noscript></form>
<script>document.forms[0].submit()</script></body></html>`
  return new Response(page, { headers: { 'content-type': 'text/html; charset=utf-8' } })
}

/** Waits (bounded) until the scheduler has made the account an admin. */
async function waitForAdminRole(orgId: string, email: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const account = await store.accounts.byEmail(orgId, email)
    if (account?.role === 'admin') return
    await Bun.sleep(50)
  }
  throw new Error(`${email} never became an admin`)
}

beforeAll(async () => {
  if (!haveChromium) return
  const idpPort = freePort()
  idp = Bun.serve({ hostname: '127.0.0.1', port: idpPort, fetch: idpPage })
  const port = freePort()
  origin = `http://127.0.0.1:${port}`
  orgUrl = `${origin}/orgs/acme`
  const config = loadConfig(new Map(), {
    DATA_DIR: mkdtempSync(join(tmpdir(), 'okb-admin-sso-')),
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: origin,
    SYNC_INTERVAL_MS: '50',
    LOG_LEVEL: 'error',
  })
  server = await startServer(
    config,
    createLogger('error', () => {}),
  )
  store = openStore(sqlitePath(config))
  const org = await createOrg(store, { slug: 'acme', name: 'Acme Inc' })
  await createAdmin(store, { orgSlug: 'acme', email: 'owner@acme.example' })
  const { key } = await createApiKey(store, { orgSlug: 'acme' })
  const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' }
  const setUp = await fetch(`${origin}/api/v1/orgs/acme/okta`, {
    method: 'PUT',
    headers: auth,
    body: JSON.stringify({
      ssoUrl: `http://127.0.0.1:${idpPort}/sso`,
      issuer: OKTA_ISSUER,
      certificate: idpKey.certificate,
    }),
  })
  expect(setUp.status).toBe(200)
  const mapped = await fetch(`${origin}/api/v1/orgs/acme/role-mappings`, {
    method: 'PUT',
    headers: auth,
    body: JSON.stringify({ mappings: [{ group: 'Okta Admins', role: 'admin' }] }),
  })
  expect(mapped.status).toBe(200)
  const dir = directoryWriter(store, org.id)
  const admins = await dir.group('Okta Admins')
  const grace = await dir.user({ userName: 'grace@acme.example', givenName: 'Grace', familyName: 'Hopper' })
  await dir.addMembers(admins, [grace])
  await waitForAdminRole(org.id, 'grace@acme.example')
  browser = await launchBrowser()
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
  idp?.stop(true)
  await store?.close()
})

describe.skipIf(!haveChromium)('console sign-in with Okta in Chromium', () => {
  test('"Sign in with Okta" on the sign-in page lands the admin-mapped account in the console', async () => {
    const { page } = browser
    const violations: string[] = []
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text())
    })
    await page.goto(`${orgUrl}/admin/users`)
    // Signed out: the console sends the browser to sign-in, which offers Okta.
    await page.waitForURL(/\/orgs\/acme\/admin\/login\?next=/)
    await page.click('#sign-in-with-okta')
    await page.waitForURL(`${orgUrl}/admin/users`)
    expect(await page.textContent('.who')).toContain('grace@acme.example')
    expect(await page.getAttribute('.who .badge', 'title')).toBe('Signed in with Okta')
    expect(await page.title()).toContain('Users')
    // The session is a console session: the integration page opens too, and sign-out ends it.
    await page.goto(`${orgUrl}/admin/integration`)
    expect(await page.textContent('h1')).toContain('Okta')
    await page.click('form.signout button')
    await page.waitForURL(`${orgUrl}/admin/login`)
    await page.goto(`${orgUrl}/admin/users`)
    await page.waitForURL(/\/admin\/login\?next=/)
    expect(violations).toEqual([])
  })
})
