/**
 * The console's audit log stays readable at 1280 px in real Chromium when rows hold long values —
 * a SAML rejection quoting the rejected message, a long subject — next to short sync rows: no cell
 * breaks "failure" or "Admin" into syllables, the table needs no horizontal scroll, the long detail
 * is cut to a short line with the full text in its tooltip and under "details". Saves
 * docs/screenshots/18-audit-long-values.png.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Page } from 'playwright-core'
import { loadConfig, sqlitePath } from '../../src/config/index.ts'
import { type RunningServer, startServer } from '../../src/main.ts'
import { silentLogger } from '../../src/observability/log.ts'
import { createAdmin, createOrg } from '../../src/orgs/service.ts'
import { openStore, type Store } from '../../src/store/index.ts'
import { type Browser, freePort, launchBrowser } from '../support/browser.ts'
import { ADMIN_PASSWORD } from '../web/console-client.ts'

setDefaultTimeout(60_000)

const SHOT = resolve(import.meta.dir, '../../docs/screenshots/18-audit-long-values.png')
const EMAIL = 'admin@acme.example'
// What the signature step records for a Signature whose children are not the XMLDSig layout.
const DETAIL = `the Signature holds "${'{urn:x:decoy}SignedInfo{urn:x:decoy}SignatureValue'.repeat(3).slice(0, 160)}", not the XMLDSig layout`

let server: RunningServer
let browser: Browser
let page: Page
let store: Store
let base: string

beforeAll(async () => {
  const port = freePort()
  const config = loadConfig(new Map(), {
    DATA_DIR: mkdtempSync(join(tmpdir(), 'okb-audit-browser-')),
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
  })
  store = openStore(sqlitePath(config))
  const orgId = (await createOrg(store, { slug: 'acme', name: 'Acme' })).id
  await createAdmin(store, { orgSlug: 'acme', email: EMAIL, password: ADMIN_PASSWORD })
  for (let i = 0; i < 3; i++) {
    await store.audit.record({
      orgId,
      kind: 'saml',
      action: 'sign_in',
      outcome: 'failure',
      actor: '203.0.113.7',
      subject: `${'very.long.local.part.'.repeat(4)}@acme.example`,
      reason: 'signature_invalid',
      data: { detail: DETAIL },
    })
    await store.audit.record({
      orgId,
      kind: 'sync',
      action: 'sync.batch',
      outcome: 'success',
      actor: 'sync',
      data: { changes: 3, 'account.created': 1 },
    })
  }
  server = await startServer(config, silentLogger)
  base = `http://127.0.0.1:${port}/orgs/acme`
  browser = await launchBrowser({ viewport: { width: 1280, height: 900 } })
  page = browser.page
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
  await store?.close()
})

/** How many lines the text of each matching element takes. */
const linesOf = (selector: string) =>
  page.$$eval(selector, (elements) =>
    elements.map((element) => {
      const tops = new Set<number>()
      const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT)
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (!node.textContent?.trim()) continue
        const range = document.createRange()
        range.selectNodeContents(node)
        for (const rect of range.getClientRects()) tops.add(Math.round(rect.top / 4))
      }
      return tops.size
    }),
  )

test('long audit values wrap or shorten in their own cell; short ones stay whole', async () => {
  await page.goto(`${base}/admin/audit`)
  await page.fill('#f-email', EMAIL)
  await page.fill('#f-password', ADMIN_PASSWORD)
  await page.press('#f-password', 'Enter')
  await page.waitForURL(/\/admin\//)
  await page.goto(`${base}/admin/audit`)
  await page.waitForSelector('#audit')

  // The short cells (kind badge, outcome) are on one line each; nothing scrolls sideways.
  for (const lines of await linesOf('#audit tbody td:nth-child(2) .badge')) expect(lines).toBe(1)
  await page.screenshot({ path: SHOT, fullPage: true })
  for (const lines of await linesOf('#audit tbody td:nth-child(4)')) expect(lines).toBe(1)
  await page.screenshot({ path: SHOT, fullPage: true })
  const overflow = await page.$eval('.table-wrap', (wrap) => wrap.scrollWidth - wrap.clientWidth)
  expect(overflow).toBeLessThanOrEqual(0)

  // The reason code is shown with a short line of the detail; the whole detail is in its tooltip.
  const reasonCell = page.locator('#audit tbody tr', { hasText: 'sign_in' }).first().locator('td').nth(5)
  expect(await reasonCell.locator('code').textContent()).toBe('signature_invalid')
  const shown = (await reasonCell.locator('.muted').textContent()) ?? ''
  expect(shown.length).toBeLessThanOrEqual(80)
  expect(shown.endsWith('…')).toBe(true)
  expect(await reasonCell.locator('.muted span[title]').getAttribute('title')).toBe(DETAIL)
  // No row grows into a wall of text.
  const heights = await page.$$eval('#audit tbody tr', (rows) =>
    rows.map((row) => row.getBoundingClientRect().height),
  )
  for (const height of heights) expect(height).toBeLessThan(140)
  await page.screenshot({ path: SHOT, fullPage: true })
})
