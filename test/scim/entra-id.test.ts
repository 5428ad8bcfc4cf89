/**
 * Microsoft Entra ID's provisioning service, with payloads shaped like the ones in Microsoft's
 * "Develop a SCIM endpoint" reference: enterprise extension on create, capitalised `op` names,
 * "False"/"True" strings, `emails[type eq "work"].value` and enterprise-extension paths,
 * `excludedAttributes=members`, member removal by value list, and DELETE of users.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { changes, type Json, type ScimClient, scimOrg } from './support.ts'

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'

function entraUser(userName: string, externalId: string): Json {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
    externalId,
    userName,
    active: true,
    addresses: [
      {
        primary: true,
        type: 'work',
        country: 'NL',
        locality: 'Utrecht',
        postalCode: '3511',
        streetAddress: 'Oudegracht 1',
      },
    ],
    displayName: 'Test User',
    emails: [{ primary: true, type: 'work', value: userName }],
    meta: { resourceType: 'User' },
    name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
    roles: [],
    [ENTERPRISE]: { employeeNumber: '701984', department: 'Tour Operations', manager: { value: '123' } },
    'urn:ietf:params:scim:schemas:extension:custom:2.0:User': { costCentreCode: 'NL-42' },
  }
}

describe('Microsoft Entra ID', () => {
  let scim: ScimClient
  let userId = ''
  let otherId = ''
  let groupId = ''

  beforeAll(async () => {
    scim = await scimOrg('entra')
  })

  test('lookup by userName finds nothing, then the create keeps the extensions', async () => {
    const none = await scim.get('/Users?filter=userName eq "Test_User_dfeef4c5@contoso.com"')
    expect(none.body).toMatchObject({ totalResults: 0, Resources: [] })
    const r = await scim.post(
      '/Users',
      entraUser('Test_User_dfeef4c5@contoso.com', '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef'),
    )
    expect(r.status).toBe(201)
    userId = r.body.id as string
    expect(r.body.schemas).toEqual([
      'urn:ietf:params:scim:schemas:core:2.0:User',
      ENTERPRISE,
      'urn:ietf:params:scim:schemas:extension:custom:2.0:User',
    ])
    expect(r.body[ENTERPRISE]).toEqual({
      employeeNumber: '701984',
      department: 'Tour Operations',
      manager: { value: '123' },
    })
    expect((r.body.meta as Json).resourceType).toBe('User')
    const other = await scim.post('/Users', entraUser('Other_User@contoso.com', 'ext-2'))
    otherId = other.body.id as string
  })

  test('lookups Entra sends: by externalId, and by userName with an unknown value', async () => {
    const byExternal = await scim.get('/Users?filter=externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"')
    expect((byExternal.body.Resources as Json[]).map((u) => u.id)).toEqual([userId])
    const unknown = await scim.get('/Users?filter=userName eq "non-existent-user"')
    expect(unknown.body.totalResults).toBe(0)
  })

  test('PATCH with capitalised ops, value paths, extension paths and a "False" string', async () => {
    const r = await scim.patch(`/Users/${userId}`, {
      schemas: [PATCH_OP],
      Operations: [
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'updatedEmail@contoso.com' },
        { op: 'Replace', path: 'name.familyName', value: 'updatedFamilyName' },
        { op: 'Add', path: 'title', value: 'Tour Guide' },
        { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+31 6 1234 5678' },
        { op: 'Replace', path: `${ENTERPRISE}:department`, value: 'Sales' },
        { op: 'Add', path: `${ENTERPRISE}:manager`, value: otherId },
        { op: 'Replace', path: 'active', value: 'False' },
      ],
    })
    expect(r.status).toBe(200)
    expect(r.body.emails).toEqual([{ primary: true, type: 'work', value: 'updatedEmail@contoso.com' }])
    expect((r.body.name as Json).familyName).toBe('updatedFamilyName')
    expect(r.body.title).toBe('Tour Guide')
    expect(r.body.phoneNumbers).toEqual([{ type: 'mobile', value: '+31 6 1234 5678' }])
    expect(r.body[ENTERPRISE]).toMatchObject({
      department: 'Sales',
      manager: { value: otherId },
      employeeNumber: '701984',
    })
    expect(r.body.active).toBe(false)
    const byEmail = await scim.get('/Users?filter=emails.value eq "UPDATEDEMAIL@contoso.com"')
    expect((byEmail.body.Resources as Json[]).map((u) => u.id)).toEqual([userId])
    const inactive = await scim.get('/Users?filter=active eq false')
    expect((inactive.body.Resources as Json[]).map((u) => u.id)).toEqual([userId])
  })

  test('single-valued replace of userName, "True" string, removing an attribute', async () => {
    const r = await scim.patch(`/Users/${userId}`, {
      schemas: [PATCH_OP],
      Operations: [
        { op: 'Replace', path: 'userName', value: '5b50642d@contoso.com' },
        { op: 'Replace', path: 'active', value: 'True' },
        { op: 'Remove', path: 'title' },
        { op: 'Remove', path: `${ENTERPRISE}:manager` },
      ],
    })
    expect(r.status).toBe(200)
    expect(r.body.userName).toBe('5b50642d@contoso.com')
    expect(r.body.active).toBe(true)
    expect(r.body.title).toBeUndefined()
    expect((r.body[ENTERPRISE] as Json).manager).toBeUndefined()
  })

  test('groups: create with the Microsoft schema, excludedAttributes=members, add and remove by value list', async () => {
    const created = await scim.post('/Groups', {
      schemas: [
        'urn:ietf:params:scim:schemas:core:2.0:Group',
        'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group',
      ],
      externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
      displayName: 'displayName',
      meta: { resourceType: 'Group' },
    })
    expect(created.status).toBe(201)
    groupId = created.body.id as string
    const lookup = await scim.get('/Groups?excludedAttributes=members&filter=displayName eq "displayName"')
    expect(lookup.body.totalResults).toBe(1)
    expect((lookup.body.Resources as Json[])[0]?.members).toBeUndefined()
    const add = await scim.patch(`/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [
        {
          op: 'Add',
          path: 'members',
          value: [
            { $ref: null, value: userId },
            { $ref: null, value: otherId },
          ],
        },
      ],
    })
    expect(add.status).toBe(204)
    const remove = await scim.patch(`/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Remove', path: 'members', value: [{ $ref: null, value: otherId }] }],
    })
    expect(remove.status).toBe(204)
    const read = await scim.get(`/Groups/${groupId}?excludedAttributes=displayName`)
    expect(read.body.displayName).toBeUndefined()
    expect((read.body.members as Json[]).map((m) => m.value)).toEqual([userId])
    const memberFilter = await scim.get(
      `/Groups?filter=members[value eq "${userId}"]&excludedAttributes=members`,
    )
    expect(memberFilter.body.totalResults).toBe(1)
    const rename = await scim.patch(`/Groups/${groupId}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'Replace', path: 'displayName', value: '1879db59updatedDisplayName' }],
    })
    expect(rename.status).toBe(204)
  })

  test('DELETE /Users/{id} removes the user and its memberships, each in the feed', async () => {
    const before = (await changes(scim)).length
    const r = await scim.delete(`/Users/${userId}`)
    expect(r.status).toBe(204)
    expect((await scim.get(`/Users/${userId}`)).status).toBe(404)
    expect(((await scim.get(`/Groups/${groupId}`)).body.members as Json[]).length).toBe(0)
    expect((await changes(scim)).slice(before)).toEqual([
      { kind: 'membership', op: 'remove', resource_id: groupId, related_id: userId },
      { kind: 'user', op: 'delete', resource_id: userId, related_id: null },
    ])
    expect((await scim.delete(`/Users/${userId}`)).status).toBe(404)
  })
})
