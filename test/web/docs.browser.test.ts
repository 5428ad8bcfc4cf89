/**
 * The API docs as a developer sees them: Swagger UI at /docs rendered by real Chromium with every
 * request staying on the server itself (no CDN), listing the routes of every surface.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { loadConfig } from '../../src/config/index.ts'
import { type RunningServer, startServer } from '../../src/main.ts'
import { silentLogger } from '../../src/observability/log.ts'
import { type Browser, freePort, launchBrowser } from '../support/browser.ts'

let server: RunningServer
let browser: Browser
let origin = ''

beforeAll(async () => {
  const port = freePort()
  origin = `http://127.0.0.1:${port}`
  server = await startServer(
    loadConfig(new Map(), {
      DATA_DIR: mkdtempSync(join(tmpdir(), 'okb-docs-')),
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL: origin,
    }),
    silentLogger,
  )
  browser = await launchBrowser()
}, 60_000)
afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

test('Swagger UI renders every surface offline: no request leaves the server', async () => {
  const page = browser.page
  const elsewhere: string[] = []
  page.on('request', (request) => {
    if (!request.url().startsWith(origin)) elsewhere.push(request.url())
  })
  await page.goto(`${origin}/docs`)
  await page.waitForSelector('.opblock', { timeout: 20_000 })
  const paths = await page.locator('.opblock-summary-path').allTextContents()
  const joined = paths.join('\n')
  for (const expected of [
    '/api/v1/orgs/{slug}/okta',
    '/api/v1/orgs/{slug}/users',
    '/api/v1/orgs/{slug}/events',
    '/orgs/{slug}/okta/scim/Users',
    '/orgs/{slug}/okta/auth',
    '/orgs/{slug}/me',
    '/healthz',
  ]) {
    expect(joined).toContain(expected)
  }
  expect(elsewhere).toEqual([])
  await page.screenshot({ path: resolve(import.meta.dir, '../../docs/screenshots/17-api-docs.png') })
}, 60_000)
