/**
 * Okta's published "Okta SCIM 2.0 CRUD Test" (okta/okta-developer-docs, SCIMFiles/
 * Okta-SCIM-20-CRUD-Test.json) replayed step by step. The suite drives Okta's own API (create a
 * user, assign the app, update, deactivate, reactivate, unassign) and then checks the SCIM server;
 * here each Okta action is replaced by the SCIM requests Okta sends for it, followed by the suite's
 * own verification step with its assertions.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { type Json, oktaUser, type ScimClient, scimOrg } from './support.ts'

const okta_user_email = 'crud.tester@example.com'
const okta_user_firstname = 'Crud'
const okta_user_lastname = 'Tester'
const okta_user_firstname_update = 'Crudder'

describe('Okta SCIM 2.0 CRUD Test', () => {
  let scim: ScimClient
  let scim_id = ''

  beforeAll(async () => {
    scim = await scimOrg('crud')
  })

  test('Assign user to SCIM App → Okta looks the user up, then creates it', async () => {
    const lookup = await scim.get(
      `/Users?filter=userName+eq+%22${encodeURIComponent(okta_user_email)}%22&startIndex=1&count=100`,
    )
    expect(lookup.status).toBe(200)
    expect(lookup.body.totalResults).toBe(0)
    const created = await scim.post(
      '/Users',
      oktaUser(okta_user_email, okta_user_firstname, okta_user_lastname),
    )
    expect(created.status).toBe(201)
  })

  test('Verify if user is created in SCIM App', async () => {
    const r = await scim.get(`/Users?filter=userName eq "${okta_user_email}"`)
    expect(r.status).toBe(200)
    const user = (r.body.Resources as Json[])[0] as Json
    expect(user.userName).toBe(okta_user_email)
    expect((user.emails as Json[])[0]?.value).toBe(okta_user_email)
    expect((user.name as Json).familyName).toBe(okta_user_lastname)
    expect((user.name as Json).givenName).toBe(okta_user_firstname)
    scim_id = user.id as string
  })

  test('Update user firstname → Okta pushes the profile (PUT of the whole user)', async () => {
    const current = (await scim.get(`/Users/${scim_id}`)).body
    const r = await scim.put(`/Users/${scim_id}`, {
      ...oktaUser(okta_user_email, okta_user_firstname_update, okta_user_lastname),
      id: scim_id,
      externalId: current.externalId,
    })
    expect(r.status).toBe(200)
  })

  test('Verify firstname update in SCIM App', async () => {
    const r = await scim.get(`/Users/${scim_id}`)
    expect(r.status).toBe(200)
    expect((r.body.name as Json).givenName).toBe(okta_user_firstname_update)
  })

  test('Deactivate user in Okta → PATCH active=false', async () => {
    const r = await scim.patch(`/Users/${scim_id}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', value: { active: false } }],
    })
    expect(r.status).toBe(200)
    expect(r.body.active).toBe(false)
  })

  test('Verify if user is deactivated in SCIM App', async () => {
    const r = await scim.get(`/Users/${scim_id}`)
    expect(r.status).toBe(200)
    expect(r.body.active).toBe(false)
  })

  test('Reactivate user in Okta and assign again → lookup finds it, PATCH active=true', async () => {
    const lookup = await scim.get(`/Users?filter=userName eq "${okta_user_email}"&startIndex=1&count=100`)
    expect(lookup.body.totalResults).toBe(1)
    const r = await scim.patch(`/Users/${scim_id}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', value: { active: true } }],
    })
    expect(r.status).toBe(200)
  })

  test('Verify if user is reactivated in SCIM App', async () => {
    const r = await scim.get(`/Users/${scim_id}`)
    expect(r.status).toBe(200)
    expect(r.body.active).toBe(true)
  })

  test('Removes an assignment for a user in Okta → Okta deactivates, never deletes', async () => {
    const r = await scim.patch(`/Users/${scim_id}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', value: { active: false } }],
    })
    expect(r.status).toBe(200)
  })

  test('Verify if user is deactivated in SCIM App (still readable)', async () => {
    const r = await scim.get(`/Users/${scim_id}`)
    expect(r.status).toBe(200)
    expect(r.body.active).toBe(false)
    expect(r.body.userName).toBe(okta_user_email)
  })
})
