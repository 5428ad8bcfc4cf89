/**
 * Migration 110 on both engines: admins carry how they came to be (`source`), the break-glass flag
 * and the account they sign in with through Okta (found by account, linked once, per org); a
 * session's request read (`sessions.forRequest`) brings the org's integration settings and, for an
 * admin session opened through Okta, the account's state in the same row, which
 * `verifySession` turns into the org's current lifetime (lowering `sessionMaxHours` or
 * `sessionIdleMinutes` ends an existing session at once) and into the end of a console session whose
 * account is deactivated or no longer an admin; an AuthnRequest keeps its purpose.
 */
import { expect, test } from 'bun:test'
import { issueSession, verifySession } from '../../../src/sessions/service.ts'
import { hashSecret } from '../../../src/store/ids.ts'
import type { Store } from '../../../src/store/index.ts'
import type { AdminRow } from '../../../src/store/orgs.ts'
import { eachEngine, openStores } from './engines.ts'
import { accountRow, integrationRow, orgRow } from './org-state-support.ts'

const NOW = 1_700_000_000_000
const HOUR = 3_600_000
const ORG = 'org-sso'
const OTHER = 'org-sso-other'

const admin = (orgId: string, id: string, extra: Partial<AdminRow> = {}): AdminRow => ({
  id,
  org_id: orgId,
  email: `${id}@example.com`,
  email_lower: `${id}@example.com`,
  password_hash: '',
  created_at: NOW,
  source: 'sso',
  break_glass: 0,
  account_id: null,
  ...extra,
})

