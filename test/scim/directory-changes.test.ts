/**
 * The `directory_changes` feed the sync scheduler consumes: one entry per changed resource and one
 * per (group, user) membership delta, written in the same transaction as the row — so a refused
 * write leaves neither, an unchanged write adds nothing — and the columns stay in step with the
 * stored resource (what filters and `connectedUsers` read).
 */
import { describe, expect, test } from 'bun:test'
import type { ScimUserRow } from '../../src/store/scim.ts'
import { changes, type Json, oktaUser, scimOrg } from './support.ts'

describe('directory changes', () => {
  test('each write appends exactly its entries, in order', async () => {
    const scim = await scimOrg('feed')
    const ann = (await scim.post('/Users', oktaUser('ann@feed.example'))).body.id as string
    const bob = (await scim.post('/Users', oktaUser('bob@feed.example'))).body.id as string
    await scim.put(`/Users/${ann}`, { ...oktaUser('ann@feed.example', 'Ann', 'Other') })
    await scim.patch(`/Users/${bob}`, { Operations: [{ op: 'replace', value: { active: false } }] })
    // The same values again change nothing, so the feed stays as it is.
    await scim.patch(`/Users/${bob}`, { Operations: [{ op: 'replace', value: { active: false } }] })
    const group = (await scim.post('/Groups', { displayName: 'G', members: [{ value: ann }] })).body
      .id as string
    await scim.patch(`/Groups/${group}`, {
      Operations: [
        { op: 'add', path: 'members', value: [{ value: bob }, { value: ann }] },
        { op: 'replace', path: 'displayName', value: 'G2' },
      ],
    })
    await scim.delete(`/Groups/${group}`)
    const u = (id: string, op = 'upsert') => ({ kind: 'user', op, resource_id: id, related_id: null })
    expect(await changes(scim)).toEqual([
      u(ann),
      u(bob),
      u(ann),
      u(bob),
      { kind: 'group', op: 'upsert', resource_id: group, related_id: null },
      { kind: 'membership', op: 'add', resource_id: group, related_id: ann },
      { kind: 'membership', op: 'add', resource_id: group, related_id: bob },
      { kind: 'group', op: 'upsert', resource_id: group, related_id: null },
      { kind: 'membership', op: 'remove', resource_id: group, related_id: ann },
      { kind: 'membership', op: 'remove', resource_id: group, related_id: bob },
      { kind: 'group', op: 'delete', resource_id: group, related_id: null },
    ])
  })

  test('refused writes leave no row and no entry', async () => {
    const scim = await scimOrg('refused')
    const ann = (await scim.post('/Users', oktaUser('ann@refused.example'))).body.id as string
    await scim.post('/Groups', { displayName: 'Taken' })
    const before = (await changes(scim)).length
    expect((await scim.post('/Users', oktaUser('ANN@refused.example'))).status).toBe(409)
    expect((await scim.post('/Groups', { displayName: 'taken' })).status).toBe(409)
    expect((await scim.put(`/Users/${ann}`, { userName: '' })).status).toBe(400)
    expect(
      (await scim.patch('/Users/missing', { Operations: [{ op: 'replace', value: { active: false } }] }))
        .status,
    ).toBe(404)
    expect(await changes(scim)).toHaveLength(before)
    const users = await scim.app.store.directory.listUsers(scim.orgId, null, 0, 0)
    expect(users.total).toBe(1)
  })

  test('concurrent writes committed together still succeed or fail one by one', async () => {
    const scim = await scimOrg('batched')
    await scim.post('/Users', oktaUser('taken@batched.example'))
    const before = (await changes(scim)).length
    // Sent at once, these share a commit; the duplicates fail alone.
    const replies = await Promise.all(
      ['a', 'taken', 'b', 'TAKEN', 'c', 'a'].map((name) =>
        scim.post('/Users', oktaUser(`${name}@batched.example`)),
      ),
    )
    expect(replies.map((r) => r.status)).toEqual([201, 409, 201, 409, 201, 409])
    expect((await changes(scim)).slice(before).map((c) => c.resource_id)).toEqual(
      replies.filter((r) => r.status === 201).map((r) => r.body.id as string),
    )
    expect((await scim.get('/Users?count=0')).body.totalResults).toBe(4)
  })

  test('columns follow the stored resource; connectedUsers counts active users', async () => {
    const scim = await scimOrg('columns')
    const body = oktaUser('Mixed.Case@Columns.example', 'Mia', 'Case')
    body.emails = [
      { value: 'second@columns.example', type: 'home' },
      { value: 'Primary@Columns.example', type: 'work', primary: true },
    ]
    const id = (await scim.post('/Users', body)).body.id as string
    const row = async () => (await scim.app.store.directory.userById(scim.orgId, id)) as ScimUserRow
    expect(await row()).toMatchObject({
      user_name: 'Mixed.Case@Columns.example',
      user_name_lower: 'mixed.case@columns.example',
      email_lower: 'primary@columns.example',
      given_name: 'Mia',
      family_name: 'Case',
      display_name: 'Mia Case',
      active: 1,
      version: 1,
    })
    expect(JSON.parse((await row()).resource).password).toBeUndefined()
    await scim.patch(`/Users/${id}`, {
      Operations: [
        { op: 'remove', path: 'emails[primary eq true]' },
        { op: 'replace', path: 'name.givenName', value: 'Mira' },
        { op: 'replace', value: { active: false } },
      ],
    })
    expect(await row()).toMatchObject({
      email_lower: 'second@columns.example',
      given_name: 'Mira',
      active: 0,
      version: 2,
    })
    expect(await scim.app.store.integrations.countActiveScimUsers(scim.orgId)).toBe(0)
    const status = await scim.app.request('/api/v1/orgs/columns/okta', { headers: scim.adminAuth })
    expect(((await status.json()) as Json).connectedUsers).toBe(0)
    await scim.patch(`/Users/${id}`, { Operations: [{ op: 'replace', path: 'active', value: true }] })
    expect(await scim.app.store.integrations.countActiveScimUsers(scim.orgId)).toBe(1)
  })

  test('SCIM operations are counted in metrics by resource, operation and status', async () => {
    const scim = await scimOrg('metrics')
    await scim.post('/Users', oktaUser('m@metrics.example'))
    await scim.post('/Users', oktaUser('m@metrics.example'))
    await scim.get('/Users?filter=userName eq "m@metrics.example"')
    const counter = scim.app.deps.metrics.scimOperations
    expect(counter.get({ resource: 'User', operation: 'create', status: '201' })).toBe(1)
    expect(counter.get({ resource: 'User', operation: 'create', status: '409' })).toBe(1)
    expect(counter.get({ resource: 'User', operation: 'list', status: '200' })).toBe(1)
  })
})
