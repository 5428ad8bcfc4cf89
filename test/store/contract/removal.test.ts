/**
 * The integration removal's statements, on both engines: each deletes a bounded chunk as a set and
 * answers what the scheduler needs (the accounts, for their events; how many rows went). Accounts
 * go in id order byte by byte, so both engines remove the same ones in the same batches; a created
 * account takes its user sessions (never an admin's), SCIM user and linked identities with it; a
 * merged account stays, unlinked; waiting duplicates and never-linked users go; the feed goes in
 * chunks. Another org's rows are never touched, even where its feed numbers equal the removed org's
 * (they are numbered per org on PostgreSQL). The counts add up to the dry run's.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { Store } from '../../../src/store/index.ts'
import { groupRow, userRow } from './directory-support.ts'
import { eachEngine } from './engines.ts'
import {
  accountRow,
  addAccount,
  addDuplicate,
  addLinkedIdentity,
  addSession,
  columnOf,
  integrationRow,
  orgRow,
  sessionRow,
  tableRows,
} from './org-state-support.ts'

const T = 1_700_000_000_000
const ORG = 'org-r'
const KEEP = 'org-keep'

/** Created via the integration, in an order that differs from their byte order. */
const CREATED = ['acc_c', 'acc-a', 'acc-B', 'acc-A']
const MERGED = ['mrg-2', 'mrg-1']

/** What each table holds for an org, keyed for a stable comparison. */
const TABLES: Array<[table: string, key: string]> = [
  ['accounts', 'id'],
  ['sessions', 'token_hash'],
  ['scim_users', 'id'],
  ['scim_groups', 'id'],
  ['scim_memberships', 'user_id'],
  ['duplicates', 'scim_user_id'],
  ['linked_identities', 'id'],
  ['directory_changes', 'seq'],
]
const snapshot = async (store: Store, orgId: string) =>
  Promise.all(TABLES.map(([table, key]) => tableRows(store, table, orgId, key)))

/**
 * One org's directory and org state: created and merged accounts with their users, a local account
 * with two waiting duplicates, users that never became accounts, two groups, sessions of both kinds,
 * linked identities and a feed of five changes. `p` prefixes every id, so two orgs can share shapes.
 */
async function seed(store: Store, orgId: string, p: string): Promise<void> {
  await store.orgs.insert(orgRow(orgId))
  await store.integrations.insert(integrationRow(orgId))
  const user = (id: string) => store.directory.insertUser(userRow(orgId, `${p}${id}`, `${p}${id}`))
  for (const [i, id] of CREATED.entries()) {
    // The last created account has no SCIM user any more (an admin unlinked it).
    const linked = i < CREATED.length - 1 ? `${p}u-${id}` : null
    if (linked) await user(`u-${id}`)
    await addAccount(
      store,
      accountRow(orgId, `${p}${id}`, {
        // Ids that differ only in case need emails that do not (emails are unique lowered).
        email: `n${i}-${id}@example.com`,
        email_lower: `n${i}-${id}@example.com`.toLowerCase(),
        scim_user_id: linked,
        created_via_integration: 1,
        created_at: T,
      }),
    )
  }
  for (const id of MERGED) {
    await user(`u-${id}`)
    await addAccount(store, accountRow(orgId, `${p}${id}`, { scim_user_id: `${p}u-${id}`, source: 'local' }))
  }
  await addAccount(store, accountRow(orgId, `${p}local`, { source: 'local' }))
  for (const id of ['w-1', 'w-2']) {
    await user(id)
    await addDuplicate(store, {
      org_id: orgId,
      scim_user_id: `${p}${id}`,
      account_id: `${p}local`,
      matched_on: 'email',
      detected_at: T,
    })
  }
  for (const id of ['o-1', 'o-2', 'o-3']) await user(id)
  await store.directory.insertGroup(groupRow(orgId, `${p}g-big`, `${p}Big`))
  await store.directory.insertGroup(groupRow(orgId, `${p}g-empty`, `${p}Empty`))
  await store.directory.addMembers(
    orgId,
    `${p}g-big`,
    ['o-1', 'o-2', 'w-1', 'u-acc-a', 'u-mrg-1'].map((id) => `${p}${id}`),
  )
  const session = (hash: string, subject: string, kind: 'user' | 'admin') =>
    addSession(store, sessionRow(orgId, `${p}${hash}`, `${p}${subject}`, kind))
  await session('s-1', 'acc-A', 'user')
  await session('s-2', 'acc-A', 'user')
  await session('s-3', 'acc-B', 'admin')
  await session('s-4', 'mrg-1', 'user')
  await session('s-5', 'local', 'user')
  for (const account of ['acc-A', 'mrg-1']) {
    await addLinkedIdentity(store, {
      id: `${p}li-${account}`,
      org_id: orgId,
      account_id: `${p}${account}`,
      provider: 'github',
      login: `${p}${account}`,
      email: `${p}${account}@github.example`,
      email_lower: `${p}${account}@github.example`,
      created_at: T,
    })
  }
  for (let i = 0; i < 5; i++)
    await store.directory.appendChange(orgId, 'user', 'upsert', `${p}c-${i}`, null, T + i)
}

