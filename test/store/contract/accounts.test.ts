/**
 * The account contract (`store.accounts`), on both engines: an account reads back exactly as
 * written by id, lowered email and SCIM user, only in its org; an email is taken once per org and a
 * SCIM user is linked to one account at most (`UniqueViolation`, also when two instances insert at
 * once); every update changes its own columns of one account of one org; the full reconcile's pages
 * of linked accounts go by SCIM user id byte by byte; the admin list filters by email, source,
 * active and a case-insensitive substring (wildcards taken literally) and pages by (created_at, id),
 * ids ordered byte by byte, the same on both engines.
 */
import { expect, test } from 'bun:test'
import type { AccountFilter, AccountRow } from '../../../src/store/accounts.ts'
import { UniqueViolation } from '../../../src/store/errors.ts'
import type { Store } from '../../../src/store/index.ts'
import { bytewise, TRICKY_IDS } from './directory-support.ts'
import { eachEngine, openStores } from './engines.ts'
import { accountRow, orgRow } from './org-state-support.ts'

const T = 1_700_000_000_000
const ORG = 'org-a'
const OTHER = 'org-b'
const LIST = 'org-list'

/** Every page of the list with `filter`, following the keyset; answers the ids in order. */
async function listIds(store: Store, orgId: string, filter: Omit<AccountFilter, 'limit'>, limit = 3) {
  const ids: string[] = []
  let after: AccountFilter['after']
  for (;;) {
    const page = await store.accounts.list(orgId, { ...filter, after, limit })
    ids.push(...page.map((row) => row.id))
    const last = page.at(-1)
    if (page.length < limit || !last) return ids
    after = { createdAt: last.created_at, id: last.id }
  }
}

