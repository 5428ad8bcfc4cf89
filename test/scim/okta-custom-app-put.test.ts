/**
 * An Okta app made with the App Integration Wizard: every update is a PUT of the whole resource —
 * profile changes, deactivation, reactivation, and group pushes (POST /Groups with no members,
 * then PUT /Groups/{id} with the full member list). Payloads are shaped exactly like Okta's.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { changes, type Json, oktaUser, type ScimClient, scimOrg } from './support.ts'

describe('Okta custom app (PUT everywhere)', () => {
  let scim: ScimClient
  const ids: Record<string, string> = {}

  beforeAll(async () => {
    scim = await scimOrg('custom')
    // "Test Connector Configuration" in Okta.
    expect((await scim.get('/Users?startIndex=1&count=2')).status).toBe(200)
    expect((await scim.get('/Groups?startIndex=1&count=100')).status).toBe(200)
    for (const name of ['ann', 'bob', 'cat']) {
      const email = `${name}@custom.example`
      const lookup = await scim.get(
        `/Users?filter=userName%20eq%20%22${encodeURIComponent(email)}%22&startIndex=1&count=100`,
      )
      expect(lookup.body.totalResults).toBe(0)
      const created = await scim.post('/Users', oktaUser(email, name.toUpperCase(), 'Custom'))
      expect(created.status).toBe(201)
      ids[name] = created.body.id as string
    }
  })

  test('the created user is the full resource, without the password', async () => {
    const r = await scim.get(`/Users/${ids.ann}`)
    expect(r.body).toMatchObject({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      id: ids.ann,
      userName: 'ann@custom.example',
      name: { givenName: 'ANN', familyName: 'Custom' },
      emails: [{ primary: true, value: 'ann@custom.example', type: 'work' }],
      displayName: 'ANN Custom',
      locale: 'en-US',
      active: true,
      groups: [],
      meta: { resourceType: 'User', version: 'W/"1"' },
    })
    expect(r.body.password).toBeUndefined()
    expect((r.body.meta as Json).location).toBe(
      `http://localhost:3000/orgs/custom/okta/scim/Users/${ids.ann}`,
    )
    expect(r.headers.get('etag')).toBe('W/"1"')
    const stored = await scim.app.store.directory.userById(scim.orgId, ids.ann as string)
    expect(stored?.resource).not.toContain('Sup3r-Secret!')
  })

  test('profile update by PUT replaces the user and bumps the version', async () => {
    const body: Json = { ...oktaUser('ann@custom.example', 'Annabel', 'Custom-Smith'), id: ids.ann }
    body.emails = [{ primary: true, value: 'annabel@custom.example', type: 'work' }]
    const r = await scim.put(`/Users/${ids.ann}`, body)
    expect(r.status).toBe(200)
    expect(r.body.name).toEqual({ givenName: 'Annabel', familyName: 'Custom-Smith' })
    expect((r.body.meta as Json).version).toBe('W/"2"')
    const byEmail = await scim.get('/Users?filter=emails[type eq "work"].value eq "ANNABEL@custom.example"')
    expect(byEmail.body.totalResults).toBe(1)
  })

  test('deactivation by PUT with active=false keeps the user readable and updates connectedUsers', async () => {
    const r = await scim.put(`/Users/${ids.bob}`, {
      ...oktaUser('bob@custom.example', 'BOB', 'Custom'),
      id: ids.bob,
      active: false,
    })
    expect(r.status).toBe(200)
    expect(r.body.active).toBe(false)
    expect((await scim.get(`/Users/${ids.bob}`)).body.active).toBe(false)
    expect(await scim.app.store.integrations.countActiveScimUsers(scim.orgId)).toBe(2)
    const reactivated = await scim.put(`/Users/${ids.bob}`, {
      ...oktaUser('bob@custom.example', 'BOB', 'Custom'),
      id: ids.bob,
    })
    expect(reactivated.body.active).toBe(true)
    expect(await scim.app.store.integrations.countActiveScimUsers(scim.orgId)).toBe(3)
  })

  test('PUT that takes another user’s userName is a 409 uniqueness', async () => {
    const r = await scim.put(`/Users/${ids.cat}`, { ...oktaUser('BOB@custom.example'), id: ids.cat })
    expect(r.status).toBe(409)
    expect(r.body.scimType).toBe('uniqueness')
  })

  test('group push: POST with no members, PUT with the full list, PUT with a shorter list', async () => {
    const lookup = await scim.get('/Groups?filter=displayName eq "Engineering"&startIndex=1&count=100')
    expect(lookup.body.totalResults).toBe(0)
    const created = await scim.post('/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'Engineering',
      members: [],
    })
    expect(created.status).toBe(201)
    const groupId = created.body.id as string
    const put = await scim.put(`/Groups/${groupId}`, {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      id: groupId,
      displayName: 'Engineering',
      members: [
        { value: ids.ann, display: 'annabel@custom.example' },
        { value: ids.bob, display: 'bob@custom.example' },
      ],
    })
    expect(put.status).toBe(200)
    expect((put.body.members as Json[]).map((m) => m.value).sort()).toEqual([ids.ann, ids.bob].sort())
    const shorter = await scim.put(`/Groups/${groupId}`, {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      id: groupId,
      displayName: 'Engineering Team',
      members: [{ value: ids.bob, display: 'bob@custom.example' }],
    })
    expect(shorter.body.displayName).toBe('Engineering Team')
    const read = await scim.get(`/Groups/${groupId}`)
    expect((read.body.members as Json[]).map((m) => m.value)).toEqual([ids.bob])
    expect(((await scim.get(`/Users/${ids.bob}`)).body.groups as Json[])[0]).toMatchObject({
      value: groupId,
      display: 'Engineering Team',
    })
    const feed = (await changes(scim)).filter((c) => c.kind !== 'user')
    expect(feed).toEqual([
      { kind: 'group', op: 'upsert', resource_id: groupId, related_id: null },
      { kind: 'membership', op: 'add', resource_id: groupId, related_id: ids.ann as string },
      { kind: 'membership', op: 'add', resource_id: groupId, related_id: ids.bob as string },
      { kind: 'membership', op: 'remove', resource_id: groupId, related_id: ids.ann as string },
      { kind: 'group', op: 'upsert', resource_id: groupId, related_id: null },
    ])
    expect((await scim.delete(`/Groups/${groupId}`)).status).toBe(204)
    expect((await scim.get(`/Groups/${groupId}`)).status).toBe(404)
  })
})
