/**
 * The role mapping contract (`store.roles`), on both engines: `replace` swaps an org's mappings as a
 * whole (or not at all), keyed by the group's displayName lowered as the SCIM layer lowers it (so a
 * mapping for "Équipe" applies to the group the directory holds as "équipe", whatever the engine's
 * lower() would do); the list is by that key; `roleOfGroup` answers a group's mapped role; `roleOf`
 * answers the role the directory gives a SCIM user: admin when one of its groups in the org is
 * mapped to admin, else member. Another org's mappings and groups never count.
 */
import { expect, test } from 'bun:test'
import { UniqueViolation } from '../../../src/store/errors.ts'
import type { Store } from '../../../src/store/index.ts'
import { groupRow, userRow } from './directory-support.ts'
import { eachEngine, openStores } from './engines.ts'
import { orgRow } from './org-state-support.ts'

const ORG = 'org-r'
const OTHER = 'org-q'

eachEngine((engine) => {
  let store: Store
  let twin: Store
  openStores(engine, async (opened, openedTwin) => {
    ;[store, twin] = [opened, openedTwin]
    for (const org of [ORG, OTHER]) await store.orgs.insert(orgRow(org))
  })

  test('replace swaps the mappings of the org, listed by lowered group name, as given', async () => {
    expect(await store.roles.list(ORG)).toEqual([])
    expect(await store.roles.hasAdminMapping(ORG)).toBe(false)
    await store.roles.replace(ORG, [
      { group: 'Ops', role: 'admin' },
      { group: 'engineering', role: 'member' },
      { group: 'Admins_All', role: 'admin' },
    ])
    await store.roles.replace(OTHER, [{ group: 'Everyone', role: 'admin' }])
    expect(await twin.roles.list(ORG)).toEqual([
      { org_id: ORG, group_name_lower: 'admins_all', group_name: 'Admins_All', role: 'admin' },
      { org_id: ORG, group_name_lower: 'engineering', group_name: 'engineering', role: 'member' },
      { org_id: ORG, group_name_lower: 'ops', group_name: 'Ops', role: 'admin' },
    ])
    expect(await twin.roles.hasAdminMapping(ORG)).toBe(true)
    await twin.roles.replace(ORG, [{ group: 'Engineering', role: 'member' }])
    expect(await store.roles.list(ORG)).toEqual([
      { org_id: ORG, group_name_lower: 'engineering', group_name: 'Engineering', role: 'member' },
    ])
    expect(await store.roles.hasAdminMapping(ORG)).toBe(false)
    expect((await store.roles.list(OTHER)).map((m) => m.group_name)).toEqual(['Everyone'])
    await store.roles.replace(ORG, [])
    expect(await store.roles.list(ORG)).toEqual([])
    expect(await store.roles.hasAdminMapping(OTHER)).toBe(true)
  })

  test('a group name is keyed as the SCIM layer lowers it, beyond ASCII too', async () => {
    await store.roles.replace(ORG, [
      { group: 'Équipe Ops', role: 'admin' },
      { group: 'ÜBER', role: 'member' },
    ])
    const keyOf = 'Équipe Ops'.toLowerCase()
    // Listed byte by byte: 'é' is C3 A9 and 'ü' C3 BC in UTF-8.
    expect((await twin.roles.list(ORG)).map((m) => m.group_name_lower)).toEqual(['équipe ops', 'über'])
    expect(await twin.roles.roleOfGroup(ORG, keyOf)).toBe('admin')
    expect(await twin.roles.roleOfGroup(ORG, 'über')).toBe('member')
    expect(await twin.roles.roleOfGroup(ORG, 'Équipe Ops')).toBeNull()
  })

  test('two groups with one lowered name are refused as a whole, and the mappings stay as they were', async () => {
    await store.roles.replace(ORG, [{ group: 'Keep', role: 'admin' }])
    const twice = [
      { group: 'Staff', role: 'member' as const },
      { group: 'STAFF', role: 'admin' as const },
    ]
    await expect(twin.roles.replace(ORG, twice)).rejects.toBeInstanceOf(UniqueViolation)
    expect((await store.roles.list(ORG)).map((m) => m.group_name)).toEqual(['Keep'])
    await expect(store.transaction((tx) => tx.roles.replace(ORG, twice))).rejects.toBeInstanceOf(
      UniqueViolation,
    )
    expect((await store.roles.list(ORG)).map((m) => m.group_name)).toEqual(['Keep'])
  })

  test('a replace in a transaction that rolls back leaves the old mappings', async () => {
    await store.roles.replace(ORG, [{ group: 'Before', role: 'admin' }])
    await expect(
      store.transaction(async (tx) => {
        await tx.roles.replace(ORG, [{ group: 'After', role: 'member' }])
        expect((await tx.roles.list(ORG)).map((m) => m.group_name)).toEqual(['After'])
        throw new Error('reconcile could not start')
      }),
    ).rejects.toThrow('reconcile could not start')
    expect((await twin.roles.list(ORG)).map((m) => m.group_name)).toEqual(['Before'])
  })

  test('roleOfGroup answers the mapped role of a group of the org, or null', async () => {
    await store.roles.replace(ORG, [
      { group: 'Admins', role: 'admin' },
      { group: 'Staff', role: 'member' },
    ])
    await store.roles.replace(OTHER, [{ group: 'Everyone', role: 'admin' }])
    expect(await twin.roles.roleOfGroup(ORG, 'admins')).toBe('admin')
    expect(await twin.roles.roleOfGroup(ORG, 'staff')).toBe('member')
    expect(await twin.roles.roleOfGroup(ORG, 'everyone')).toBeNull()
    expect(await twin.roles.roleOfGroup(ORG, 'Admins')).toBeNull()
    expect(await twin.roles.roleOfGroup(OTHER, 'admins')).toBeNull()
  })

  test("a user's role: admin through any group of the org mapped to admin, else member", async () => {
    const users = ['ru-admin', 'ru-staff', 'ru-none', 'ru-both', 'ru-accent']
    for (const id of users) await store.directory.insertUser(userRow(ORG, id, `${id}@example.com`))
    await store.directory.insertUser(userRow(OTHER, 'ru-other', 'ru-other@example.com'))
    const groups: Array<[id: string, orgId: string, name: string, members: string[]]> = [
      ['rg-admins', ORG, 'ADMINS', ['ru-admin', 'ru-both']],
      ['rg-staff', ORG, 'Staff', ['ru-staff', 'ru-both']],
      ['rg-equipe', ORG, 'Équipe Ops', ['ru-accent']],
      ['rg-other', OTHER, 'Everyone', ['ru-other']],
      // Named like ORG's admin group, in another org: never counts for ORG.
      ['rg-other-admins', OTHER, 'Admins', ['ru-other']],
    ]
    for (const [id, orgId, name, members] of groups) {
      await store.directory.insertGroup(groupRow(orgId, id, name))
      await store.directory.addMembers(orgId, id, members)
    }
    await store.roles.replace(ORG, [
      { group: 'Admins', role: 'admin' },
      { group: 'staff', role: 'member' },
      { group: 'équipe ops', role: 'admin' },
    ])
    await store.roles.replace(OTHER, [{ group: 'Everyone', role: 'member' }])
    const roles = await Promise.all(users.map((id) => twin.roles.roleOf(ORG, id)))
    expect(roles).toEqual(['admin', 'member', 'member', 'admin', 'admin'])
    expect(await twin.roles.roleOf(OTHER, 'ru-other')).toBe('member')
    expect(await twin.roles.roleOf(OTHER, 'ru-admin')).toBe('member')
    expect(await twin.roles.roleOf(ORG, 'ru-other')).toBe('member')
    expect(await twin.roles.roleOf(ORG, 'nobody')).toBe('member')
    // Unmapping the group takes the role away; leaving the group too.
    await store.roles.replace(ORG, [{ group: 'Staff', role: 'admin' }])
    expect(await twin.roles.roleOf(ORG, 'ru-admin')).toBe('member')
    expect(await twin.roles.roleOf(ORG, 'ru-both')).toBe('admin')
    await store.directory.removeMembers('rg-staff', ['ru-both'])
    expect(await twin.roles.roleOf(ORG, 'ru-both')).toBe('member')
  })
})
