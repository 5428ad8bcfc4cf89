/**
 * Sign-in attempts in real Chromium against the real server (in process, `startServer` with a temp
 * data dir): a person's sign-in fails (a response signed by xmlsec1 with the wrong Audience) and
 * their page shows a reference; the admin signs in, opens "Sign-in attempts" from the navigation,
 * finds the failed attempt by that reference, opens it and reads what to change in Okta; then pastes
 * a SAMLResponse into the checker and sees its step list. Saves screenshots in docs/screenshots.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Page } from 'playwright-core'
import { loadConfig, sqlitePath } from '../../src/config/index.ts'
import { type RunningServer, startServer } from '../../src/main.ts'
import { silentLogger } from '../../src/observability/log.ts'
import { createAdmin, createApiKey, createOrg } from '../../src/orgs/service.ts'
import { newId } from '../../src/store/ids.ts'
import { openStore, type Store } from '../../src/store/index.ts'
import { idpKey } from '../saml/fixture.ts'
import { type Browser, freePort, launchBrowser } from '../support/browser.ts'
import { OKTA_ISSUER, OKTA_SSO_URL, oktaResponse, signResponse, toBase64 } from '../support/saml.ts'
import { ADMIN_PASSWORD } from './console-client.ts'

setDefaultTimeout(60_000)

const SHOTS = resolve(import.meta.dir, '../../docs/screenshots')
const EMAIL = 'admin@acme.example'
const PERSON = 'ada@acme.example'
const WRONG_AUDIENCE = 'https://acme.example/wrong-entity-id'

let server: RunningServer
let browser: Browser
let page: Page
let store: Store
let base: string
let reference = ''

beforeAll(async () => {
  const port = freePort()
  const config = loadConfig(new Map(), {
    DATA_DIR: mkdtempSync(join(tmpdir(), 'okb-attempts-browser-')),
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
  })
  store = openStore(sqlitePath(config))
  const org = await createOrg(store, { slug: 'acme', name: 'Acme' })
  await createAdmin(store, { orgSlug: 'acme', email: EMAIL, password: ADMIN_PASSWORD })
  const apiKey = (await createApiKey(store, { orgSlug: 'acme' })).key
  const now = Date.now()
  await store.accounts.insert({
    id: newId(),
    org_id: org.id,
    email: PERSON,
    email_lower: PERSON,
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
  server = await startServer(config, silentLogger)
  base = `http://127.0.0.1:${port}/orgs/acme`
  const setUp = await fetch(`${server.url}/api/v1/orgs/acme/okta`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ssoUrl: OKTA_SSO_URL, issuer: OKTA_ISSUER, certificate: idpKey().certificate }),
  })
  expect(setUp.status).toBe(200)
  browser = await launchBrowser()
  page = browser.page
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
  await store?.close()
})

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })

/** A hidden form on a blank page, posted cross-site as Okta's page posts it. */
async function postAsOkta(xml: string): Promise<void> {
  await page.goto('about:blank')
  await page.setContent(
    `<form method="post" action="${base}/okta/auth"><input type="hidden" name="SAMLResponse"></form>`,
  )
  await page.$eval('input', (input, value) => ((input as HTMLInputElement).value = value), toBase64(xml))
  await Promise.all([
    page.waitForNavigation(),
    page.$eval('form', (form) => (form as HTMLFormElement).submit()),
  ])
}

describe('sign-in attempts in Chromium', () => {
  test("the person's failed sign-in shows a reference", async () => {
    const xml = signResponse(
      oktaResponse({ orgUrl: base, email: PERSON, audience: WRONG_AUDIENCE }),
      idpKey(),
    )
    await postAsOkta(xml)
    expect(await page.textContent('h1')).toBe('We could not sign you in')
    reference = ((await page.textContent('#attempt-reference code')) ?? '').trim()
    expect(reference).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/)
  })

  test('the admin opens Sign-in attempts, finds the failure by its reference, and reads the advice', async () => {
    await page.goto(`${base}/admin/login`)
    await page.fill('#f-email', EMAIL)
    await page.fill('#f-password', ADMIN_PASSWORD)
    await Promise.all([page.waitForNavigation(), page.press('#f-password', 'Enter')])
    await Promise.all([page.waitForNavigation(), page.click('nav >> text=Sign-in attempts')])
    expect(new URL(page.url()).pathname).toBe('/orgs/acme/admin/sign-in-attempts')
    expect(await page.textContent('#attempts')).toContain('audience_mismatch')
    await page.fill('#f-reference', reference.toLowerCase())
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Search")')])
    expect(await page.locator('#attempts tbody tr').count()).toBe(1)
    await shot('sign-in-attempts')
    await Promise.all([page.waitForNavigation(), page.click(`#attempts a:has-text("${reference}")`)])
    const advice = (await page.textContent('#advice')) ?? ''
    expect(advice).toContain(`The Audience URI (SP Entity ID) in Okta is "${WRONG_AUDIENCE}"`)
    expect(advice).toContain(`it must be "${base}"`)
    expect(await page.textContent('#steps tr.step-failed')).toContain('audience')
    await shot('sign-in-attempt-detail')
  })

  test('the admin pastes a SAMLResponse into the checker and sees the step list', async () => {
    await page.goto(`${base}/admin/sign-in-attempts`)
    await Promise.all([page.waitForNavigation(), page.click('text=Check a SAMLResponse')])
    const xml = signResponse(oktaResponse({ orgUrl: base, email: PERSON }), idpKey())
    await page.fill('#f-response', toBase64(xml))
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Check")')])
    expect(await page.textContent('#check-result h2')).toContain('the sign-in would be accepted')
    const steps = await page.locator('#steps tbody tr td:first-child').allTextContents()
    expect(steps).toEqual([
      'form',
      'parse',
      'structure',
      'signature',
      'status',
      'destination',
      'issuer',
      'audience',
      'conditions',
      'subject_confirmation',
      'validity_window',
      'in_response_to',
      'identity',
      'replay',
      'account',
    ])
    expect(await page.textContent('#lands-on')).toContain(PERSON)
    await shot('sign-in-checker')
  })
})
