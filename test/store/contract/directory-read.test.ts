/**
 * The read side of the directory (`store.directoryRead`, for the sync scheduler and the admin API)
 * on both engines: rows in exactly SQLite's shape, only from the asked org, and keyset pages that
 * walk the same rows in the same order on both — ids compared byte by byte, even when case,
 * underscores and digits would sort otherwise under a language's collation.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { Keyset } from '../../../src/store/directory-read.ts'
import type { Store } from '../../../src/store/index.ts'
import { addOrg, bytewise, groupRow, TRICKY_IDS, userRow } from './directory-support.ts'
import { eachEngine } from './engines.ts'

eachEngine((engine) => {
  let store: Store
  beforeAll(async () => {
    store = await engine.open()
    for (const org of ['read-a', 'read-b', 'read-pages']) await addOrg(store, org)
    const directory = store.directory
    await directory.insertUser(
      userRow('read-a', 'u1', 'Ann@x', {
        external_id: 'e1',
        email_lower: 'ann@x',
        display_name: 'Ann',
        given_name: 'A',
        family_name: 'B',
        active: 0,
        resource: '{"userName":"Ann@x"}',
        version: 3,
        created_at: 1_714_000_000_001,
        updated_at: 1_714_000_000_002,
      }),
    )
    await directory.insertUser(userRow('read-a', 'u2', 'bob@x'))
    await directory.insertUser(userRow('read-b', 'u-b', 'bob@x'))
    await directory.insertGroup(groupRow('read-a', 'g1', 'Zeta', { external_id: 'x', created_at: 7 }))
    await directory.insertGroup(groupRow('read-a', 'g2', 'alpha_'))
    await directory.insertGroup(groupRow('read-a', 'g3', 'Alpha-'))
    await directory.insertGroup(groupRow('read-b', 'g-b', 'Zeta'))
    for (const group of ['g1', 'g2', 'g3']) await directory.addMembers('read-a', group, ['u1'])
    await directory.addMembers('read-a', 'g1', ['u2'])
    await directory.addMembers('read-b', 'g-b', ['u-b'])
  }, 30_000)
  afterAll(async () => {
    await store.close()
  })

  test('a user and a group in the columns the scheduler reads, only from their org', async () => {
    expect(await store.directoryRead.user('read-a', 'u1')).toEqual({
      id: 'u1',
      org_id: 'read-a',
      user_name: 'Ann@x',
      external_id: 'e1',
      email_lower: 'ann@x',
      display_name: 'Ann',
      given_name: 'A',
      family_name: 'B',
      active: 0,
      resource: '{"userName":"Ann@x"}',
      created_at: 1_714_000_000_001,
      updated_at: 1_714_000_000_002,
    })
    expect(await store.directoryRead.user('read-b', 'u1')).toBeNull()
    expect(await store.directoryRead.group('read-a', 'g1')).toEqual({
      id: 'g1',
      org_id: 'read-a',
      display_name: 'Zeta',
      display_name_lower: 'zeta',
      external_id: 'x',
      created_at: 7,
      updated_at: 1_000,
    })
    expect(await store.directoryRead.group('read-b', 'g1')).toBeNull()
  })

  test('memberships, in a fixed order, only in the asked org', async () => {
    const read = store.directoryRead
    expect(await read.hasMembership('read-a', 'g1', 'u1')).toBe(true)
    expect(await read.hasMembership('read-b', 'g1', 'u1')).toBe(false)
    expect(await read.hasMembership('read-a', 'g1', 'nobody')).toBe(false)
    expect(await read.groupIdsOfUser('read-a', 'u1')).toEqual(['g1', 'g2', 'g3'])
    expect(await read.groupIdsOfUser('read-b', 'u1')).toEqual([])
    // By lowered name, byte by byte: '-' (0x2d) before '_' (0x5f) before letters.
    expect(await read.groupNamesOfUser('read-a', 'u1')).toEqual(['Alpha-', 'alpha_', 'Zeta'])
    expect(await read.groupNamesOfUser('read-b', 'u1')).toEqual([])
    expect(await read.memberIds('read-a', 'g1', 10)).toEqual(['u1', 'u2'])
    expect(await read.memberIds('read-a', 'g1', 1)).toEqual(['u1'])
    expect(await read.memberIds('read-b', 'g1', 10)).toEqual([])
    expect(await read.memberCount('g1')).toBe(2)
    expect(await read.memberCount('nobody')).toBe(0)
    expect(await read.countUsers('read-a')).toBe(2)
    expect(await read.countGroups('read-a')).toBe(3)
    expect(await read.countUsers('nobody')).toBe(0)
  })

  test('keyset pages walk every row once, by creation time and then id byte by byte', async () => {
    const org = 'read-pages'
    for (const [i, id] of TRICKY_IDS.entries()) {
      await store.directory.insertUser(userRow(org, `u${id}`, `${i}@x`, { created_at: 500 }))
      await store.directory.insertGroup(groupRow(org, `g${id}`, `group ${i}`, { created_at: 500 }))
    }
    await store.directory.insertUser(userRow(org, 'early', 'early@x', { created_at: 0 }))
    await store.directory.insertUser(userRow(org, 'A-late', 'late@x', { created_at: 900 }))
    const expected = ['early', ...bytewise(TRICKY_IDS.map((id) => `u${id}`)), 'A-late']

    const walked: string[] = []
    let after: Keyset | null = null
    for (let page = 0; page < 20; page++) {
      const rows = await store.directoryRead.usersPage(org, after, 4)
      if (rows.length === 0) break
      walked.push(...rows.map((row) => row.id))
      const last = rows.at(-1)!
      after = { createdAt: last.created_at, id: last.id }
    }
    expect(walked).toEqual(expected)

    const groups = await store.directoryRead.groupsPage(org, null, 100)
    expect(groups.map((row) => row.id)).toEqual(bytewise(TRICKY_IDS.map((id) => `g${id}`)))
    const third = groups[2]!
    expect(
      await store.directoryRead.groupsPage(org, { createdAt: third.created_at, id: third.id }, 2),
    ).toEqual(groups.slice(3, 5))
    expect(await store.directoryRead.usersPage(org, { createdAt: 900, id: 'A-late' }, 10)).toEqual([])
    expect(await store.directoryRead.usersPage('nobody', null, 10)).toEqual([])
  })
})
