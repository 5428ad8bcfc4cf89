/**
 * The whole console in real Chromium against the real server (in process, `startServer` with a temp
 * data dir, its real scheduler running): sign in with the keyboard, set up the integration with a
 * real certificate, read the SCIM token once and use it for real SCIM requests, watch the connected
 * users count and the reconcile progress update without a reload, map a group to a role, merge a
 * duplicate, rotate the token, connect GitHub on the account page against a local stand-in, and
 * remove the integration after the dry-run count. Saves a screenshot of each page in docs/screenshots.
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
import { issueSession } from '../../src/sessions/service.ts'
import { openStore, type Store } from '../../src/store/index.ts'
import { type Browser, freePort, launchBrowser } from '../support/browser.ts'
import { selfSigned } from '../support/certs.ts'
import { directoryWriter } from '../support/directory.ts'
import { ADMIN_PASSWORD } from './console-client.ts'
import { startOAuthStandIn } from './oauth-stand-in.ts'

setDefaultTimeout(60_000)

const SHOTS = resolve(import.meta.dir, '../../docs/screenshots')
const EMAIL = 'admin@acme.example'
/** Users written straight into the directory (as the SCIM API writes them) so a reconcile takes a while. */
const BULK_USERS = 20_000

const standIn = startOAuthStandIn({
  github: { id: 'gh-client', secret: 'gh-secret' },
  bitbucket: { id: 'bb-client', secret: 'bb-secret' },
})
let server: RunningServer
let browser: Browser
let page: Page
let store: Store
let base: string
let apiKey: string
let orgId: string
const cspViolations: string[] = []
const dialogs: string[] = []

beforeAll(async () => {
  const port = freePort()
  const config = loadConfig(new Map(), {
    DATA_DIR: mkdtempSync(join(tmpdir(), 'okb-browser-')),
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    SYNC_INTERVAL_MS: '50',
    GITHUB_CLIENT_ID: 'gh-client',
    GITHUB_CLIENT_SECRET: 'gh-secret',
    OAUTH_ENDPOINTS: standIn.endpointsJson,
  })
  // The CLI's own functions on the same store file, as `okta-bridge org create` etc. would.
  store = openStore(sqlitePath(config))
  orgId = (await createOrg(store, { slug: 'acme', name: 'Acme <Corp> & "Friends"' })).id
  await createAdmin(store, { orgSlug: 'acme', email: EMAIL, password: ADMIN_PASSWORD })
  apiKey = (await createApiKey(store, { orgSlug: 'acme' })).key
  server = await startServer(config, silentLogger)
  base = `http://127.0.0.1:${port}/orgs/acme`
  browser = await launchBrowser()
  page = browser.page
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) cspViolations.push(message.text())
  })
  page.on('dialog', async (dialog) => {
    dialogs.push(dialog.message())
    await dialog.dismiss()
  })
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
  await store?.close()
  standIn.stop()
})

/** Retries `check` until it holds (the scheduler works in the background). */
async function eventually(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time')
    await Bun.sleep(200)
  }
}

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })

async function api(path: string, init: { method?: string; body?: unknown } = {}) {
  const response = await fetch(`${server.url}/api/v1/orgs/acme${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

async function scim(token: string, path: string, body?: unknown) {
  return fetch(`${base}/okta/scim${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
}

const scimUser = (email: string, given: string, family: string) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  userName: email,
  name: { givenName: given, familyName: family },
  emails: [{ value: email, primary: true, type: 'work' }],
  active: true,
})

