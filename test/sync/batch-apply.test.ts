/**
 * One feed batch applied from the rows it reads up front (src/sync/batch-view.ts) gives what the
 * change-by-change application gave, on both engines: changes of one user collapse into its
 * current state, an account created in the batch is found by its email and SCIM user by the rest
 * of the batch (a second user with that email is a conflict, a membership names the account), a
 * pre-existing account's email makes a duplicate, roles come from the mapped groups, and the
 * events and audit rows keep the changes' order. The same directory applied one change per batch
 * ends in the same accounts.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { Store } from '../../src/store/index.ts'
import { applyFeedBatch } from '../../src/sync/feed.ts'
import { addOrg } from '../store/contract/directory-support.ts'
import { eachEngine } from '../store/contract/engines.ts'
import { accountRow, tableRows } from '../store/contract/org-state-support.ts'
import { directoryWriter } from '../support/directory.ts'

const NOW = 1_800_000_000_000

/** The same directory story, written through the SCIM layer's shape into `orgId`. */
async function writeStory(store: Store, orgId: string): Promise<Record<string, string>> {
  await store.accounts.insert(accountRow(orgId, `${orgId}-local`, { email: 'fay@x', email_lower: 'fay@x' }))
  await store.roles.replace(orgId, [{ group: 'Admins', role: 'admin' }])
  const dir = directoryWriter(store, orgId)
  const ids: Record<string, string> = {}
  ids.ann = await dir.user({ userName: 'ann@x', displayName: 'Ann' }, NOW)
  ids.bob = await dir.user({ userName: 'bob@x' }, NOW)
  ids.cat = await dir.user({ userName: 'cat', email: 'same@x' }, NOW)
  ids.dan = await dir.user({ userName: 'dan', email: 'same@x' }, NOW)
  ids.admins = await dir.group('Admins', undefined, NOW)
  ids.eve = await dir.user({ userName: 'eve@x', displayName: 'Eve' }, NOW)
  await dir.addMembers(ids.admins, [ids.eve], NOW)
  await dir.user({ id: ids.ann, userName: 'ann@x', displayName: 'Ann Renamed' }, NOW)
  await dir.deleteUser(ids.bob, NOW)
  ids.fay = await dir.user({ userName: 'fay@x', displayName: 'Fay' }, NOW)
  return ids
}

async function applyAll(store: Store, orgId: string, limit: number): Promise<void> {
  for (;;) {
    const result = await applyFeedBatch(store, orgId, { holder: 't', leaseMs: 60_000, limit, now: NOW })
    if (result.applied === 0) return
  }
}

/** Accounts as the org sees them: by email, with what the scheduler decides. */
async function accountsOf(store: Store, orgId: string, ids: Record<string, string>) {
  const names = Object.fromEntries(Object.entries(ids).map(([name, id]) => [id, name]))
  const rows = await tableRows(store, 'accounts', orgId, 'email_lower')
  return rows.map((row) => ({
    email: row.email,
    name: row.name,
    role: row.role,
    active: row.active,
    user: row.scim_user_id === null ? null : names[String(row.scim_user_id)],
  }))
}

eachEngine((engine) => {
  let store: Store
  beforeAll(async () => {
    store = await engine.open()
    for (const org of ['one-batch', 'by-change']) await addOrg(store, org)
  }, 30_000)
  afterAll(async () => {
    await store.close()
  })

  test('a whole story in one batch: accounts, duplicates, conflicts, roles, events in order', async () => {
    const org = 'one-batch'
    const ids = await writeStory(store, org)
    await applyAll(store, org, 1000)

    expect(await accountsOf(store, org, ids)).toEqual([
      { email: 'ann@x', name: 'Ann Renamed', role: 'member', active: 1, user: 'ann' },
      { email: 'eve@x', name: 'Eve', role: 'admin', active: 1, user: 'eve' },
      { email: 'fay@x', name: 'one-batch-local', role: 'member', active: 1, user: null },
      { email: 'same@x', name: 'cat', role: 'member', active: 1, user: 'cat' },
    ])
    const events = await store.events.after(org, 0, 100)
    const eve = await store.accounts.byScimUser(org, ids.eve as string)
    expect(events.map((e) => [e.type, e.account_id, JSON.parse(e.data)])).toEqual([
      [
        'account.created',
        (await store.accounts.byScimUser(org, ids.ann as string))?.id,
        {
          email: 'ann@x',
          name: 'Ann Renamed',
          role: 'member',
          source: 'okta',
          scimUserId: ids.ann,
          via: 'scim',
        },
      ],
      [
        'account.created',
        (await store.accounts.byScimUser(org, ids.cat as string))?.id,
        { email: 'same@x', name: 'cat', role: 'member', source: 'okta', scimUserId: ids.cat, via: 'scim' },
      ],
      ['group.created', null, { displayName: 'Admins', externalId: null }],
      [
        'account.created',
        eve?.id,
        {
          email: 'eve@x',
          name: 'Eve',
          role: 'admin',
          source: 'okta',
          scimUserId: ids.eve,
          via: 'scim',
        },
      ],
      ['membership.added', eve?.id, { group: 'Admins', scimUserId: ids.eve }],
    ])
    const duplicates = await tableRows(store, 'duplicates', org, 'scim_user_id')
    expect(duplicates.map((row) => [row.scim_user_id, row.account_id, row.matched_on])).toEqual([
      [ids.fay, `${org}-local`, 'email'],
    ])
    const audit = (await store.audit.list(org, { limit: 10 })).reverse()
    expect(audit.map((row) => [row.action, row.outcome])).toEqual([
      ['account.conflict', 'skipped'],
      ['duplicate.detected', 'success'],
      ['sync.batch', 'success'],
    ])
    expect(JSON.parse(audit[2]?.data ?? '{}')).toMatchObject({
      changes: 10,
      'account.created': 3,
      'group.created': 1,
      'membership.added': 1,
      conflicts: 1,
      duplicatesDetected: 1,
    })
  })

  test('the same story one change per batch ends in the same accounts', async () => {
    const ids = await writeStory(store, 'by-change')
    await applyAll(store, 'by-change', 1)
    const local = { email: 'fay@x', name: 'by-change-local', role: 'member', active: 1, user: null }
    expect(await accountsOf(store, 'by-change', ids)).toEqual([
      { email: 'ann@x', name: 'Ann Renamed', role: 'member', active: 1, user: 'ann' },
      { email: 'eve@x', name: 'Eve', role: 'admin', active: 1, user: 'eve' },
      local,
      { email: 'same@x', name: 'cat', role: 'member', active: 1, user: 'cat' },
    ])
  })

  test('a second batch reads the accounts the first one created', async () => {
    const org = 'one-batch'
    const dir = directoryWriter(store, org)
    const cat = (await store.accounts.byEmail(org, 'same@x'))?.scim_user_id as string
    await dir.user({ id: cat, userName: 'cat', email: 'cat@x', active: false }, NOW)
    const dan = await dir.user({ userName: 'dan2', email: 'same@x' }, NOW)
    await applyAll(store, org, 1000)
    const moved = await store.accounts.byScimUser(org, cat)
    expect(moved).toMatchObject({ email: 'cat@x', active: 0 })
    // The freed email goes to the next user who has it.
    expect(await store.accounts.byScimUser(org, dan)).toMatchObject({ email: 'same@x', active: 1 })
    const types = (await store.events.after(org, 5, 100)).map((e) => e.type)
    expect(types).toEqual(['account.updated', 'account.deactivated', 'account.created'])
  })
})
