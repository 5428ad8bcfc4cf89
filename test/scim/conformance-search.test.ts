/**
 * What third-party SCIM conformance tools check beyond Okta and Entra ID: `PATCH remove active`
 * leaves a deactivated user inactive, `/Me` answers 501 in SCIM error JSON, and `POST /.search`
 * (RFC 7644 §3.4.3) works on `/Users`, `/Groups` and the root with the SearchRequest message.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { SEARCH_SCHEMA } from '../../src/scim/model.ts'
import { expectScimError, type Json, oktaUser, type ScimClient, scimOrg } from './support.ts'

const search = (body: Json) => ({ schemas: [SEARCH_SCHEMA], ...body })

describe('conformance: remove active, /Me, POST .search', () => {
  let scim: ScimClient
  const users: string[] = []
  const groups: string[] = []

  beforeAll(async () => {
    scim = await scimOrg('conform')
    for (const name of ['ann', 'bob', 'cid']) {
      users.push(
        (await scim.post('/Users', oktaUser(`${name}@conform.example`, name, 'Test'))).body.id as string,
      )
    }
    for (const name of ['Alpha', 'Beta']) {
      groups.push(
        (await scim.post('/Groups', { displayName: name, members: [{ value: users[0] }] })).body.id as string,
      )
    }
  })

  test('PATCH remove path=active keeps an inactive user inactive (and an active one active)', async () => {
    const id = (await scim.post('/Users', oktaUser('inactive@conform.example'))).body.id as string
    await scim.patch(`/Users/${id}`, { Operations: [{ op: 'replace', path: 'active', value: false }] })
    for (const operation of [
      { op: 'remove', path: 'active' },
      { op: 'Remove', path: 'ACTIVE' },
      { op: 'replace', path: 'active', value: null },
    ]) {
      const r = await scim.patch(`/Users/${id}`, { Operations: [operation] })
      expect(r.status).toBe(200)
      expect(r.body.active).toBe(false)
    }
    const row = await scim.app.store.directory.userById(scim.orgId, id)
    expect(row?.active).toBe(0)
    const active = await scim.patch(`/Users/${users[1]}`, { Operations: [{ op: 'remove', path: 'active' }] })
    expect(active.body.active).toBe(true)
    await scim.delete(`/Users/${id}`)
  })

  test('/Me answers 501 in SCIM error JSON for every method, after authentication', async () => {
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
      const r = await scim.send(method, '/Me', method === 'GET' || method === 'DELETE' ? undefined : {})
      expectScimError(r, 501)
    }
    const anonymous = await scim.app.request(`${scim.base}/Me`)
    expect(anonymous.status).toBe(401)
  })

  test('POST /Users/.search: filter, paging and attributes from the body', async () => {
    const r = await scim.post(
      '/Users/.search',
      search({
        filter: 'userName sw "b" or userName sw "c"',
        attributes: ['userName'],
        startIndex: 2,
        count: 1,
      }),
    )
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toBe('application/scim+json; charset=utf-8')
    expect(r.body).toMatchObject({ totalResults: 2, startIndex: 2, itemsPerPage: 1 })
    const [only] = r.body.Resources as Json[]
    expect(only).toEqual({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      id: users[2],
      userName: 'cid@conform.example',
    })
    // Same answer as the GET form.
    const viaGet = await scim.get(
      `/Users?filter=${encodeURIComponent('userName sw "b" or userName sw "c"')}&attributes=userName&startIndex=2&count=1`,
    )
    expect(viaGet.body).toEqual(r.body)
    // Comma-separated attributes, string numbers and an absent schemas list are tolerated.
    const lenient = await scim.post('/Users/.search', { excludedAttributes: 'groups,meta', count: '10' })
    expect(lenient.body.totalResults).toBe(3)
    expect((lenient.body.Resources as Json[])[0]?.meta).toBeUndefined()
  })

  test('POST /Groups/.search, and excludedAttributes=members', async () => {
    const r = await scim.post(
      '/Groups/.search',
      search({ filter: 'displayName eq "beta"', excludedAttributes: ['members'] }),
    )
    expect(r.body.totalResults).toBe(1)
    const [beta] = r.body.Resources as Json[]
    expect(beta?.id).toBe(groups[1])
    expect(beta?.members).toBeUndefined()
  })

  test('POST /.search covers users then groups as one paged list', async () => {
    const all = await scim.post('/.search', search({ attributes: ['id'] }))
    expect(all.body.totalResults).toBe(5)
    expect((all.body.Resources as Json[]).map((r) => r.id)).toEqual([...users, ...groups])
    const page = await scim.post('/.search', search({ startIndex: 3, count: 2 }))
    expect(page.body).toMatchObject({ totalResults: 5, startIndex: 3, itemsPerPage: 2 })
    expect((page.body.Resources as Json[]).map((r) => (r.meta as Json).resourceType)).toEqual([
      'User',
      'Group',
    ])
    const groupsOnly = await scim.post('/.search', search({ filter: 'meta.resourceType eq "Group"' }))
    expect((groupsOnly.body.Resources as Json[]).map((r) => r.id)).toEqual(groups)
    // userName exists only on users: groups do not match, and it is no error.
    const byUserName = await scim.post('/.search', search({ filter: 'userName eq "ann@conform.example"' }))
    expect((byUserName.body.Resources as Json[]).map((r) => r.id)).toEqual([users[0]])
    const byDisplayName = await scim.post('/.search', search({ filter: 'displayName eq "Alpha"' }))
    expect((byDisplayName.body.Resources as Json[]).map((r) => r.id)).toEqual([groups[0]])
  })

  test('bad search requests get SCIM 4xx', async () => {
    expectScimError(await scim.post('/.search', search({ filter: 'nosuch eq "x"' })), 400, 'invalidFilter')
    expectScimError(
      await scim.post('/Users/.search', search({ filter: 'userName eq' })),
      400,
      'invalidFilter',
    )
    expectScimError(
      await scim.post('/Users/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'] }),
      400,
      'invalidSyntax',
    )
    expectScimError(await scim.post('/Users/.search', search({ count: 'ten' })), 400, 'invalidValue')
    expectScimError(await scim.post('/Users/.search', search({ attributes: [5] })), 400, 'invalidValue')
    expectScimError(await scim.post('/Users/.search', '[1]'), 400, 'invalidValue')
    expectScimError(await scim.post('/Users/.search', '{"filter":'), 400, 'invalidSyntax')
    expectScimError(
      await scim.post('/Groups/.search', search({ filter: 'x'.repeat(3000) })),
      400,
      'invalidFilter',
    )
    expectScimError(
      await scim.post('/Users/.search', search({ filter: 'userName pr', FILTER: 'userName pr' })),
      400,
      'invalidSyntax',
    )
    expectScimError(
      await scim.send('POST', '/Users/.search', 'filter=x', {
        'content-type': 'application/x-www-form-urlencoded',
      }),
      415,
    )
  })
})