eachEngine((engine) => {
  let store: Store
  let twin: Store
  openStores(engine, async (opened, openedTwin) => {
    ;[store, twin] = [opened, openedTwin]
    for (const org of [ORG, OTHER, LIST]) await store.orgs.insert(orgRow(org))
  })

  test('an account reads back exactly as written, by id, email and SCIM user, only in its org', async () => {
    const row: AccountRow = accountRow(ORG, 'acc-ann', {
      email: 'Ann@Example.com',
      email_lower: 'ann@example.com',
      name: 'Ann Adams',
      source: 'okta',
      active: 0,
      role: 'admin',
      scim_user_id: 'su-ann',
      created_via_integration: 1,
      last_sign_in_at: T - 5,
      created_at: T,
      updated_at: T + 1,
    })
    await store.accounts.insert(row)
    expect(await twin.accounts.byId(ORG, 'acc-ann')).toEqual(row)
    expect(await twin.accounts.byEmail(ORG, 'ann@example.com')).toEqual(row)
    expect(await twin.accounts.byScimUser(ORG, 'su-ann')).toEqual(row)
    expect(await twin.accounts.byId(OTHER, 'acc-ann')).toBeNull()
    expect(await twin.accounts.byEmail(OTHER, 'ann@example.com')).toBeNull()
    expect(await twin.accounts.byEmail(ORG, 'Ann@Example.com')).toBeNull()
    expect(await twin.accounts.byScimUser(OTHER, 'su-ann')).toBeNull()
    expect(await twin.accounts.byId(ORG, 'missing')).toBeNull()
  })

  test('an email is taken once per org; a SCIM user is linked to one account at most', async () => {
    await store.accounts.insert(accountRow(ORG, 'acc-bob', { email: 'bob@example.com' }))
    const again = accountRow(ORG, 'acc-bob2', { email: 'BOB@example.com', email_lower: 'bob@example.com' })
    await expect(twin.accounts.insert(again)).rejects.toBeInstanceOf(UniqueViolation)
    await store.accounts.insert(accountRow(OTHER, 'acc-bob-elsewhere', { email: 'bob@example.com' }))
    await expect(
      store.accounts.insert(accountRow(ORG, 'acc-ann2', { scim_user_id: 'su-ann' })),
    ).rejects.toBeInstanceOf(UniqueViolation)
    await expect(store.accounts.setScimUser(ORG, 'acc-bob', 'su-ann', T)).rejects.toBeInstanceOf(
      UniqueViolation,
    )
    expect((await store.accounts.byId(ORG, 'acc-bob'))?.scim_user_id).toBeNull()
    await expect(store.accounts.insert(accountRow(OTHER, 'acc-bob'))).rejects.toBeInstanceOf(UniqueViolation)
  })

  test('two instances creating the account of one email at once: one row, the rest UniqueViolation', async () => {
    const attempts = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        (i % 2 === 0 ? store : twin).accounts.insert(
          accountRow(ORG, `acc-race-${i}`, { email: 'race@example.com', scim_user_id: `su-race-${i}` }),
        ),
      ),
    )
    const refused = attempts.filter((outcome) => outcome.status === 'rejected')
    expect(attempts.length - refused.length).toBe(1)
    for (const outcome of refused) expect(outcome.reason).toBeInstanceOf(UniqueViolation)
    expect((await store.accounts.list(ORG, { emailLower: 'race@example.com', limit: 10 })).length).toBe(1)
  })

  test('each update changes its own columns of one account of one org', async () => {
    const row = accountRow(ORG, 'acc-upd', { created_at: T, updated_at: T })
    await store.accounts.insert(row)
    await twin.accounts.recordSignIn(ORG, 'acc-upd', T + 1)
    expect(await store.accounts.byId(ORG, 'acc-upd')).toEqual({ ...row, last_sign_in_at: T + 1 })
    await twin.accounts.setProfile(ORG, 'acc-upd', 'Émile.New@Example.com', 'Émile', T + 2)
    const profiled = {
      ...row,
      last_sign_in_at: T + 1,
      email: 'Émile.New@Example.com',
      email_lower: 'émile.new@example.com',
      name: 'Émile',
      updated_at: T + 2,
    }
    expect(await store.accounts.byId(ORG, 'acc-upd')).toEqual(profiled)
    expect((await store.accounts.byEmail(ORG, 'émile.new@example.com'))?.id).toBe('acc-upd')
    await twin.accounts.setActive(ORG, 'acc-upd', false, T + 3)
    await twin.accounts.setRole(ORG, 'acc-upd', 'admin', T + 4)
    await twin.accounts.setScimUser(ORG, 'acc-upd', 'su-upd', T + 5)
    const linked = { ...profiled, active: 0, role: 'admin', scim_user_id: 'su-upd', updated_at: T + 5 }
    expect(await store.accounts.byId(ORG, 'acc-upd')).toEqual(linked)
    await twin.accounts.setActive(ORG, 'acc-upd', true, T + 6)
    await twin.accounts.setScimUser(ORG, 'acc-upd', null, T + 7)
    const unlinked = { ...linked, active: 1, scim_user_id: null, updated_at: T + 7 }
    expect(await store.accounts.byId(ORG, 'acc-upd')).toEqual(unlinked)
    // Named under another org, nothing changes.
    await twin.accounts.recordSignIn(OTHER, 'acc-upd', T + 9)
    await twin.accounts.setProfile(OTHER, 'acc-upd', 'x@example.com', 'X', T + 9)
    await twin.accounts.setActive(OTHER, 'acc-upd', false, T + 9)
    await twin.accounts.setRole(OTHER, 'acc-upd', 'member', T + 9)
    await twin.accounts.setScimUser(OTHER, 'acc-upd', 'su-other', T + 9)
    expect(await twin.accounts.remove(OTHER, 'acc-upd')).toBe(0)
    expect(await store.accounts.byId(ORG, 'acc-upd')).toEqual(unlinked)
  })

  test('removing an account counts it, in its org only', async () => {
    await store.accounts.insert(accountRow(ORG, 'acc-rm'))
    expect(await twin.accounts.remove(ORG, 'acc-rm')).toBe(1)
    expect(await twin.accounts.remove(ORG, 'acc-rm')).toBe(0)
    expect(await store.accounts.byId(ORG, 'acc-rm')).toBeNull()
    expect((await store.accounts.byId(OTHER, 'acc-bob-elsewhere'))?.email).toBe('bob@example.com')
  })

  test('linked accounts page by SCIM user id, byte by byte, after an exclusive cursor, in the org', async () => {
    const org = 'org-linked'
    await store.orgs.insert(orgRow(org))
    for (const [i, id] of TRICKY_IDS.entries()) {
      await store.accounts.insert(accountRow(org, `acc-l${i}`, { scim_user_id: `lk-${id}` }))
    }
    await store.accounts.insert(accountRow(org, 'acc-local'))
    await store.accounts.insert(accountRow(OTHER, 'acc-l-other', { scim_user_id: 'lk-0-other' }))
    expect(await twin.accounts.countLinked(org)).toBe(TRICKY_IDS.length)
    const seen: string[] = []
    let after = ''
    for (;;) {
      const page = await twin.accounts.linkedPage(org, after, 4)
      seen.push(...page.map((row) => row.scim_user_id as string))
      if (page.length < 4) break
      after = page.at(-1)?.scim_user_id as string
    }
    expect(seen).toEqual(bytewise(TRICKY_IDS.map((id) => `lk-${id}`)))
    expect(await twin.accounts.countLinked('org-without-accounts')).toBe(0)
  })

  test('the list pages by (created_at, id) with ids byte by byte, the same on both engines', async () => {
    for (const [i, id] of TRICKY_IDS.entries()) {
      await store.accounts.insert(accountRow(LIST, id, { email: `p${i}@example.com`, created_at: T }))
    }
    await store.accounts.insert(
      accountRow(LIST, 'zz-first', { email: 'first@example.com', created_at: T - 1 }),
    )
    await store.accounts.insert(accountRow(LIST, 'aa-last', { email: 'last@example.com', created_at: T + 1 }))
    expect(await listIds(twin, LIST, {})).toEqual(['zz-first', ...bytewise(TRICKY_IDS), 'aa-last'])
    expect(await listIds(twin, LIST, {}, 100)).toEqual(await listIds(twin, LIST, {}, 1))
    expect(await listIds(twin, 'org-without-accounts', {})).toEqual([])
  })

  test('the list filters by email, source and active, alone and together', async () => {
    const org = 'org-filter'
    await store.orgs.insert(orgRow(org))
    const rows = [
      accountRow(org, 'f-1', { source: 'okta', active: 1, created_at: T }),
      accountRow(org, 'f-2', { source: 'local', active: 1, created_at: T + 1 }),
      accountRow(org, 'f-3', { source: 'okta', active: 0, created_at: T + 2 }),
      accountRow(org, 'f-4', { source: 'local', active: 0, created_at: T + 3 }),
    ]
    for (const row of rows) await store.accounts.insert(row)
    expect(await listIds(twin, org, { source: 'okta' })).toEqual(['f-1', 'f-3'])
    expect(await listIds(twin, org, { active: false })).toEqual(['f-3', 'f-4'])
    expect(await listIds(twin, org, { active: true, source: 'local' })).toEqual(['f-2'])
    expect(await listIds(twin, org, { emailLower: 'f-4@example.com' })).toEqual(['f-4'])
    expect(await listIds(twin, org, { emailLower: 'f-4@example.com', active: true })).toEqual([])
    expect(await twin.accounts.list(org, { active: true, limit: 1 })).toEqual([rows[0] as AccountRow])
  })

  test('the search finds a substring of email or name in any ASCII case, wildcards literally', async () => {
    const org = 'org-search'
    await store.orgs.insert(orgRow(org))
    const people: Array<[id: string, email: string, name: string]> = [
      ['s-1', 'ann_lee@example.com', 'Ann Lee'],
      ['s-2', 'annxlee@example.com', 'Annx Lee'],
      ['s-3', 'pct@example.com', '100% Bob'],
      ['s-4', 'slash@example.com', 'back\\slash'],
      ['s-5', 'zed@example.com', 'ZED McAnn'],
    ]
    for (const [i, [id, email, name]] of people.entries()) {
      await store.accounts.insert(accountRow(org, id, { email, name, created_at: T + i }))
    }
    expect(await listIds(twin, org, { search: 'ANN' })).toEqual(['s-1', 's-2', 's-5'])
    expect(await listIds(twin, org, { search: 'mcann' })).toEqual(['s-5'])
    expect(await listIds(twin, org, { search: 'n_l' })).toEqual(['s-1'])
    expect(await listIds(twin, org, { search: '0%' })).toEqual(['s-3'])
    expect(await listIds(twin, org, { search: '%' })).toEqual(['s-3'])
    expect(await listIds(twin, org, { search: 'k\\s' })).toEqual(['s-4'])
    expect(await listIds(twin, org, { search: 'EXAMPLE.COM', source: 'local' })).toEqual([])
    expect(await listIds(twin, ORG, { search: 'ann_lee' })).toEqual([])
  })
})
