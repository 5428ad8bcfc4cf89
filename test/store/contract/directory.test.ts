/**
 * The directory repository (`store.directory`) on both engines: users and groups read back exactly
 * as written, only in their own org; uniqueness of userName and group displayName answered as
 * `false` (never an engine error, and a transaction that met one goes on), also between two
 * instances writing at once; pages in creation order with ids ordered byte by byte; memberships as
 * sets. The feed is in directory-feed.test.ts, filters in filter.test.ts.
 */
import { expect, test } from 'bun:test'
import { UniqueViolation } from '../../../src/store/errors.ts'
import type { Store } from '../../../src/store/index.ts'
import { addOrg, bytewise, groupRow, TRICKY_IDS, userRow } from './directory-support.ts'
import { eachEngine, openStores } from './engines.ts'

eachEngine((engine) => {
  let store: Store
  let twin: Store
  openStores(engine, async (opened, openedTwin) => {
    ;[store, twin] = [opened, openedTwin]
    for (const org of ['org-a', 'org-b', 'org-pages', 'org-members']) await addOrg(store, org)
  })

  test('a user reads back exactly as written, by id and by userName, and only in its org', async () => {
    const row = userRow('org-a', 'u-ann', 'Ann@Example.com', {
      external_id: '00u1',
      email_lower: 'ann@example.com',
      display_name: 'Ann Adams',
      given_name: 'Ann',
      family_name: 'Adams',
      active: 0,
      created_at: 1_714_000_000_123,
      updated_at: 1_714_000_000_456,
    })
    expect(await store.directory.insertUser(row)).toBe(true)
    expect(await store.directory.userById('org-a', 'u-ann')).toEqual(row)
    expect(await twin.directory.userById('org-a', 'u-ann')).toEqual(row)
    expect(await store.directory.userById('org-b', 'u-ann')).toBeNull()
    expect(await store.directory.userById('org-a', 'missing')).toBeNull()
    expect(await store.directory.userIdByUserName('org-a', 'ann@example.com')).toBe('u-ann')
    expect(await store.directory.userIdByUserName('org-b', 'ann@example.com')).toBeNull()
    expect(await store.directory.userExists('org-a', 'u-ann')).toBe(true)
    expect(await store.directory.userExists('org-b', 'u-ann')).toBe(false)
  })

  test('a taken userName is refused with false, in any case, and the transaction goes on', async () => {
    await store.directory.insertUser(userRow('org-a', 'u-bob', 'bob@example.com'))
    expect(await store.directory.insertUser(userRow('org-a', 'u-bob2', 'BOB@example.com'))).toBe(false)
    await store.transaction(async (tx) => {
      expect(await tx.directory.insertUser(userRow('org-a', 'u-bob3', 'Bob@Example.com'))).toBe(false)
      expect(await tx.directory.insertUser(userRow('org-a', 'u-cat', 'cat@example.com'))).toBe(true)
      // Renaming onto a taken name is refused the same way, and the row keeps its name.
      const renamed = { ...userRow('org-a', 'u-cat', 'bob@example.com'), version: 2 }
      expect(await tx.directory.updateUser(renamed)).toBe(false)
      await tx.directory.appendChange('org-a', 'user', 'upsert', 'u-cat', null, 1)
    })
    expect((await store.directory.userById('org-a', 'u-cat'))?.user_name).toBe('cat@example.com')
    expect(await store.directory.userById('org-a', 'u-bob2')).toBeNull()
    expect(await store.directory.userById('org-a', 'u-bob3')).toBeNull()
    // Another org may use the same userName.
    expect(await store.directory.insertUser(userRow('org-b', 'u-bob-b', 'bob@example.com'))).toBe(true)
    // The same id twice is no userName question: that is a UniqueViolation.
    await expect(
      store.directory.insertUser(userRow('org-a', 'u-bob', 'other@example.com')),
    ).rejects.toBeInstanceOf(UniqueViolation)
  })

  test('updateUser writes every column, only in its org; deleteUser says whether a row went', async () => {
    const row = userRow('org-a', 'u-dan', 'dan@example.com')
    await store.directory.insertUser(row)
    const next = {
      ...row,
      user_name: 'Daniel@example.com',
      user_name_lower: 'daniel@example.com',
      external_id: 'x',
      email_lower: 'daniel@example.com',
      display_name: 'D',
      given_name: 'Dan',
      family_name: 'D',
      active: 0,
      resource: '{"userName":"Daniel@example.com"}',
      version: 2,
      updated_at: 2_000,
    }
    expect(await store.directory.updateUser(next)).toBe(true)
    expect(await store.directory.userById('org-a', 'u-dan')).toEqual(next)
    // The org is part of the key: the same id in another org touches nothing.
    expect(await store.directory.updateUser({ ...next, org_id: 'org-b', version: 9 })).toBe(true)
    expect((await store.directory.userById('org-a', 'u-dan'))?.version).toBe(2)
    expect(await store.directory.deleteUser('org-b', 'u-dan')).toBe(false)
    expect(await store.directory.deleteUser('org-a', 'u-dan')).toBe(true)
    expect(await store.directory.deleteUser('org-a', 'u-dan')).toBe(false)
    expect(await store.directory.userById('org-a', 'u-dan')).toBeNull()
  })

  test('groups: read back as written, displayName unique per org in any case, update and delete', async () => {
    const row = groupRow('org-a', 'g-eng', 'Engineering', {
      external_id: 'ext',
      created_at: 5,
      updated_at: 6,
    })
    expect(await store.directory.insertGroup(row)).toBe(true)
    expect(await store.directory.groupById('org-a', 'g-eng')).toEqual(row)
    expect(await store.directory.groupById('org-b', 'g-eng')).toBeNull()
    expect(await store.directory.groupIdByDisplayName('org-a', 'engineering')).toBe('g-eng')
    expect(await store.directory.groupIdByDisplayName('org-b', 'engineering')).toBeNull()
    expect(await store.directory.insertGroup(groupRow('org-a', 'g-eng2', 'ENGINEERING'))).toBe(false)
    expect(await store.directory.insertGroup(groupRow('org-b', 'g-eng-b', 'Engineering'))).toBe(true)
    await store.directory.insertGroup(groupRow('org-a', 'g-ops', 'Ops'))
    await store.transaction(async (tx) => {
      expect(
        await tx.directory.updateGroup({ ...groupRow('org-a', 'g-ops', 'engineering'), version: 2 }),
      ).toBe(false)
      expect(
        await tx.directory.updateGroup({ ...groupRow('org-a', 'g-ops', 'Operations'), version: 2 }),
      ).toBe(true)
    })
    expect(await store.directory.groupById('org-a', 'g-ops')).toEqual({
      ...groupRow('org-a', 'g-ops', 'Operations'),
      version: 2,
    })
    expect(await store.directory.deleteGroup('org-b', 'g-ops')).toBe(false)
    expect(await store.directory.deleteGroup('org-a', 'g-ops')).toBe(true)
    expect(await store.directory.groupById('org-a', 'g-ops')).toBeNull()
  })

  test('two instances creating the same userName or displayName at once: one row, the other false', async () => {
    const users = await Promise.all([
      store.transaction((tx) => tx.directory.insertUser(userRow('org-a', 'race-1', 'race@example.com'))),
      twin.transaction((tx) => tx.directory.insertUser(userRow('org-a', 'race-2', 'RACE@example.com'))),
    ])
    expect(users.sort()).toEqual([false, true])
    const groups = await Promise.all([
      store.transaction((tx) => tx.directory.insertGroup(groupRow('org-a', 'race-g1', 'Racers'))),
      twin.transaction((tx) => tx.directory.insertGroup(groupRow('org-a', 'race-g2', 'racers'))),
    ])
    expect(groups.sort()).toEqual([false, true])
    const page = await store.directory.listUsers('org-a', null, 0, 1000)
    expect(page.rows.filter((row) => row.user_name_lower === 'race@example.com')).toHaveLength(1)
  })

  test('two instances renaming two users to one userName at once: one rename, the other false', async () => {
    await store.directory.insertUser(userRow('org-a', 'ren-1', 'first@example.com'))
    await store.directory.insertUser(userRow('org-a', 'ren-2', 'second@example.com'))
    const outcomes = await Promise.all([
      store.transaction((tx) => tx.directory.updateUser(userRow('org-a', 'ren-1', 'same@example.com'))),
      twin.transaction((tx) => tx.directory.updateUser(userRow('org-a', 'ren-2', 'Same@example.com'))),
    ])
    expect(outcomes.sort()).toEqual([false, true])
    const names = [
      (await store.directory.userById('org-a', 'ren-1'))?.user_name_lower,
      (await store.directory.userById('org-a', 'ren-2'))?.user_name_lower,
    ]
    expect(names.filter((name) => name === 'same@example.com')).toHaveLength(1)
  })

  test('pages follow creation order, then ids byte by byte; the total counts the whole list', async () => {
    const later = 'zz-later'
    await store.directory.insertUser(userRow('org-pages', later, 'later@x', { created_at: 3_000 }))
    await store.directory.insertUser(userRow('org-pages', 'first', 'first@x', { created_at: 1 }))
    for (const [i, id] of TRICKY_IDS.entries())
      await store.directory.insertUser(userRow('org-pages', id, `${i}@x`))
    for (const [i, id] of TRICKY_IDS.entries())
      await store.directory.insertGroup(groupRow('org-pages', id, `group ${i}`))
    const order = ['first', ...bytewise(TRICKY_IDS), later]

    const all = await store.directory.listUsers('org-pages', null, 0, 100)
    expect(all.rows.map((row) => row.id)).toEqual(order)
    expect(all.total).toBe(order.length)
    const second = await store.directory.listUsers('org-pages', null, 4, 5)
    expect(second.rows.map((row) => row.id)).toEqual(order.slice(4, 9))
    expect(second.total).toBe(order.length)
    expect(await store.directory.listUsers('org-pages', null, 0, 0)).toEqual({
      rows: [],
      total: order.length,
    })
    expect(await store.directory.listUsers('org-pages', null, 100, 10)).toEqual({
      rows: [],
      total: order.length,
    })
    expect(await store.directory.listUsers('org-missing', null, 0, 10)).toEqual({ rows: [], total: 0 })

    const groups = await store.directory.listGroups('org-pages', null, 2, 3)
    expect(groups.rows.map((row) => row.id)).toEqual(bytewise(TRICKY_IDS).slice(2, 5))
    expect(groups.total).toBe(TRICKY_IDS.length)
    const third = bytewise(TRICKY_IDS)[2] as string
    expect(groups.rows[0]).toEqual(groupRow('org-pages', third, `group ${TRICKY_IDS.indexOf(third)}`))
  })

  test('memberships: adds and removes as sets, lists in a fixed order, only users of the org', async () => {
    const org = 'org-members'
    const ids = ['m_b', 'M-a', 'm1', 'M_1', 'm-c']
    for (const [i, id] of ids.entries()) {
      await store.directory.insertUser(
        userRow(org, id, `${id}@x`, { display_name: `d ${id}`, created_at: 10 - i }),
      )
    }
    await store.directory.insertUser(userRow('org-b', 'stranger', 'stranger@x'))
    for (const name of ['b group', 'A_group', 'a-group', 'a group']) {
      await store.directory.insertGroup(groupRow(org, `g:${name}`, name))
    }
    expect(await store.directory.existingUserIds(org, [...ids, 'stranger', 'nobody'])).toEqual(new Set(ids))
    const known = await store.directory.usersByIds(org, ['m1', 'stranger', 'M-a'])
    expect(known.sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: 'M-a', user_name: 'M-a@x', display_name: 'd M-a' },
      { id: 'm1', user_name: 'm1@x', display_name: 'd m1' },
    ])
    expect(await store.directory.usersByIds(org, [])).toEqual([])

    expect(await store.directory.addMembers(org, 'g:b group', ['m1', 'M-a', 'm1'])).toEqual(
      new Set(['m1', 'M-a']),
    )
    expect(await store.directory.addMembers(org, 'g:b group', ['m1', 'm_b', 'M_1', 'm-c'])).toEqual(
      new Set(['m_b', 'M_1', 'm-c']),
    )
    expect(await store.directory.addMembers(org, 'g:b group', [])).toEqual(new Set())
    expect(await store.directory.memberIds('g:b group')).toEqual(bytewise(ids))
    // Members in the users' creation order (created_at counts down along `ids`).
    expect((await store.directory.members('g:b group')).map((row) => row.id)).toEqual([...ids].reverse())
    expect((await store.directory.members('g:b group'))[0]).toEqual({
      id: 'm-c',
      user_name: 'm-c@x',
      display_name: 'd m-c',
    })
    expect(await store.directory.removeMembers('g:b group', ['m1', 'nobody', 'm1'])).toEqual(new Set(['m1']))
    expect(await store.directory.removeMembers('g:b group', ['m1'])).toEqual(new Set())
    expect(await store.directory.memberIds('g:b group')).toEqual(bytewise(ids.filter((id) => id !== 'm1')))

    for (const name of ['A_group', 'a-group', 'a group'])
      await store.directory.addMembers(org, `g:${name}`, ['m_b'])
    expect((await store.directory.groupsOfUser('m_b')).map((row) => row.display_name)).toEqual(
      bytewise(['b group', 'a_group', 'a-group', 'a group']).map((lower) =>
        lower === 'a_group' ? 'A_group' : lower,
      ),
    )
    expect(await store.directory.groupIdsOfUser('m_b')).toEqual(
      bytewise(['g:b group', 'g:A_group', 'g:a-group', 'g:a group']),
    )
    expect(await store.directory.groupsOfUser('nobody')).toEqual([])

    // A deleted user leaves its groups with it.
    await store.directory.deleteUser(org, 'm_b')
    expect(await store.directory.groupIdsOfUser('m_b')).toEqual([])
    expect(await store.directory.memberIds('g:b group')).not.toContain('m_b')
  })
})
