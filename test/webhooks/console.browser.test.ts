/**
 * Settings → Webhooks in real Chromium against the real server (in process, `startServer` with its
 * delivery loop running): reach the page from the navigation, add an endpoint and read its secret
 * once, send a test event that a `standardwebhooks` receiver verifies with that secret, watch the
 * endpoint fail, get disabled after the (short) failure window and resume when enabled, rotate the
 * secret, and delete the endpoint. The page has no CSP violations. Screenshots go to a temp folder.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { loadConfig, sqlitePath } from '../../src/config/index.ts'
import { type RunningServer, startServer } from '../../src/main.ts'
import { silentLogger } from '../../src/observability/log.ts'
import { createAdmin, createOrg, type Org } from '../../src/orgs/service.ts'
import { openStore, type Store } from '../../src/store/index.ts'
import { type Browser, freePort, launchBrowser } from '../support/browser.ts'
import { startReceiver } from '../support/webhook-receiver.ts'
import { ADMIN_PASSWORD } from '../web/console-client.ts'

setDefaultTimeout(60_000)

const SHOTS = mkdtempSync(join(tmpdir(), 'okb-webhook-shots-'))
const EMAIL = 'admin@acme.example'
const receiver = startReceiver()
let server: RunningServer
let browser: Browser
let page: Page
let store: Store
let org: Org
let base: string
const cspViolations: string[] = []

beforeAll(async () => {
  const port = freePort()
  const config = loadConfig(new Map(), {
    DATA_DIR: mkdtempSync(join(tmpdir(), 'okb-webhooks-browser-')),
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    ALLOW_PRIVATE_OUTBOUND: '1',
    WEBHOOK_RETRY_MS: '100,200',
    WEBHOOK_FAILURE_WINDOW: '1',
  })
  store = openStore(sqlitePath(config))
  org = await createOrg(store, { slug: 'acme', name: 'Acme' })
  await createAdmin(store, { orgSlug: 'acme', email: EMAIL, password: ADMIN_PASSWORD })
  server = await startServer(config, silentLogger)
  base = `http://127.0.0.1:${port}/orgs/acme`
  browser = await launchBrowser({ viewport: { width: 1280, height: 900 } })
  page = browser.page
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text())
  })
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
  await store?.close()
  receiver.stop()
})

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })

/** Opens the page again until `check` holds (it is server-rendered: state shows on a new GET). */
async function reloadUntil(check: () => Promise<boolean>, what: string) {
  const deadline = Date.now() + 20_000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(100)
    await page.goto(`${base}/admin/webhooks`)
  }
}

test('Settings → Webhooks: add, test, fail, disable, enable, rotate, delete', async () => {
  await page.goto(`${base}/admin/webhooks`)
  await page.fill('#f-email', EMAIL)
  await page.fill('#f-password', ADMIN_PASSWORD)
  await page.press('#f-password', 'Enter')
  await page.waitForURL(/\/admin\//)
  await page.getByRole('link', { name: 'Webhooks' }).click()
  await page.waitForURL(/\/admin\/webhooks$/)
  expect(await page.getByRole('link', { name: 'Webhooks' }).getAttribute('aria-current')).toBe('page')
  expect(await page.locator('#webhooks-empty').isVisible()).toBe(true)

  // A refused URL comes back with the message next to the field, the values kept.
  await page.fill('#f-url', 'ftp://files.example.com/')
  await page.getByRole('button', { name: 'Add endpoint' }).click()
  expect(await page.locator('#f-url').getAttribute('aria-invalid')).toBe('true')
  expect(await page.locator('.field-error').first().textContent()).toContain('only http and https')

  await page.fill('#f-url', receiver.url)
  await page.fill('#f-description', 'The app')
  await page.getByLabel('account.created').check()
  await page.getByRole('button', { name: 'Add endpoint' }).click()
  const secret = (await page.locator('#webhook-secret').textContent()) ?? ''
  expect(secret).toMatch(/^whsec_/)
  receiver.secrets = [secret]
  const row = page.locator('#webhooks tbody tr').first()
  expect(await row.locator('code.url').textContent()).toBe(receiver.url)
  expect(await row.locator('.state').textContent()).toContain('delivering')
  await shot('01-added')
  // The secret is in that one answer only.
  await page.goto(`${base}/admin/webhooks`)
  expect(await page.content()).not.toContain(secret)

  await page.getByRole('button', { name: 'Send test event' }).click()
  expect(await page.locator('.flash-ok').textContent()).toContain('delivered')
  const tested = receiver.acknowledged.at(-1)
  expect(tested?.verified).toBe(true)
  expect(JSON.parse(tested?.body ?? '{}').type).toBe('webhook.test')

  // The receiver fails: the endpoint shows failing, then disabled once the window (1 s) is over.
  receiver.behave(() => ({ kind: 'status', status: 500 }))
  const sentBefore = receiver.received.length
  await store.events.append(org.id, { type: 'account.created', accountId: 'a1', data: {} }, Date.now())
  await reloadUntil(
    async () => ((await row.locator('.state').textContent()) ?? '').includes('failing'),
    'failing',
  )
  await reloadUntil(
    async () => ((await row.locator('.state').textContent()) ?? '').includes('disabled'),
    'disabled',
  )
  expect(await row.locator('.state').textContent()).toContain('answered 500')
  // Only the feed event was tried (no test event was sent again by the page).
  expect(receiver.received.slice(sentBefore).every((r) => r.events[0]?.type === 'account.created')).toBe(true)
  await shot('02-disabled')

  receiver.behave(() => ({ kind: 'ok' }))
  await page.getByRole('button', { name: 'Enable' }).click()
  expect(await page.locator('.flash-ok').textContent()).toContain('resumes')
  await receiver.waitFor(() => receiver.acknowledged.some((r) => r.events[0]?.type === 'account.created'))

  await page.getByRole('button', { name: 'Rotate secret' }).click()
  const rotated = (await page.locator('#webhook-secret').textContent()) ?? ''
  expect(rotated).toMatch(/^whsec_/)
  expect(rotated).not.toBe(secret)
  await shot('03-rotated')

  await page.locator('summary', { hasText: 'Delete…' }).click()
  await page.getByRole('button', { name: 'Delete the endpoint' }).click()
  await page.waitForURL(/deleted=1/)
  expect(await page.locator('#webhooks-empty').isVisible()).toBe(true)
  expect(cspViolations).toEqual([])
})
