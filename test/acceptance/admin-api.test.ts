/**
 * PRODUCT.md §4 "Admin API" and "Admin API shapes", in-process through the real app: every field the
 * contract names, on every route, with data pushed through the real SCIM API and applied by the real
 * scheduler; the error shape and clear messages on bad input of every route family; and `/docs/json`
 * documenting every route that exists, with models and error responses.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { createApp } from '../../src/http/app.ts'
import { silentLogger } from '../../src/observability/log.ts'
import { createScheduler } from '../../src/sync/scheduler.ts'
import { createTestApp, jsonBody, seedOrg, type TestApp } from '../support/app.ts'
import { selfSigned } from '../support/certs.ts'

// biome-ignore lint/suspicious/noExplicitAny: bodies are checked field by field against the contract
type Body = any

let app: TestApp
let auth: Record<string, string>
let scheduler: ReturnType<typeof createScheduler>
let firstSetUp: Body
let scimToken = ''

const api = async (
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
) => {
  const response = await app.request(`/api/v1/orgs/acme${path}`, {
    method: init.method ?? 'GET',
    ...(init.body === undefined
      ? { headers: { ...auth, ...init.headers } }
      : jsonBody(init.body, { ...auth, ...init.headers })),
  })
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    body: (await response.json()) as Body,
  }
}

const scim = (path: string, method: string, body?: unknown) =>
  app.request(`/orgs/acme/okta/scim${path}`, {
    method,
    headers: { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })

const oktaUser = (email: string, given: string) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  userName: email,
  name: { givenName: given, familyName: 'Okta' },
  emails: [{ value: email, primary: true, type: 'work' }],
  active: true,
})

beforeAll(async () => {
  app = createTestApp()
  auth = (await seedOrg(app.store, 'acme')).auth
  await seedOrg(app.store, 'globex')
  scheduler = createScheduler({
    store: app.store,
    log: silentLogger,
    metrics: app.deps.metrics,
    config: app.config,
  })
  // A local account that existed before the integration, with a linked GitHub identity.
  const local = await api('/users', {
    method: 'POST',
    body: {
      email: 'Grace@Acme.example',
      name: 'Grace Hopper',
      linkedIdentities: [{ provider: 'github', login: 'grace', email: 'grace@users.github.example' }],
    },
  })
  expect(local.status).toBe(201)
  firstSetUp = (
    await api('/okta', {
      method: 'PUT',
      body: {
        ssoUrl: 'https://acme.okta.com/app/acme/exk1/sso/saml',
        issuer: 'http://www.okta.com/exk1',
        certificate: selfSigned('okta-acceptance').certificate,
      },
    })
  ).body
  scimToken = firstSetUp.scimToken
  const ada = (await (await scim('/Users', 'POST', oktaUser('ada@acme.example', 'Ada'))).json()) as Body
  // Okta provisions Grace too: the same person as the local account (email differs only in case).
  await scim('/Users', 'POST', oktaUser('grace@acme.example', 'Grace'))
  await scim('/Groups', 'POST', {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
    displayName: 'Engineering',
    members: [{ value: ada.id }],
  })
  await api('/role-mappings', {
    method: 'PUT',
    body: { mappings: [{ group: 'Engineering', role: 'admin' }] },
  })
  await scheduler.drain()
})

describe('integration status (GET/PUT /okta, scim-token, DELETE)', () => {
  test('status names the Okta values, certificate and sync state; the token only on first set-up', async () => {
    expect(firstSetUp.scimToken).toMatch(/^okb_scim_/)
    const { status, body } = await api('/okta')
    expect(status).toBe(200)
    expect(body.scimToken).toBeUndefined()
    expect(body).toMatchObject({
      configured: true,
      ssoUrl: 'https://acme.okta.com/app/acme/exk1/sso/saml',
      issuer: 'http://www.okta.com/exk1',
      acsUrl: 'http://localhost:3000/orgs/acme/okta/auth',
      audience: 'http://localhost:3000/orgs/acme',
      scimBaseUrl: 'http://localhost:3000/orgs/acme/okta/scim',
      connectedUsers: 2,
    })
    expect(Object.keys(body.certificate)).toEqual(
      expect.arrayContaining(['subject', 'notBefore', 'notAfter', 'fingerprintSha256']),
    )
    expect(body.certificate.fingerprintSha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/)
    expect(Object.keys(body.sync)).toEqual(
      expect.arrayContaining([
        'lagSeconds',
        'pendingChanges',
        'fullReconcile',
        'lastFullReconcileAt',
        'lastError',
      ]),
    )
    const again = await api('/okta', {
      method: 'PUT',
      body: {
        ssoUrl: body.ssoUrl,
        issuer: body.issuer,
        certificate: selfSigned('okta-acceptance').certificate,
      },
    })
    expect(again.status).toBe(200)
    expect(again.body.scimToken).toBeUndefined()
  })

  test('bad URL or certificate: 400 naming the field and why', async () => {
    const badUrl = await api('/okta', {
      method: 'PUT',
      body: {
        ssoUrl: 'ftp://acme.okta.com/sso',
        issuer: 'x',
        certificate: selfSigned('okta-acceptance').certificate,
      },
    })
    expect(badUrl).toMatchObject({ status: 400, body: { error: { code: 'INVALID_INPUT', field: 'ssoUrl' } } })
    const badCert = await api('/okta', {
      method: 'PUT',
      body: { ssoUrl: 'https://acme.okta.com/sso', issuer: 'x', certificate: 'MIIB-not-a-cert' },
    })
    expect(badCert).toMatchObject({
      status: 400,
      body: { error: { code: 'INVALID_INPUT', field: 'certificate' } },
    })
    expect(badCert.body.error.message).toContain('certificate')
  })

  test('rotating the SCIM token stops the old one at once', async () => {
    const rotated = await api('/okta/scim-token', { method: 'POST' })
    expect(rotated.status).toBe(200)
    expect(Object.keys(rotated.body)).toEqual(['scimToken'])
    expect((await scim('/Users', 'GET')).status).toBe(401)
    scimToken = rotated.body.scimToken
    expect((await scim('/Users', 'GET')).status).toBe(200)
  })

  test('DELETE ?dryRun=true counts without deleting', async () => {
    const preview = await api('/okta?dryRun=true', { method: 'DELETE' })
    // Ada's account was created through the integration; Grace's local account existed before it.
    expect(preview).toMatchObject({ status: 200, body: { deletedUsers: 1, deletedGroups: 1, dryRun: true } })
    expect((await api('/okta')).body.configured).toBe(true)
  })
})

describe('directory and sync shapes', () => {
  test('users: {items, nextCursor}, the contract fields, filters', async () => {
    const { status, body } = await api('/users')
    expect(status).toBe(200)
    expect(Object.keys(body).sort()).toEqual(['items', 'nextCursor'])
    expect(body.nextCursor).toBeNull()
    const ada = body.items.find((u: Body) => u.email === 'ada@acme.example')
    expect(ada).toMatchObject({
      id: expect.any(String),
      name: expect.any(String),
      source: 'okta',
      active: true,
      role: 'admin',
      groups: ['Engineering'],
      createdViaIntegration: true,
      linkedIdentities: [],
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    })
    const byEmail = await api('/users?email=GRACE@acme.EXAMPLE')
    expect(byEmail.body.items).toHaveLength(1)
    expect(byEmail.body.items[0]).toMatchObject({
      source: 'local',
      createdViaIntegration: false,
      linkedIdentities: [{ provider: 'github', login: 'grace', email: 'grace@users.github.example' }],
    })
    expect((await api('/users?source=okta&active=true&q=ada')).body.items.map((u: Body) => u.email)).toEqual([
      'ada@acme.example',
    ])
  })

  test('lists page by 100 by default and at most 1000; the cursor walks on', async () => {
    for (let i = 0; i < 105; i++) {
      const created = await api('/users', {
        method: 'POST',
        body: { email: `bulk${i}@acme.example`, name: `Bulk ${i}` },
      })
      expect(created.status).toBe(201)
    }
    const first = await api('/users')
    expect(first.body.items).toHaveLength(100)
    expect(typeof first.body.nextCursor).toBe('string')
    const rest = await api(`/users?cursor=${encodeURIComponent(first.body.nextCursor)}`)
    expect(rest.body.items.length).toBeGreaterThan(0)
    expect(rest.body.nextCursor).toBeNull()
    const ids = new Set([...first.body.items, ...rest.body.items].map((u: Body) => u.id))
    expect(ids.size).toBe(first.body.items.length + rest.body.items.length)
    expect((await api('/users?limit=1000')).body.items.length).toBe(ids.size)
    expect((await api('/users?limit=1001')).status).toBe(400)
  })

  test('groups, role mappings, duplicates, resync dry run, sync, events', async () => {
    const groups = await api('/groups')
    expect(groups.body).toMatchObject({
      items: [{ displayName: 'Engineering', memberCount: 1 }],
      nextCursor: null,
    })

    const mappings = await api('/role-mappings')
    expect(mappings.body).toEqual({ mappings: [{ group: 'Engineering', role: 'admin' }] })

    const duplicates = await api('/duplicates')
    expect(Object.keys(duplicates.body).sort()).toEqual(['items', 'nextCursor'])
    expect(duplicates.body.items).toHaveLength(1)
    const [pair] = duplicates.body.items
    expect(pair.existing).toMatchObject({ email: 'Grace@Acme.example', source: 'local' })
    expect(Object.keys(pair.provisioned)).toEqual(expect.arrayContaining(['id', 'email', 'scimId']))
    expect(pair.provisioned.email).toBe('grace@acme.example')
    expect(pair.matchedOn).toBe('email')

    const dryRun = await api('/resync?dryRun=true', { method: 'POST' })
    expect(dryRun.status).toBe(200)
    expect(dryRun.body).toEqual({
      merges: [
        {
          keep: { id: pair.existing.id, email: 'Grace@Acme.example' },
          absorb: { id: expect.any(String), email: 'grace@acme.example' },
        },
      ],
      fullReconcileStarted: false,
    })

    const sync = await api('/sync')
    expect(sync.body).toMatchObject({
      lagSeconds: 0,
      pendingChanges: 0,
      fullReconcile: {
        running: expect.any(Boolean),
        processed: expect.any(Number),
        total: expect.any(Number),
        startedAt: expect.anything(),
        finishedAt: expect.anything(),
      },
      lastError: null,
    })
    expect('etaSeconds' in sync.body.fullReconcile).toBe(true)
    expect('lastFullReconcileAt' in sync.body).toBe(true)

    const events = await api('/events?limit=1000')
    expect(Object.keys(events.body).sort()).toEqual(['events', 'nextCursor'])
    const types = new Set(events.body.events.map((e: Body) => e.type))
    for (const type of ['account.created', 'group.created', 'membership.added'])
      expect(types.has(type)).toBe(true)
    const ids = events.body.events.map((e: Body) => e.id)
    expect(ids.every((id: unknown) => Number.isInteger(id))).toBe(true)
    expect([...ids].sort((a, b) => a - b)).toEqual(ids)
    expect(events.body.events[0]).toMatchObject({
      type: expect.any(String),
      at: expect.any(String),
      data: expect.any(Object),
    })
    const after = await api(`/events?after=${events.body.nextCursor}&limit=5`)
    expect(after.body).toEqual({ events: [], nextCursor: events.body.nextCursor })
  })
})

describe('errors: {"error": {code, message, field?}} with a 4xx on every route family', () => {
  const expectError = (
    reply: { status: number; body: Body; type: string | null },
    status: number,
    code: string,
  ) => {
    expect(reply.status).toBe(status)
    expect(reply.type).toContain('application/json')
    expect(reply.body.error.code).toBe(code)
    expect(reply.body.error.code).toMatch(/^[A-Z][A-Z_]+$/)
    expect(typeof reply.body.error.message).toBe('string')
  }

  test('malformed JSON, wrong types, unknown fields, bad enums: 400 with the field and the allowed values', async () => {
    for (const [method, path] of [
      ['PUT', '/okta'],
      ['POST', '/users'],
      ['PUT', '/role-mappings'],
    ]) {
      const response = await app.request(`/api/v1/orgs/acme${path}`, {
        method,
        headers: { ...auth, 'content-type': 'application/json' },
        body: '{"email": ',
      })
      expectError(
        { status: response.status, type: response.headers.get('content-type'), body: await response.json() },
        400,
        'MALFORMED_BODY',
      )
    }
    const role = await api('/role-mappings', {
      method: 'PUT',
      body: { mappings: [{ group: 'X', role: 'owner' }] },
    })
    expectError(role, 400, 'INVALID_INPUT')
    expect(role.body.error).toMatchObject({ field: 'mappings.0.role' })
    expect(role.body.error.message).toContain('"admin", "member"')
    const provider = await api('/users', {
      method: 'POST',
      body: {
        email: 'x@acme.example',
        name: 'X',
        linkedIdentities: [{ provider: 'gitlab', login: 'x', email: 'x@y.example' }],
      },
    })
    expect(provider.body.error.message).toContain('"github", "bitbucket"')
    const dryRun = await api('/okta?dryRun=maybe', { method: 'DELETE' })
    expectError(dryRun, 400, 'INVALID_INPUT')
    expect(dryRun.body.error).toMatchObject({ field: 'dryRun' })
    expect(dryRun.body.error.message).toContain('"true", "false"')
    const limit = await api('/users?limit=ten')
    expect(limit.body.error.message).toContain('whole number from 1 to 1000')
    for (const path of ['/users?limit=0', '/groups?limit=1001', '/audit?limit=0', '/events?limit=5000']) {
      const range = await api(path)
      expectError(range, 400, 'INVALID_INPUT')
      expect(range.body.error.field, path).toBe('limit')
    }
    const unknown = await api('/users', {
      method: 'POST',
      body: { email: 'u@acme.example', name: 'U', admin: true },
    })
    expectError(unknown, 400, 'INVALID_INPUT')
    expect(unknown.body.error.field).toBe('admin')
    const type = await api('/users', { method: 'POST', body: { email: 42, name: 'U' } })
    expect(type.body.error.field).toBe('email')
    expectError(await api('/events?after=abc'), 400, 'INVALID_INPUT')
    expectError(
      await api('/users', { method: 'POST', body: { email: 'ADA@acme.example', name: 'Dup' } }),
      409,
      'EMAIL_TAKEN',
    )
  })

  test('no credential: 401; another org’s key: 404; unknown route: 404 — never a 5xx', async () => {
    const user = { email: 'n@acme.example', name: 'N' }
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/okta'],
      ['PUT', '/okta', { ssoUrl: 'https://a.okta.com/sso', issuer: 'i', certificate: 'c' }],
      ['POST', '/okta/scim-token'],
      ['DELETE', '/okta'],
      ['GET', '/users'],
      ['POST', '/users', user],
      ['GET', '/groups'],
      ['GET', '/role-mappings'],
      ['PUT', '/role-mappings', { mappings: [] }],
      ['GET', '/duplicates'],
      ['GET', '/audit'],
      ['POST', '/resync'],
      ['GET', '/sync'],
      ['GET', '/events'],
    ]
    for (const [method, path, body] of routes) {
      const init = (headers: Record<string, string>) =>
        body === undefined ? { method, headers } : { method, ...jsonBody(body, headers) }
      const anonymous = await app.request(`/api/v1/orgs/acme${path}`, init({}))
      expect(anonymous.status, `${method} ${path}`).toBe(401)
      expect((await anonymous.json()).error.code).toBe('UNAUTHENTICATED')
      const cross = await app.request(`/api/v1/orgs/globex${path}`, init(auth))
      expect(cross.status, `${method} ${path}`).toBe(404)
    }
    // The credential is checked before the body or query: no validation details for a caller without one.
    const invalidRequests: Array<[string, string, unknown?]> = [
      ['PUT', '/okta', {}],
      ['POST', '/users', {}],
      ['PUT', '/role-mappings', {}],
      ['POST', '/resync?dryRun=maybe'],
      ['GET', '/users?limit=abc'],
    ]
    for (const [method, path, body] of invalidRequests) {
      for (const headers of [{}, auth]) {
        const slug = headers === auth ? 'globex' : 'acme'
        const response = await app.request(`/api/v1/orgs/${slug}${path}`, {
          method,
          ...(body === undefined ? { headers } : jsonBody(body, headers)),
        })
        expect(response.status, `${method} ${path}`).toBe(headers === auth ? 404 : 401)
      }
    }
    expectError(await api('/nothing-here'), 404, 'NOT_FOUND')
  })
})

describe('/docs/json', () => {
  test('documents every route that exists, with models and error responses', async () => {
    const elysia = createApp(app.deps)
    const doc = (await (await app.request('/docs/json')).json()) as Body
    const documented = new Set<string>()
    for (const [path, operations] of Object.entries<Body>(doc.paths))
      for (const method of Object.keys(operations)) documented.add(`${method.toUpperCase()} ${path}`)
    const missing = elysia.routes
      .filter((route) => !route.path.startsWith('/docs'))
      .map((route) => `${route.method} ${route.path.replace(/:(\w+)/g, '{$1}')}`)
      .filter((key) => !documented.has(key))
    expect(missing).toEqual([])

    for (const [path, operations] of Object.entries<Body>(doc.paths)) {
      for (const [method, operation] of Object.entries<Body>(operations)) {
        const where = `${method.toUpperCase()} ${path}`
        expect(operation.summary, where).toBeString()
        expect(operation.tags?.length, where).toBeGreaterThan(0)
        if (!path.startsWith('/api/v1/')) continue
        const responses = operation.responses ?? {}
        expect(Object.keys(responses), where).toEqual(expect.arrayContaining(['401', '404']))
        const error = responses['401'].content['application/json'].schema
        const errorSchema = error.$ref ? doc.components.schemas[error.$ref.split('/').pop()] : error
        expect(errorSchema.properties.error.required, where).toEqual(
          expect.arrayContaining(['code', 'message']),
        )
        const ok = responses['200'] ?? responses['201']
        // A 204 (revoke, remove) has no body to describe.
        if (!responses['204']) expect(ok?.content?.['application/json']?.schema, where).toBeDefined()
      }
    }
    const users = doc.paths['/api/v1/orgs/{slug}/users']
    expect(users.post.requestBody.content['application/json'].schema).toBeDefined()
    expect(users.get.parameters.map((p: Body) => p.name)).toEqual(
      expect.arrayContaining(['email', 'source', 'active', 'q', 'limit', 'cursor']),
    )
    expect(Object.keys(doc.paths['/orgs/{slug}/okta/scim/Users'].post.responses)).toEqual(
      expect.arrayContaining(['201', '400', '401', '409']),
    )
    expect(doc.paths['/orgs/{slug}/admin/login'].post.requestBody).toBeDefined()
  })
})