describe('console in Chromium', () => {
  let scimToken = ''
  let userIds: string[] = []

  test('sign in with the keyboard after being sent to sign-in', async () => {
    await page.goto(`${base}/admin/users`)
    expect(new URL(page.url()).pathname).toBe('/orgs/acme/admin/login')
    expect(await page.title()).toBe('Sign in · Acme <Corp> & "Friends"')
    await shot('01-sign-in')
    await page.keyboard.press('Tab')
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content')
    await page.keyboard.press('Tab')
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('f-email')
    await page.keyboard.type(EMAIL)
    await page.keyboard.press('Tab')
    await page.keyboard.type(ADMIN_PASSWORD)
    await page.keyboard.press('Enter')
    await page.waitForURL(`${base}/admin/users`)
    expect(await page.textContent('#users-empty')).toContain('No users yet — assign people in Okta.')
  })

  test('set up the integration and read the SCIM token once', async () => {
    await page.goto(`${base}/admin/integration`)
    expect(await page.isVisible('#not-configured')).toBe(true)
    await shot('02-integration-not-set-up')
    // The metadata URL is the first choice; this test types the three values (the third).
    expect(await page.isVisible('#f-metadataUrl')).toBe(true)
    await page.click('#manual-setup > summary')
    // A mistake first: the field says what is wrong.
    await page.fill('#f-ssoUrl', 'http://acme.okta.com/app/x/sso/saml')
    await page.fill('#f-issuer', 'http://www.okta.com/exk1')
    await page.fill('#f-certificate', selfSigned().certificate)
    await page.click('#manual-form button[type=submit]')
    expect(await page.textContent('#f-ssoUrl-error')).toContain('must use https')
    expect(await page.getAttribute('#f-ssoUrl', 'aria-invalid')).toBe('true')
    await shot('03-integration-field-error')
    await page.fill('#f-ssoUrl', 'https://acme.okta.com/app/acme_bridge/exk1/sso/saml')
    await page.fill('#f-certificate', selfSigned().certificate)
    await page.click('#manual-form button[type=submit]')
    scimToken = ((await page.textContent('#scim-token')) ?? '').trim()
    expect(scimToken).toStartWith('okb_scim_')
    expect(await page.textContent('.token-once')).toContain('you will not see this again')
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], {
      origin: new URL(base).origin,
    })
    await page.click('button[data-copy="scim-token"]')
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(scimToken)
    await shot('04-integration-token-once')
    // The token is real: Okta's first call succeeds with it.
    expect((await scim(scimToken, '/Users?count=1')).status).toBe(200)
    await page.goto(`${base}/admin/integration`)
    expect(await page.content()).not.toContain(scimToken)
  })

  test('the connected users count follows SCIM pushes without a reload', async () => {
    await page.goto(`${base}/admin/integration`)
    await page.evaluate(() => {
      ;(window as unknown as { stillHere: boolean }).stillHere = true
    })
    expect(await page.textContent('#connected-users')).toBe('0')
    // A person who had a local account before the integration: Okta's push makes a duplicate.
    expect(
      (await api('/users', { method: 'POST', body: { email: 'grace@acme.example', name: 'Grace Hopper' } }))
        .status,
    ).toBe(201)
    const pushed = [
      scimUser('ada@acme.example', '<script>alert("x")</script>', 'Lovelace'),
      scimUser('bob@acme.example', 'Bob', 'Builder'),
      scimUser('grace@acme.example', 'Grace', 'Hopper'),
    ]
    userIds = []
    for (const user of pushed) {
      const response = await scim(scimToken, '/Users', user)
      expect(response.status).toBe(201)
      userIds.push(((await response.json()) as { id: string }).id)
    }
    const group = await scim(scimToken, '/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'Engineering',
      members: userIds.slice(0, 2).map((value) => ({ value })),
    })
    expect(group.status).toBe(201)
    await page.waitForFunction(() => document.getElementById('connected-users')?.textContent === '3')
    expect(await page.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere)).toBe(true)
  })

  test('users are listed, searchable, and names from Okta are shown as text', async () => {
    await page.goto(`${base}/admin/users`)
    // Ada and Bob from Okta, Grace local (her Okta twin waits as a duplicate).
    await eventually(async () => {
      await page.reload()
      return (await page.locator('#users tbody tr').count()) === 3
    })
    await page.fill('#f-q', 'ada@')
    await page.press('#f-q', 'Enter')
    await page.waitForURL(/q=ada%40/)
    expect(await page.locator('#users tbody tr').count()).toBe(1)
    expect(await page.textContent('#users tbody tr td')).toContain('<script>alert("x")</script> Lovelace')
    expect(dialogs).toEqual([])
    await page.goto(`${base}/admin/users?q=o`)
    await shot('05-users')
  })

  test('map a group to a role', async () => {
    await page.goto(`${base}/admin/groups`)
    const row = page.locator('#groups tbody tr', { hasText: 'Engineering' })
    expect(await row.locator('td').nth(1).textContent()).toBe('2')
    await row.locator('select').selectOption('admin')
    await page.click('button:has-text("Save role mappings")')
    await page.waitForURL(/saved=1/)
    expect(await page.textContent('.flash-ok')).toContain('Role mappings saved')
    await shot('06-groups-and-roles')
    // The reconcile the mapping started gives Ada the role.
    await eventually(async () => {
      await page.goto(`${base}/admin/users?q=ada%40`)
      return (await page.textContent('#users tbody tr td:nth-child(4)')) === 'admin'
    })
  })

  test('merge a duplicate after the dry-run preview', async () => {
    await page.goto(`${base}/admin/duplicates`)
    expect(await page.textContent('#duplicates tbody')).toContain('grace@acme.example')
    expect(await page.textContent('#preview-count')).toBe('A re-sync would merge 1 pair:')
    await shot('07-duplicates')
    await page.click('button:has-text("Merge 1 pair and re-sync")')
    await page.waitForURL(/merged=1/)
    expect(await page.textContent('.flash-ok')).toContain('1 pair merged')
    expect(await page.isVisible('#duplicates-empty')).toBe(true)
    const grace = await api('/users?email=grace@acme.example')
    expect(grace.body.items).toMatchObject([{ source: 'local', scimUserId: userIds[2] }])
  })

  test('a re-sync from the settings page shows the full reconcile progress live', async () => {
    await directoryWriter(store, orgId).users(
      Array.from({ length: BULK_USERS }, (_, i) => ({ userName: `bulk${i}@acme.example` })),
    )
    await eventually(async () => {
      const sync = (await api('/sync')).body as {
        pendingChanges: number
        fullReconcile: { running: boolean }
      }
      return sync.pendingChanges === 0 && !sync.fullReconcile.running
    })
    await page.goto(`${base}/admin/integration`)
    await page.evaluate(() => {
      ;(window as unknown as { stillHere: boolean }).stillHere = true
    })
    const lastBefore = await page.textContent('#last-reconcile')
    await page.click('button:has-text("Re-sync now")')
    await page.waitForURL(/resynced=0/)
    await page.evaluate(() => {
      ;(window as unknown as { stillHere: boolean }).stillHere = true
    })
    const progress = page.locator('#reconcile-progress')
    expect(await progress.isVisible()).toBe(true)
    const max = Number(await progress.evaluate((el) => (el as HTMLProgressElement).max))
    expect(max).toBeGreaterThan(BULK_USERS)
    expect(Number(await progress.getAttribute('value'))).toBeLessThan(max)
    await shot('08-integration-reconcile-progress')
    // The script brings the page to "finished" by itself: no reload.
    await page.waitForFunction(
      (before) => {
        const last = document.getElementById('last-reconcile')
        return (
          last?.closest('[data-show-if]')?.hasAttribute('hidden') === false && last.textContent !== before
        )
      },
      lastBefore,
      { timeout: 30_000 },
    )
    expect(await page.isHidden('#reconcile-progress')).toBe(true)
    expect(await page.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere)).toBe(true)
    expect(await page.textContent('#connected-users')).toBe((BULK_USERS + 3).toLocaleString('en-US'))
    await shot('09-integration-status')
  })

  test('the audit log filters by kind, newest first', async () => {
    await page.goto(`${base}/admin/audit`)
    await page.selectOption('#f-kind', 'admin')
    await page.click('button:has-text("Filter")')
    await page.waitForURL(/kind=admin/)
    const kinds = await page.locator('#audit tbody td:nth-child(2)').allTextContents()
    expect(new Set(kinds)).toEqual(new Set(['Admin']))
    const actions = await page.locator('#audit tbody td:nth-child(3)').allTextContents()
    expect(actions[0]).toStartWith('resync')
    expect(actions.some((a) => a.startsWith('role_mappings.updated'))).toBe(true)
    await shot('10-audit-log')
  })

  test('rotate the token after confirming; the old one stops working', async () => {
    await page.goto(`${base}/admin/integration`)
    await page.click('a:has-text("Rotate SCIM token")')
    await shot('11-rotate-confirm')
    await page.click('button:has-text("Rotate the token")')
    const fresh = ((await page.textContent('#scim-token')) ?? '').trim()
    expect(fresh).toStartWith('okb_scim_')
    expect(fresh).not.toBe(scimToken)
    expect((await scim(scimToken, '/Users?count=1')).status).toBe(401)
    expect((await scim(fresh, '/Users?count=1')).status).toBe(200)
    scimToken = fresh
  })

  test('a person connects GitHub on the account page', async () => {
    const ada = await store.accounts.byEmail(orgId, 'ada@acme.example')
    expect(ada).not.toBeNull()
    const session = await issueSession(store, { orgId, kind: 'user', subjectId: ada?.id as string })
    await browser.context.addCookies([{ name: 'okb_session', value: session.token, url: base }])
    await page.goto(`${base}/account`)
    expect(await page.textContent('#connected-accounts')).toContain('Optional: connect your GitHub')
    await shot('12-account')
    await page.click('a:has-text("Connect GitHub")')
    await page.waitForURL(/connected=github/)
    expect(await page.textContent('#connected-accounts')).toContain('GitHub is connected.')
    expect(await page.textContent('#connected-accounts')).toContain('octocat (octo@users.example)')
    await shot('13-account-connected')
  })

  test('remove the integration after the dry-run count, then watch it finish', async () => {
    await page.goto(`${base}/admin/integration`)
    await page.click('a:has-text("Remove integration")')
    const expected = BULK_USERS + 2 // every provisioned user except Grace, who existed before
    expect(await page.textContent('#dry-run-users')).toBe(`${expected.toLocaleString('en-US')} users`)
    await page.fill('#f-confirmSlug', 'acme')
    await shot('14-remove-confirm')
    await page.click('button:has-text("Remove the integration")')
    await page.waitForURL(/removing=1/)
    await page.locator('#removal-done').waitFor({ state: 'visible', timeout: 60_000 })
    await shot('15-removal-finished')
    await page.goto(`${base}/admin/integration`)
    expect(await page.isVisible('#not-configured')).toBe(true)
    const users = await api('/users')
    expect((users.body.items as { email: string }[]).map((u) => u.email)).toEqual(['grace@acme.example'])
  })

  test('readable at phone width, with no CSP violation anywhere', async () => {
    await page.setViewportSize({ width: 375, height: 812 })
    for (const path of ['/admin/integration', '/admin/users', '/admin/audit']) {
      await page.goto(`${base}${path}`)
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
      expect(overflow).toBeLessThanOrEqual(0)
    }
    await page.goto(`${base}/admin/integration`)
    await shot('16-phone-integration')
    expect(cspViolations).toEqual([])
    expect(dialogs).toEqual([])
  })
})