eachEngine((engine) => {
  let store: Store
  let kept: Awaited<ReturnType<typeof snapshot>>
  beforeAll(async () => {
    store = await engine.open()
    await seed(store, KEEP, 'k-')
    await seed(store, ORG, '')
    kept = await snapshot(store, KEEP)
  }, 30_000)
  afterAll(() => store.close())

  test('the dry run counts the created accounts and the users that never became one', async () => {
    expect(await store.integrations.countRemovableUsers(ORG)).toBe(CREATED.length + 3)
  })

  test('groups lose their members in chunks, then go; another org’s group is out of reach', async () => {
    expect((await store.removal.groups(ORG, 10)).sort()).toEqual(['g-big', 'g-empty'])
    expect(await store.removal.groups(ORG, 1)).toHaveLength(1)
    expect(await store.removal.deleteGroupMembers('g-big', 2)).toBe(2)
    expect(await store.transaction((tx) => tx.removal.deleteGroupMembers('g-big', 2))).toBe(2)
    expect(await store.removal.deleteGroupMembers('g-big', 2)).toBe(1)
    expect(await store.removal.deleteGroupMembers('g-big', 2)).toBe(0)
    expect(await store.removal.deleteGroup(KEEP, 'g-big')).toBe(0)
    expect(await store.removal.deleteGroup(ORG, 'g-big')).toBe(1)
    expect(await store.removal.deleteGroup(ORG, 'g-big')).toBe(0)
    expect(await store.removal.deleteGroup(ORG, 'g-empty')).toBe(1)
    expect(await store.removal.groups(ORG, 10)).toEqual([])
  })

  test('a failed batch leaves every row of its chunk where it was', async () => {
    const before = await snapshot(store, ORG)
    await expect(
      store.transaction(async (tx) => {
        expect((await tx.removal.deleteCreatedAccounts(ORG, 3)).accounts).toHaveLength(3)
        await tx.removal.unlinkMergedAccounts(ORG, 3, T)
        throw new Error('lease lost')
      }),
    ).rejects.toThrow('lease lost')
    expect(await snapshot(store, ORG)).toEqual(before)
  })

  test('created accounts go in byte order with their user sessions, SCIM users and linked identities', async () => {
    const first = await store.transaction((tx) => tx.removal.deleteCreatedAccounts(ORG, 2))
    expect(first).toEqual({
      accounts: [
        { id: 'acc-A', email: 'n3-acc-A@example.com', scim_user_id: null },
        { id: 'acc-B', email: 'n2-acc-B@example.com', scim_user_id: 'u-acc-B' },
      ],
      sessionsEnded: 2,
    })
    const second = await store.removal.deleteCreatedAccounts(ORG, 2)
    expect(second).toEqual({
      accounts: [
        { id: 'acc-a', email: 'n1-acc-a@example.com', scim_user_id: 'u-acc-a' },
        { id: 'acc_c', email: 'n0-acc_c@example.com', scim_user_id: 'u-acc_c' },
      ],
      sessionsEnded: 0,
    })
    expect(await store.removal.deleteCreatedAccounts(ORG, 2)).toEqual({ accounts: [], sessionsEnded: 0 })
    expect(await columnOf(store, 'accounts', ORG, 'id')).toEqual(['local', 'mrg-1', 'mrg-2'])
    // The admin session of a deleted account's id is not the account's: it stays.
    expect(await columnOf(store, 'sessions', ORG, 'token_hash')).toEqual(['s-3', 's-4', 's-5'])
    expect(await columnOf(store, 'linked_identities', ORG, 'id')).toEqual(['li-mrg-1'])
    expect(await columnOf(store, 'scim_users', ORG, 'id')).toEqual([
      'o-1',
      'o-2',
      'o-3',
      'u-mrg-1',
      'u-mrg-2',
      'w-1',
      'w-2',
    ])
  })

  test('merged accounts stay, unlinked, as they were answered; their sessions and users go', async () => {
    const unlinked = await store.removal.unlinkMergedAccounts(ORG, 1, T + 5)
    expect(unlinked).toEqual({
      accounts: [{ id: 'mrg-1', email: 'mrg-1@example.com', scim_user_id: 'u-mrg-1' }],
      sessionsEnded: 1,
    })
    expect((await store.removal.unlinkMergedAccounts(ORG, 5, T + 6)).accounts.map((a) => a.id)).toEqual([
      'mrg-2',
    ])
    expect(await store.removal.unlinkMergedAccounts(ORG, 5, T + 7)).toEqual({
      accounts: [],
      sessionsEnded: 0,
    })
    const accounts = await tableRows(store, 'accounts', ORG, 'id')
    expect(accounts.map(({ id, scim_user_id, updated_at }) => ({ id, scim_user_id, updated_at }))).toEqual([
      { id: 'local', scim_user_id: null, updated_at: 1_000 },
      { id: 'mrg-1', scim_user_id: null, updated_at: T + 5 },
      { id: 'mrg-2', scim_user_id: null, updated_at: T + 6 },
    ])
    expect(await columnOf(store, 'sessions', ORG, 'token_hash')).toEqual(['s-3', 's-5'])
    expect(await columnOf(store, 'linked_identities', ORG, 'id')).toEqual(['li-mrg-1'])
    expect(await columnOf(store, 'scim_users', ORG, 'id')).toEqual(['o-1', 'o-2', 'o-3', 'w-1', 'w-2'])
  })

  test('waiting duplicates, then users that never became an account, go in chunks and are counted', async () => {
    expect(await store.removal.deleteWaitingDuplicates(ORG, 1)).toBe(1)
    expect(await store.removal.deleteWaitingDuplicates(ORG, 5)).toBe(1)
    expect(await store.removal.deleteWaitingDuplicates(ORG, 5)).toBe(0)
    expect(await columnOf(store, 'duplicates', ORG, 'scim_user_id')).toEqual([])
    expect(await store.removal.deleteOrphanUsers(ORG, 2)).toBe(2)
    expect(await store.removal.deleteOrphanUsers(ORG, 2)).toBe(1)
    expect(await store.removal.deleteOrphanUsers(ORG, 2)).toBe(0)
    expect(await columnOf(store, 'scim_users', ORG, 'id')).toEqual([])
  })

  test('the feed goes in chunks, oldest first; lastSeq is the newest number, 0 once empty', async () => {
    const numbers = (await store.syncState.changesAfter(ORG, 0, 100)).map((row) => row.seq)
    expect(numbers).toHaveLength(5)
    expect(await store.removal.lastSeq(ORG)).toBe(numbers.at(-1) as number)
    expect(await store.removal.deleteChanges(ORG, 2)).toBe(2)
    expect((await store.syncState.changesAfter(ORG, 0, 100)).map((row) => row.seq)).toEqual(numbers.slice(2))
    expect(await store.removal.deleteChanges(ORG, 2)).toBe(2)
    expect(await store.removal.deleteChanges(ORG, 2)).toBe(1)
    expect(await store.removal.deleteChanges(ORG, 2)).toBe(0)
    expect(await store.removal.lastSeq(ORG)).toBe(0)
    expect(await store.removal.lastSeq('org-none')).toBe(0)
  })

  test('the other org kept every row, its feed included', async () => {
    expect(await snapshot(store, KEEP)).toEqual(kept)
    expect(await store.integrations.countRemovableUsers(KEEP)).toBe(CREATED.length + 3)
    expect(await columnOf(store, 'accounts', ORG, 'id')).toEqual(['local', 'mrg-1', 'mrg-2'])
  })
})
