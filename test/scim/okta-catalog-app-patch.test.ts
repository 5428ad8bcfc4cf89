/**
 * An Okta Integration Network (catalog) app: user changes arrive as PATCH (deactivate/reactivate
 * with a path-less `replace` of `{"active": …}`, profile changes), groups are renamed with a
 * `replace` of `{id, displayName}` and filled with `add`/`remove`/`replace` on `members`.
 * Payloads are shaped exactly like Okta's.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { changes, type Json, oktaUser, type ScimClient, scimOrg } from './support.ts'

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'

describe('Okta catalog app (PATCH)', () => {
  let scim: ScimClient
  const users: string[] = []
  let groupId = ''

  beforeAll(async () => {
    scim = await scimOrg('catalog')
    for (let i = 0; i < 4; i++) {
      const r = await scim.post('/Users', oktaUser(`user${i}@catalog.example`, `User${i}`, 'Catalog'))
      users.push(r.body.id as string)
    }
    const g = await scim.post('/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'Sales',
      members: [],
    })
    groupId = g.body.id as string
  })

  test('deactivate and reactivate with a path-less replace', async () => {
    const off = await scim.patch(`/Users/${users[0]}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', value: { active: false } }],
    })
    expect(off.status).toBe(200)
    expect(off.body).toMatchObject({ id: users[0], active: false, userName: 'user0@catalog.example' })
    const on = await scim.patch(`/Users/${users[0]}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', value: { active: true } }],
    })
    expect(on.body.active).toBe(true)
    const userFeed = (await changes(scim)).filter((c) => c.kind === 'user' && c.resource_id === users[0])
    expect(userFeed.map((c) => c.op)).toEqual(['upsert', 'upsert', 'upsert'])
  })

  test('profile change with a complex value merges sub-attributes', async () => {
    const r = await scim.patch(`/Users/${users[1]}`, {
      schemas: [PATCH_OP],
      Operations: [
        { op: 'replace', value: { name: { givenName: 'Renamed' }, displayName: 'Renamed Catalog' } },
        { op: 'replace', path: 'name.familyName', value: 'Catalogue' },
      ],
    })
    expect(r.status).toBe(200)
    expect(r.body.name).toEqual({ givenName: 'Renamed', familyName: 'Catalogue' })
    const found = await scim.get('/Users?filter=name.familyName eq "catalogue" and displayName sw "renamed"')
    expect((found.body.Resources as Json[]).map((u) => u.id)).toEqual([users[1]])
  })

  test('rename the group with replace of {id, displayName}; the id is ignored', async () => {
    const r = await scim.patch(`/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', value: { id: groupId, displayName: 'Sales EMEA' } }],
    })
    expect(r.status).toBe(204)
    expect(r.text).toBe('')
    const read = await scim.get(`/Groups/${groupId}`)
    expect(read.body.displayName).toBe('Sales EMEA')
    expect(read.body.id).toBe(groupId)
  })

  test('add members, remove one by value filter, replace the whole list, empty it', async () => {
    const add = await scim.patch(`/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [
        {
          op: 'add',
          path: 'members',
          value: users.slice(0, 3).map((id, i) => ({ value: id, display: `user${i}@catalog.example` })),
        },
      ],
    })
    expect(add.status).toBe(204)
    const members = async () =>
      ((await scim.get(`/Groups/${groupId}`)).body.members as Json[]).map((m) => m.value).sort()
    expect(await members()).toEqual(users.slice(0, 3).sort())

    await scim.patch(`/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'remove', path: `members[value eq "${users[1]}"]` }],
    })
    expect(await members()).toEqual([users[0], users[2]].sort())

    await scim.patch(`/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'members', value: [{ value: users[2] }, { value: users[3] }] }],
    })
    expect(await members()).toEqual([users[2], users[3]].sort())

    await scim.patch(`/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'members', value: [] }],
    })
    expect(await members()).toEqual([])

    const feed = (await changes(scim)).filter((c) => c.kind === 'membership')
    expect(feed.filter((c) => c.op === 'add')).toHaveLength(4)
    expect(feed.filter((c) => c.op === 'remove')).toHaveLength(4)
  })

  test('an unknown member id is skipped, the rest applied, and the skip audited', async () => {
    const r = await scim.patch(`/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'add', path: 'members', value: [{ value: users[0] }, { value: 'no-such-user' }] }],
    })
    expect(r.status).toBe(204)
    const read = await scim.get(`/Groups/${groupId}`)
    expect((read.body.members as Json[]).map((m) => m.value)).toEqual([users[0]])
    const audit = await scim.app.store.audit.list(scim.orgId, { kind: 'scim', limit: 10 })
    expect(audit[0]).toMatchObject({ action: 'group.member_skipped', outcome: 'skipped', subject: groupId })
    expect(JSON.parse(audit[0]?.data ?? '{}')).toMatchObject({ userIds: ['no-such-user'], count: 1 })
  })

  test('members in POST /Groups are honoured; a duplicate displayName is a 409', async () => {
    const r = await scim.post('/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'Support',
      members: [{ value: users[1], display: 'user1@catalog.example' }],
    })
    expect(r.status).toBe(201)
    expect((r.body.members as Json[])[0]).toMatchObject({ value: users[1], display: 'Renamed Catalog' })
    const dup = await scim.post('/Groups', { displayName: 'SUPPORT', members: [] })
    expect(dup.status).toBe(409)
    expect(dup.body.scimType).toBe('uniqueness')
    const rename = await scim.patch(`/Groups/${groupId}`, {
      Operations: [{ op: 'replace', path: 'displayName', value: 'support' }],
    })
    expect(rename.status).toBe(409)
  })

  test('Okta’s group lookup by displayName, and paging without count', async () => {
    const r = await scim.get('/Groups?filter=displayName eq "sales emea"')
    expect(r.body.totalResults).toBe(1)
    const all = await scim.get('/Groups')
    expect(all.body).toMatchObject({ totalResults: 2, startIndex: 1, itemsPerPage: 2 })
    const second = await scim.get('/Groups?startIndex=2&count=1')
    expect(second.body).toMatchObject({ totalResults: 2, startIndex: 2, itemsPerPage: 1 })
    expect((second.body.Resources as Json[])[0]?.displayName).toBe('Support')
  })
})