eachEngine((engine) => {
  let store: Store
  let twin: Store
  openStores(engine, async (opened, openedTwin) => {
    ;[store, twin] = [opened, openedTwin]
    for (const org of [ORG, OTHER]) await store.orgs.insert(orgRow(org))
    await store.integrations.insert(integrationRow(ORG))
  })

  test('an admin reads back with source, break-glass flag and account; found by account in its org only', async () => {
    const sso = admin(ORG, 'adm-sso', { account_id: 'acc-1' })
    const glass = admin(ORG, 'adm-glass', { source: 'password', password_hash: 'h', break_glass: 1 })
    await store.admins.insert(sso)
    await store.admins.insert(glass)
    expect(await twin.admins.byId(ORG, 'adm-sso')).toEqual(sso)
    expect(await twin.admins.byId(ORG, 'adm-glass')).toEqual(glass)
    expect(await twin.admins.byAccount(ORG, 'acc-1')).toEqual(sso)
    expect(await twin.admins.byAccount(OTHER, 'acc-1')).toBeNull()
    expect(await twin.admins.byAccount(ORG, 'acc-unknown')).toBeNull()
  })

  test('linking an admin to an account and setting break-glass change only that row', async () => {
    await store.admins.insert(admin(ORG, 'adm-link', { source: 'password', password_hash: 'h' }))
    expect(await twin.admins.linkAccount(ORG, 'adm-link', 'acc-2')).toBe(true)
    expect(await twin.admins.linkAccount(OTHER, 'adm-link', 'acc-2')).toBe(false)
    expect((await store.admins.byAccount(ORG, 'acc-2'))?.id).toBe('adm-link')
    expect(await twin.admins.setBreakGlass(ORG, 'adm-link', true)).toBe(true)
    expect((await store.admins.byId(ORG, 'adm-link'))?.break_glass).toBe(1)
    expect(await twin.admins.setBreakGlass(ORG, 'adm-link', false)).toBe(true)
    expect((await store.admins.byId(ORG, 'adm-link'))?.break_glass).toBe(0)
    expect(await twin.admins.setBreakGlass(ORG, 'adm-none', true)).toBe(false)
  })

  test("a session's request read brings the org's settings and its Okta account's state", async () => {
    await store.accounts.insert(accountRow(ORG, 'acc-read', { role: 'admin' }))
    const issued = await issueSession(
      store,
      { orgId: ORG, kind: 'admin', subjectId: 'adm-sso', accountId: 'acc-read' },
      NOW,
    )
    const row = await twin.sessions.forRequest(hashSecret(issued.token))
    expect(row).toMatchObject({
      org_id: ORG,
      kind: 'admin',
      account_id: 'acc-read',
      integration_settings: '{}',
      account_active: 1,
      account_role: 'admin',
    })
    const plain = await issueSession(store, { orgId: OTHER, kind: 'user', subjectId: 'acc-x' }, NOW)
    expect(await twin.sessions.forRequest(hashSecret(plain.token))).toMatchObject({
      account_id: null,
      integration_settings: null,
      account_active: null,
      account_role: null,
    })
    expect(await twin.sessions.forRequest('unknown')).toBeNull()
  })

  test("the org's current lifetime decides: lowering the maximum or the idle time ends older sessions", async () => {
    const setSettings = (settings: Record<string, unknown>) =>
      store.integrations.update({
        ...integrationRow(ORG),
        settings: JSON.stringify(settings),
        updated_at: NOW,
      })
    await setSettings({ sessionMaxHours: 24, sessionIdleMinutes: 600 })
    const issued = await issueSession(store, { orgId: ORG, kind: 'user', subjectId: 'acc-life' }, NOW)
    expect(issued.maxAgeSeconds).toBe(24 * 3600)
    expect(issued.expiresAt).toBe(NOW + 24 * HOUR)
    expect(await verifySession(twin, issued.token, ORG, 'user', NOW + 5 * HOUR)).not.toBeNull()
    await setSettings({ sessionMaxHours: 4, sessionIdleMinutes: 600 })
    expect(await verifySession(twin, issued.token, ORG, 'user', NOW + 5 * HOUR)).toBeNull()
    // Ended means gone, for every instance.
    expect(await store.sessions.byHash(hashSecret(issued.token))).toBeNull()

    await setSettings({ sessionMaxHours: 24, sessionIdleMinutes: 600 })
    const idle = await issueSession(store, { orgId: ORG, kind: 'admin', subjectId: 'adm-glass' }, NOW)
    expect(await verifySession(twin, idle.token, ORG, 'admin', NOW + 2 * HOUR)).not.toBeNull()
    await setSettings({ sessionMaxHours: 24, sessionIdleMinutes: 60 })
    expect(await verifySession(twin, idle.token, ORG, 'admin', NOW + 2 * HOUR + 61 * 60_000)).toBeNull()
    await setSettings({})
  })

  test('a console session through Okta ends when its account is deactivated or loses the admin role', async () => {
    await store.accounts.insert(accountRow(ORG, 'acc-demoted', { role: 'admin' }))
    await store.accounts.insert(accountRow(ORG, 'acc-gone', { role: 'admin' }))
    const demoted = await issueSession(
      store,
      { orgId: ORG, kind: 'admin', subjectId: 'adm-d', accountId: 'acc-demoted' },
      NOW,
    )
    const gone = await issueSession(
      store,
      { orgId: ORG, kind: 'admin', subjectId: 'adm-g', accountId: 'acc-gone' },
      NOW,
    )
    expect((await verifySession(twin, demoted.token, ORG, 'admin', NOW + 1))?.accountId).toBe('acc-demoted')
    await store.accounts.setRole(ORG, 'acc-demoted', 'member', NOW)
    expect(await verifySession(twin, demoted.token, ORG, 'admin', NOW + 2)).toBeNull()
    expect(await verifySession(twin, gone.token, ORG, 'admin', NOW + 1)).not.toBeNull()
    await store.accounts.setActive(ORG, 'acc-gone', false, NOW)
    expect(await verifySession(twin, gone.token, ORG, 'admin', NOW + 2)).toBeNull()
  })

  test('an AuthnRequest keeps its purpose', async () => {
    const row = {
      org_id: ORG,
      request_id: '_console',
      browser_hash: 'b',
      next_path: '/orgs/x/admin/users',
      expires_at: NOW + 600_000,
      purpose: 'console' as const,
    }
    await store.saml.insertRequest(row)
    expect(await twin.saml.takeRequest(ORG, '_console', 'b', NOW)).toEqual(row)
  })
})
