/**
 * Every org is sealed off: a SCIM token reaches only its own org (the same 401 for a wrong org, an
 * unknown org, a bad token, a rotated token), and ids of another org are invisible — 404 on read,
 * write and delete, absent from lists, skipped as group members.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { createTestApp, jsonBody, seedOrg, type TestApp } from '../support/app.ts'
import { setUpIntegration } from '../support/integration.ts'
import { changes, expectScimError, type Json, oktaUser, type ScimClient, scimClient } from './support.ts'

describe('org isolation', () => {
  let app: TestApp
  let a: ScimClient
  let b: ScimClient
  let bAuth: Record<string, string>
  let bUser = ''
  let bGroup = ''

  beforeAll(async () => {
    app = createTestApp()
    const orgA = await seedOrg(app.store, 'org-a')
    const orgB = await seedOrg(app.store, 'org-b')
    bAuth = orgB.auth
    a = await scimClient(
      app,
      'org-a',
      (await setUpIntegration(app, 'org-a', orgA.auth)).scimToken,
      orgA.org.id,
    )
    b = await scimClient(
      app,
      'org-b',
      (await setUpIntegration(app, 'org-b', orgB.auth)).scimToken,
      orgB.org.id,
    )
    bUser = (await b.post('/Users', oktaUser('same@shared.example', 'B', 'User'))).body.id as string
    bGroup = (await b.post('/Groups', { displayName: 'B group' })).body.id as string
  })

  test("org A's token on org B's URL, on an unknown org, or with no token: the same 401", async () => {
    const wrongOrg = await scimClient(app, 'org-b', a.token, b.orgId)
    const unknownOrg = await scimClient(app, 'nope', a.token, 'x')
    for (const reply of [
      await wrongOrg.get('/Users'),
      await wrongOrg.post('/Users', oktaUser('x@y.z')),
      await unknownOrg.get('/Users'),
      await a.get('/Users', { authorization: '' }),
      await a.get('/Users', { authorization: 'Bearer okb_scim_forged' }),
      await wrongOrg.get('/ServiceProviderConfig'),
    ]) {
      expectScimError(reply, 401)
      expect(reply.body.detail).toBe(
        'send the SCIM token of this organization as Authorization: Bearer <token>',
      )
      expect(reply.headers.get('www-authenticate')).toContain('Bearer')
    }
    expect((await changes(b)).filter((c) => c.kind === 'user')).toHaveLength(1)
  })

  test('the bare token (Okta "HTTP Header" mode) works, for its own org only', async () => {
    expect((await a.get('/Users', { authorization: a.token })).status).toBe(200)
    expectScimError(await a.get('/Users', { authorization: b.token }), 401)
  })

  test("org B's ids are invisible through org A", async () => {
    expectScimError(await a.get(`/Users/${bUser}`), 404)
    expectScimError(await a.put(`/Users/${bUser}`, oktaUser('same@shared.example')), 404)
    expectScimError(
      await a.patch(`/Users/${bUser}`, { Operations: [{ op: 'replace', value: { active: false } }] }),
      404,
    )
    expectScimError(await a.delete(`/Users/${bUser}`), 404)
    expectScimError(await a.get(`/Groups/${bGroup}`), 404)
    expectScimError(await a.delete(`/Groups/${bGroup}`), 404)
    expect((await a.get('/Users')).body.totalResults).toBe(0)
    expect((await a.get(`/Users?filter=id eq "${bUser}"`)).body.totalResults).toBe(0)
    expect((await a.get(`/Groups?filter=members eq "${bUser}"`)).body.totalResults).toBe(0)
    expect((await b.get(`/Users/${bUser}`)).body.active).toBe(true)
  })

  test('the same userName and group name may exist in both orgs; B’s users cannot join A’s groups', async () => {
    const aUser = await a.post('/Users', oktaUser('same@shared.example', 'A', 'User'))
    expect(aUser.status).toBe(201)
    const aGroup = await a.post('/Groups', {
      displayName: 'B group',
      members: [{ value: bUser }, { value: aUser.body.id }],
    })
    expect(aGroup.status).toBe(201)
    expect((aGroup.body.members as Json[]).map((m) => m.value)).toEqual([aUser.body.id])
    expect((await b.get(`/Groups/${bGroup}`)).body.members).toEqual([])
  })

  test('a rotated token stops working at once; the new one works', async () => {
    const rotated = await app.request('/api/v1/orgs/org-b/okta/scim-token', {
      method: 'POST',
      ...jsonBody({}, bAuth),
    })
    expect(rotated.status).toBe(200)
    const { scimToken } = (await rotated.json()) as { scimToken: string }
    expectScimError(await b.get('/Users'), 401)
    const renewed = await scimClient(app, 'org-b', scimToken, b.orgId)
    expect((await renewed.get('/Users')).body.totalResults).toBe(1)
  })
})
