/**
 * The batch operations the sync scheduler uses once per feed batch instead of once per change, on
 * both engines: reads of many rows by id, email or SCIM user (only the asked org's, ids it lacks
 * left out, an empty list answering nothing), the admins among many users, and bulk writes of
 * accounts, events and audit rows that keep their list's order — events numbered on from the
 * single appends, a change's event written once.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { AccountRow } from '../../../src/store/accounts.ts'
import type { AuditEntry } from '../../../src/store/audit.ts'
import type { Store } from '../../../src/store/index.ts'
import { addOrg, groupRow, userRow } from './directory-support.ts'
import { eachEngine } from './engines.ts'
import { accountRow, addDuplicate, addLinkedIdentity, tableRows } from './org-state-support.ts'

const byId = <T extends { id: string }>(rows: T[]) => [...rows].sort((a, b) => (a.id < b.id ? -1 : 1))

eachEngine((engine) => {
  let store: Store
  beforeAll(async () => {
    store = await engine.open()
    for (const org of ['ba', 'bb']) await addOrg(store, org)
    for (const org of ['ba', 'bb']) {
      await store.directory.insertUser(userRow(org, `${org}-u1`, 'ann@x', { email_lower: 'ann@x' }))
      await store.directory.insertUser(userRow(org, `${org}-u2`, 'bob@x'))
      await store.directory.insertGroup(groupRow(org, `${org}-g1`, 'Admins'))
      await store.directory.insertGroup(groupRow(org, `${org}-g2`, 'Staff'))
      await store.directory.addMembers(org, `${org}-g1`, [`${org}-u1`])
      await store.directory.addMembers(org, `${org}-g2`, [`${org}-u1`, `${org}-u2`])
    }
    await store.roles.replace('ba', [{ group: 'Admins', role: 'admin' }])
  }, 30_000)
  afterAll(async () => {
    await store.close()
  })

  test('directory users and groups by id: the single reads row for row, only from the org', async () => {
    const users = await store.directoryRead.usersByIds('ba', ['ba-u2', 'ba-u1', 'bb-u1', 'nobody', 'ba-u1'])
    expect(byId(users)).toEqual([
      (await store.directoryRead.user('ba', 'ba-u1'))!,
      (await store.directoryRead.user('ba', 'ba-u2'))!,
    ])
    const groups = await store.directoryRead.groupsByIds('ba', ['ba-g1', 'bb-g1', 'ba-g2'])
    expect(byId(groups)).toEqual([
      (await store.directoryRead.group('ba', 'ba-g1'))!,
      (await store.directoryRead.group('ba', 'ba-g2'))!,
    ])
    expect(await store.directoryRead.usersByIds('ba', [])).toEqual([])
    expect(await store.directoryRead.groupsByIds('bb', ['ba-g1'])).toEqual([])
  })

  test('accounts: many inserted in one call, then read by SCIM users and by emails', async () => {
    const rows: AccountRow[] = ['x1', 'x2', 'x3'].map((id, i) =>
      accountRow('ba', id, { scim_user_id: `scim-${id}`, created_via_integration: 1, created_at: 10 + i }),
    )
    await store.accounts.insertMany(rows)
    await store.accounts.insertMany([])
    await store.accounts.insert(accountRow('bb', 'y1', { scim_user_id: 'scim-y1' }))
    expect(await store.accounts.byId('ba', 'x2')).toEqual(rows[1]!)
    const linked = await store.accounts.byScimUsers('ba', ['scim-x3', 'scim-x1', 'scim-y1', 'scim-none'])
    expect(byId(linked)).toEqual([rows[0]!, rows[2]!])
    const byEmail = await store.accounts.byEmails('ba', ['x2@example.com', 'y1@example.com', 'nobody@x'])
    expect(byEmail).toEqual([rows[1]!])
    expect(await store.accounts.byScimUsers('ba', [])).toEqual([])
    expect(await store.accounts.byEmails('ba', [])).toEqual([])
    // A taken email fails the whole call: nothing of it is left.
    const clash = [accountRow('ba', 'x4'), accountRow('ba', 'x5', { email_lower: 'x1@example.com' })]
    await expect(store.transaction((tx) => tx.accounts.insertMany(clash))).rejects.toThrow()
    expect(await store.accounts.byId('ba', 'x4')).toBeNull()
  })

  test('announced groups, linked identities and duplicate pairs of many, only from the org', async () => {
    await store.syncMirror.putGroup('ba', 'ba-g1', 'Admins', 5)
    await store.syncMirror.putGroup('bb', 'bb-g1', 'Admins', 5)
    expect(await store.syncMirror.groupsByIds('ba', ['ba-g1', 'bb-g1', 'ba-g2'])).toEqual([
      (await store.syncMirror.group('ba', 'ba-g1'))!,
    ])
    expect(await store.syncMirror.groupsByIds('ba', [])).toEqual([])

    const identity = (id: string, org: string, email: string, at: number) => ({
      id,
      org_id: org,
      account_id: 'x1',
      provider: id.endsWith('b') ? ('bitbucket' as const) : ('github' as const),
      login: id,
      email,
      email_lower: email.toLowerCase(),
      created_at: at,
    })
    await addLinkedIdentity(store, identity('li-2', 'ba', 'Ann@x', 20))
    await addLinkedIdentity(store, identity('li-1b', 'ba', 'zed@x', 10))
    const linked = await store.linkedIdentities.byEmails('ba', ['ann@x', 'zed@x', 'none@x'])
    // Oldest first, as `byEmail` answers.
    expect(linked.map((row) => row.id)).toEqual(['li-1b', 'li-2'])
    expect(linked[1]).toEqual((await store.linkedIdentities.byEmail('ba', 'ann@x'))[0]!)
    expect(await store.linkedIdentities.byEmails('bb', ['ann@x'])).toEqual([])

    await addDuplicate(store, {
      org_id: 'ba',
      scim_user_id: 'ba-u1',
      account_id: 'x1',
      matched_on: 'email',
      detected_at: 7,
    })
    expect(await store.duplicates.ofScimUsers('ba', ['ba-u1', 'ba-u2'])).toEqual([
      (await store.duplicates.get('ba', 'ba-u1'))!,
    ])
    expect(await store.duplicates.ofScimUsers('bb', ['ba-u1'])).toEqual([])
    expect(await store.duplicates.ofScimUsers('ba', [])).toEqual([])
  })

  test('the admins among many users: roleOf for each, in one call', async () => {
    const asked = ['ba-u1', 'ba-u2', 'bb-u1', 'nobody']
    const admins = await store.roles.adminsAmong('ba', asked)
    expect(admins).toEqual(['ba-u1'])
    for (const id of asked) {
      expect(await store.roles.roleOf('ba', id)).toBe(admins.includes(id) ? 'admin' : 'member')
    }
    // Org bb has no mapping: nobody is an admin there, whatever ba maps.
    expect(await store.roles.adminsAmong('bb', ['bb-u1', 'ba-u1'])).toEqual([])
    expect(await store.roles.adminsAmong('ba', [])).toEqual([])
  })

  test('events in bulk: in the list order, numbered on from single appends, a change once', async () => {
    const org = 'ba'
    expect(await store.events.append(org, { type: 'first', changeSeq: 3 }, 100)).toBe(true)
    const written = await store.events.appendMany(
      org,
      [
        { type: 'a', accountId: 'x1', data: { n: 1 } },
        { type: 'again', changeSeq: 3 },
        { type: 'b', groupId: 'g', changeSeq: 4 },
        { type: 'c' },
      ],
      200,
    )
    expect(written).toEqual([true, false, true, true])
    expect(await store.events.appendMany(org, [], 200)).toEqual([])
    expect(await store.events.appendMany(org, [{ type: 'b twice', changeSeq: 4 }], 300)).toEqual([false])
    expect(await store.events.append(org, { type: 'last' }, 400)).toBe(true)
    await store.events.appendMany('bb', [{ type: 'other org' }], 200)
    const events = await store.events.after(org, 0, 100)
    expect(
      events.map((e) => [e.type, e.at, e.account_id, e.group_id, e.change_seq, JSON.parse(e.data)]),
    ).toEqual([
      ['first', 100, null, null, 3, {}],
      ['a', 200, 'x1', null, null, { n: 1 }],
      ['b', 200, null, 'g', 4, {}],
      ['c', 200, null, null, null, {}],
      ['last', 400, null, null, null, {}],
    ])
    // Ids increase along the order; a reader following `id > cursor` sees each once.
    const ids = events.map((e) => e.id)
    expect([...ids].sort((a, b) => a - b)).toEqual(ids)
    expect(new Set(ids).size).toBe(ids.length)
    expect(await store.events.after('bb', 0, 10)).toHaveLength(1)
  })

  test('audit rows in bulk, in the list order', async () => {
    const entry = (action: string, extra: Partial<AuditEntry> = {}): AuditEntry => ({
      orgId: 'bb',
      kind: 'sync',
      action,
      outcome: 'success',
      ...extra,
    })
    await store.audit.recordMany(
      [
        entry('one', { actor: 'sync', subject: 's1', data: { k: 1 } }),
        entry('two', { outcome: 'skipped', reason: 'why' }),
        entry('three', { orgId: 'ba' }),
      ],
      500,
    )
    await store.audit.recordMany([], 500)
    const rows = await tableRows(store, 'audit_log', 'bb', 'id')
    const newestFirst = await store.audit.list('bb', { limit: 10 })
    expect(newestFirst.map((row) => row.action)).toEqual(['two', 'one'])
    expect(newestFirst[1]).toMatchObject({ at: 500, actor: 'sync', subject: 's1', data: '{"k":1}' })
    expect(newestFirst[0]).toMatchObject({ outcome: 'skipped', reason: 'why', actor: null })
    expect(rows).toHaveLength(2)
    expect((await store.audit.list('ba', { limit: 10 })).map((row) => row.action)).toEqual(['three'])
  })
})
