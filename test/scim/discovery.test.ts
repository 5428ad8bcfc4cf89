/**
 * Discovery (`/ServiceProviderConfig`, `/ResourceTypes`, `/Schemas`) says exactly what is
 * supported, responses carry `application/scim+json`, and every SCIM route is documented in
 * /docs/json under the 'SCIM' tag with the `scimToken` security scheme.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { createTestApp, seedOrg } from '../support/app.ts'
import { setUpIntegration } from '../support/integration.ts'
import { type Json, oktaUser, type ScimClient, scimOrg } from './support.ts'

describe('discovery', () => {
  let scim: ScimClient

  beforeAll(async () => {
    scim = await scimOrg('disco')
  })

  test('ServiceProviderConfig', async () => {
    const r = await scim.get('/ServiceProviderConfig')
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toBe('application/scim+json; charset=utf-8')
    expect(r.body).toMatchObject({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
      patch: { supported: true },
      bulk: { supported: false },
      filter: { supported: true, maxResults: 1000 },
      changePassword: { supported: false },
      sort: { supported: false },
      etag: { supported: true },
      authenticationSchemes: [{ type: 'oauthbearertoken', primary: true }],
      meta: {
        resourceType: 'ServiceProviderConfig',
        location: 'http://localhost:3000/orgs/disco/okta/scim/ServiceProviderConfig',
      },
    })
  })

  test('ResourceTypes and Schemas, as lists and one by one', async () => {
    const types = await scim.get('/ResourceTypes')
    expect((types.body.Resources as Json[]).map((t) => t.endpoint)).toEqual(['/Users', '/Groups'])
    expect((await scim.get('/ResourceTypes/User')).body.schemaExtensions).toEqual([
      { schema: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', required: false },
    ])
    const schemas = await scim.get('/Schemas')
    expect((schemas.body.Resources as Json[]).map((s) => s.name)).toEqual(['User', 'EnterpriseUser', 'Group'])
    const user = await scim.get('/Schemas/urn:ietf:params:scim:schemas:core:2.0:User')
    const userName = (user.body.attributes as Json[]).find((a) => a.name === 'userName')
    expect(userName).toMatchObject({ required: true, uniqueness: 'server', caseExact: false })
    const password = (user.body.attributes as Json[]).find((a) => a.name === 'password')
    expect(password).toMatchObject({ mutability: 'writeOnly', returned: 'never' })
  })

  test('every SCIM route is in the OpenAPI document with the scimToken scheme', async () => {
    const doc = (await (await scim.app.request('/docs/json')).json()) as {
      paths: Record<string, Record<string, Json>>
    }
    const expected: Array<[string, string[]]> = [
      ['/orgs/{slug}/okta/scim/Users', ['get', 'post']],
      ['/orgs/{slug}/okta/scim/Users/{id}', ['get', 'put', 'patch', 'delete']],
      ['/orgs/{slug}/okta/scim/Groups', ['get', 'post']],
      ['/orgs/{slug}/okta/scim/Groups/{id}', ['get', 'put', 'patch', 'delete']],
      ['/orgs/{slug}/okta/scim/ServiceProviderConfig', ['get']],
      ['/orgs/{slug}/okta/scim/ResourceTypes', ['get']],
      ['/orgs/{slug}/okta/scim/Schemas', ['get']],
      ['/orgs/{slug}/okta/scim/.search', ['post']],
      ['/orgs/{slug}/okta/scim/Users/.search', ['post']],
      ['/orgs/{slug}/okta/scim/Groups/.search', ['post']],
      ['/orgs/{slug}/okta/scim/Me', ['get']],
    ]
    for (const [path, methods] of expected) {
      for (const method of methods) {
        const operation = doc.paths[path]?.[method] as Json | undefined
        expect(operation, `${method} ${path}`).toBeDefined()
        expect(operation?.tags).toEqual(['SCIM'])
        expect(operation?.security).toEqual([{ scimToken: [] }])
        expect(typeof operation?.summary).toBe('string')
      }
    }
    const create = doc.paths['/orgs/{slug}/okta/scim/Users']?.post as Json
    const content = (create.requestBody as Json).content as Json
    expect(Object.keys(content)).toEqual(['application/scim+json', 'application/json'])
    expect(Object.keys((create.responses ?? {}) as Json)).toEqual(
      expect.arrayContaining(['201', '400', '401', '409']),
    )
    const search = doc.paths['/orgs/{slug}/okta/scim/Users/.search']?.post as Json
    const searchBody = ((search.requestBody as Json).content as Record<string, Json>)['application/scim+json']
    expect(JSON.stringify(searchBody?.schema)).toContain('excludedAttributes')
  })

  test('an org on its own origin is served at {orgURL}/okta/scim, with locations under it', async () => {
    const app = createTestApp()
    const { auth } = await seedOrg(app.store, 'own', 'https://scim.own.example')
    const { scimToken } = await setUpIntegration(app, 'own', auth)
    const response = await app.fetch(
      new Request('https://scim.own.example/okta/scim/Users', {
        method: 'POST',
        headers: { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' },
        body: JSON.stringify(oktaUser('own@own.example')),
      }),
    )
    expect(response.status).toBe(201)
    const body = (await response.json()) as Json
    expect((body.meta as Json).location).toBe(`https://scim.own.example/okta/scim/Users/${body.id}`)
    expect(response.headers.get('location')).toBe(`https://scim.own.example/okta/scim/Users/${body.id}`)
  })
})
