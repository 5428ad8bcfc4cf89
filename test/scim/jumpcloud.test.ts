/**
 * JumpCloud's Identity Management (SCIM 2.0) connector, with payloads shaped like the ones it
 * sends: users created with the enterprise extension and JumpCloud's 24-hex object id as
 * `externalId`, looked up by `userName eq`, updated with a full PUT (also to deactivate, `active:
 * false`), groups created empty then filled and emptied by PATCH with a value list and no filter
 * (`op: "add"|"remove", path: "members", value: [{value}]`), a group rename by PATCH without a
 * path, and DELETE of a user when it is unassigned.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { type Json, type ScimClient, scimOrg } from './support.ts'

const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User'
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'

function jumpcloudUser(email: string, externalId: string, overrides: Json = {}): Json {
  return {
    schemas: [CORE, ENTERPRISE],
    externalId,
    userName: email,
    displayName: 'Grace Hopper',
    name: { givenName: 'Grace', familyName: 'Hopper', formatted: 'Grace Hopper' },
    emails: [{ value: email, type: 'work', primary: true }],
    title: 'Rear Admiral',
    phoneNumbers: [{ value: '+1 555 0100', type: 'work' }],
    addresses: [
      { type: 'work', streetAddress: '1 Navy Way', locality: 'Arlington', region: 'VA', country: 'US' },
    ],
    active: true,
    [ENTERPRISE]: { employeeNumber: 'E-1906', department: 'Computing', costCenter: 'CC-7' },
    ...overrides,
  }
}

describe('JumpCloud', () => {
  let scim: ScimClient
  let userId = ''
  let otherId = ''
  let groupId = ''

  beforeAll(async () => {
    scim = await scimOrg('jumpcloud')
  })

  test('Test Connection and lookup by userName, then create with the enterprise extension', async () => {
    const probe = await scim.get('/Users?filter=userName eq "grace@navy.example"')
    expect(probe.status).toBe(200)
    expect(probe.body).toMatchObject({ totalResults: 0, Resources: [] })
    const created = await scim.post('/Users', jumpcloudUser('grace@navy.example', '5f1b2c3d4e5f60718293a4b5'))
    expect(created.status).toBe(201)
    userId = created.body.id as string
    expect(created.body).toMatchObject({
      userName: 'grace@navy.example',
      externalId: '5f1b2c3d4e5f60718293a4b5',
      active: true,
      title: 'Rear Admiral',
    })
    expect(created.body[ENTERPRISE]).toMatchObject({ employeeNumber: 'E-1906', department: 'Computing' })
    const other = await scim.post('/Users', jumpcloudUser('alan@navy.example', '5f1b2c3d4e5f60718293a4b6'))
    expect(other.status).toBe(201)
    otherId = other.body.id as string
    const again = await scim.post('/Users', jumpcloudUser('GRACE@navy.example', '5f1b2c3d4e5f60718293a4b7'))
    expect(again.status).toBe(409)
    expect(again.body.scimType).toBe('uniqueness')
  })

  test('updates are a full PUT; deactivation is a PUT with active false', async () => {
    const renamed = await scim.put(
      `/Users/${userId}`,
      jumpcloudUser('grace@navy.example', '5f1b2c3d4e5f60718293a4b5', {
        id: userId,
        name: { givenName: 'Grace', familyName: 'Brewster Hopper' },
        title: 'Commodore',
      }),
    )
    expect(renamed.status).toBe(200)
    expect((renamed.body.name as Json).familyName).toBe('Brewster Hopper')
    expect(renamed.body.title).toBe('Commodore')
    const off = await scim.put(
      `/Users/${userId}`,
      jumpcloudUser('grace@navy.example', '5f1b2c3d4e5f60718293a4b5', { id: userId, active: false }),
    )
    expect(off.status).toBe(200)
    expect(off.body.active).toBe(false)
    const inactive = await scim.get('/Users?filter=active eq false')
    expect((inactive.body.Resources as Json[]).map((u) => u.id)).toEqual([userId])
    const on = await scim.put(
      `/Users/${userId}`,
      jumpcloudUser('grace@navy.example', '5f1b2c3d4e5f60718293a4b5', { id: userId }),
    )
    expect(on.body.active).toBe(true)
  })

  test('groups: created empty, members added and removed by value list, renamed without a path', async () => {
    const created = await scim.post('/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'Engineering',
      members: [],
    })
    expect(created.status).toBe(201)
    groupId = created.body.id as string
    const found = await scim.get('/Groups?filter=displayName eq "Engineering"')
    expect((found.body.Resources as Json[]).map((g) => g.id)).toEqual([groupId])
    const added = await scim.patch(`/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'add', path: 'members', value: [{ value: userId }, { value: otherId }] }],
    })
    expect([200, 204]).toContain(added.status)
    const removed = await scim.patch(`/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'remove', path: 'members', value: [{ value: otherId }] }],
    })
    expect([200, 204]).toContain(removed.status)
    const renamed = await scim.patch(`/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', value: { displayName: 'Platform Engineering' } }],
    })
    expect([200, 204]).toContain(renamed.status)
    const group = await scim.get(`/Groups/${groupId}`)
    expect(group.body.displayName).toBe('Platform Engineering')
    expect((group.body.members as Json[]).map((m) => m.value)).toEqual([userId])
  })

  test('an unassigned user is deleted; the group loses the member', async () => {
    const deleted = await scim.delete(`/Users/${userId}`)
    expect(deleted.status).toBe(204)
    expect((await scim.get(`/Users/${userId}`)).status).toBe(404)
    const group = await scim.get(`/Groups/${groupId}`)
    expect((group.body.members as Json[] | undefined) ?? []).toEqual([])
  })
})
