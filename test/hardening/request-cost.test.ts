/**
 * No request up to the body limit may cost more than a few milliseconds of the HTTP thread. What
 * bounds the cost is asserted here (timings are bench/hostile-input.ts's business): a body of the
 * wrong type is refused before it is read, a body nested or wide past the limits is refused while
 * it streams in (before any parser sees it: a body that is not even JSON after the limit still
 * gets the shape error, and the client's stream is not read to its end), a body its model refuses
 * never reaches Elysia's eager validation message, and no message quotes the value sent. Each
 * refusal is a 4xx in the format of the surface called, never a 500.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { Type as T } from '@sinclair/typebox'
import {
  MAX_API_JSON_VALUES,
  MAX_JSON_DEPTH,
  MAX_JSON_OBJECT_MEMBERS,
  MAX_PAGE_FORM_FIELDS,
} from '../../src/http/body-policy.ts'
import { bodyIssueOf, createBodyValidation } from '../../src/http/body-validation.ts'
import { samlAudit } from '../saml/fixture.ts'
import { expectScimError, type ScimClient, scimOrg } from '../scim/support.ts'
import type { TestApp } from '../support/app.ts'

const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth)
/** The reviewer's body: 60 KB, depth 30,000. */
const DEEP_60KB = deep(30_000)
const FLAT_1MB = `[${Array(500_000).fill('0').join(',')}]`

let scim: ScimClient
let app: TestApp
let apiAuth: Record<string, string>

beforeAll(async () => {
  scim = await scimOrg('acme')
  app = scim.app
  apiAuth = scim.adminAuth
})

function api(method: string, path: string, body: BodyInit, contentType = 'application/json') {
  return app.request(`/api/v1/orgs/acme${path}`, {
    method,
    body,
    headers: { ...apiAuth, 'content-type': contentType },
  })
}

async function apiError(response: Response) {
  expect(response.headers.get('content-type')).toContain('application/json')
  return ((await response.json()) as { error: { code: string; message: string; field?: string } }).error
}

/** A chunked body that counts how many of its chunks were asked for. */
function countingStream(chunks: string[]) {
  const state = { pulled: 0 }
  let next = 0
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next >= chunks.length) {
        controller.close()
        return
      }
      state.pulled++
      controller.enqueue(new TextEncoder().encode(chunks[next++]))
    },
  })
  return { stream, state }
}

describe('deep JSON is refused before parsing, on every surface', () => {
  test('console sign-in: JSON is not a type it takes, so the 60 KB depth-30,000 body is never read', async () => {
    const asBrowser = await app.request('/orgs/acme/admin/login', {
      method: 'POST',
      body: DEEP_60KB,
      headers: { 'content-type': 'application/json', accept: 'text/html' },
    })
    expect(asBrowser.status).toBe(415)
    expect(asBrowser.headers.get('content-type')).toContain('text/html')
    expect(await asBrowser.text()).not.toContain('[[[')

    const asClient = await app.request('/orgs/acme/admin/login', {
      method: 'POST',
      body: DEEP_60KB,
      headers: { 'content-type': 'application/json' },
    })
    expect(asClient.status).toBe(415)
    expect((await apiError(asClient)).code).toBe('UNSUPPORTED_MEDIA_TYPE')
  })

  test('the same body as a form on every console form post: a 400, not a 500', async () => {
    for (const path of ['/admin/login', '/admin/logout', '/admin/integration', '/admin/groups/mappings']) {
      const response = await app.request(`/orgs/acme${path}`, {
        method: 'POST',
        body: DEEP_60KB,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      })
      expect(response.status, path).toBeGreaterThanOrEqual(400)
      expect(response.status, path).toBeLessThan(500)
    }
  })

  test('admin API: refused at the first level past the limit, before the JSON is even complete', async () => {
    const response = await api('PUT', '/role-mappings', DEEP_60KB)
    expect(response.status).toBe(400)
    const error = await apiError(response)
    expect(error).toEqual({
      code: 'BODY_TOO_COMPLEX',
      message: `the JSON body nests deeper than ${MAX_JSON_DEPTH} levels`,
    })
    // Not JSON at all after the limit: had anything parsed it, the answer would be MALFORMED_BODY.
    const broken = await api('POST', '/users', `${'['.repeat(MAX_JSON_DEPTH + 1)} this is not JSON`)
    expect((await apiError(broken)).code).toBe('BODY_TOO_COMPLEX')
    // At the limit, the body reaches validation as usual.
    const atLimit = await api('PUT', '/role-mappings', deep(MAX_JSON_DEPTH))
    expect((await apiError(atLimit)).code).toBe('INVALID_INPUT')
  })

  test('a chunked hostile body stops being read at the chunk that crosses the limit', async () => {
    const chunks = [`{"mappings":${'['.repeat(40)}`, ...Array(200).fill('['.repeat(100))]
    const { stream, state } = countingStream(chunks)
    const response = await app.request('/api/v1/orgs/acme/role-mappings', {
      method: 'PUT',
      body: stream,
      headers: { ...apiAuth, 'content-type': 'application/json' },
      duplex: 'half',
    } as RequestInit)
    expect(response.status).toBe(400)
    expect((await apiError(response)).code).toBe('BODY_TOO_COMPLEX')
    expect(state.pulled).toBeLessThan(10)
  })

  test('SCIM: a SCIM error with invalidSyntax, for every write', async () => {
    const body = DEEP_60KB
    expectScimError(await scim.post('/Users', body), 400, 'invalidSyntax')
    expectScimError(await scim.post('/Groups', body), 400, 'invalidSyntax')
    const user = (await scim.post('/Users', { userName: 'deep@acme.example', name: {} })).body.id as string
    const patch = await scim.patch(`/Users/${user}`, body)
    expectScimError(patch, 400, 'invalidSyntax')
    expect(patch.body.detail).toBe(`the JSON body nests deeper than ${MAX_JSON_DEPTH} levels`)
    const broken = await scim.post('/Users', `{"a":${'['.repeat(MAX_JSON_DEPTH)} not JSON`)
    expect(broken.body.detail).toContain('nests deeper')
  })

  test('the ACS: a form of more fields than a sign-in has is a page, before the SAML step reads it', async () => {
    const audited = (await samlAudit(app, scim.orgId)).length
    const form = Array.from({ length: 5_000 }, (_, i) => `f${i}=${i}`).join('&')
    const response = await app.request('/orgs/acme/okta/auth', {
      method: 'POST',
      body: form,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(response.status).toBe(400)
    expect(response.headers.get('content-type')).toContain('text/html')
    // The SAML step records every form it rejects; this one never reached it.
    expect((await samlAudit(app, scim.orgId)).length).toBe(audited)
  })
})

describe('wide bodies', () => {
  test('admin API: a 1 MB flat array or a 40,000-member object is refused by count, while streaming', async () => {
    const flat = await api('PUT', '/role-mappings', FLAT_1MB)
    expect(await apiError(flat)).toEqual({
      code: 'BODY_TOO_COMPLEX',
      message: `the JSON body has more than ${MAX_API_JSON_VALUES} values`,
    })
    const wide = `{${Array.from({ length: 40_000 }, (_, i) => `"k${i}":${i}`).join(',')}}`
    expect((await apiError(await api('PUT', '/okta', wide))).code).toBe('BODY_TOO_COMPLEX')
  })

  test('the largest legitimate admin body, 1,000 role mappings, is within the count', async () => {
    const mappings = Array.from({ length: 1000 }, (_, i) => ({ group: `Group number ${i}`, role: 'member' }))
    const response = await api('PUT', '/role-mappings', JSON.stringify({ mappings }))
    expect(response.status).toBe(200)
  })

  test('console: a form with more fields than any page sends is refused before it becomes an object', async () => {
    const form = Array.from({ length: MAX_PAGE_FORM_FIELDS + 1 }, (_, i) => `k${i}=${i}`).join('&')
    const response = await app.request('/orgs/acme/admin/login', {
      method: 'POST',
      body: form,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    })
    expect(response.status).toBe(400)
    expect(response.headers.get('content-type')).toContain('text/html')
    const asClient = await app.request('/orgs/acme/admin/login', {
      method: 'POST',
      body: form,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect((await apiError(asClient)).code).toBe('BODY_TOO_COMPLEX')
  })

  test('SCIM: one object of 60,000 keys is refused while streaming; long member lists are not', async () => {
    const wide = `{${Array.from({ length: 60_000 }, (_, i) => `"k${i}":${i}`).join(',')}}`
    const response = await scim.post('/Users', wide)
    expectScimError(response, 400, 'invalidSyntax')
    expect(response.body.detail).toBe(
      `an object in the JSON body has more than ${MAX_JSON_OBJECT_MEMBERS} members`,
    )
  })

  test('SCIM bodies are not capped by count: a group of 5,000 members is accepted', async () => {
    const members = Array.from({ length: 5_000 }, (_, i) => ({ value: `u${i}`, display: `User ${i}` }))
    const response = await scim.post('/Groups', { displayName: 'Everyone', members })
    expect(response.status).toBe(201)
  })
})

describe('content types: only what each surface documents', () => {
  test('admin API takes application/json only', async () => {
    for (const type of [
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'text/plain',
      '',
    ]) {
      const response = await api('POST', '/users', 'email=a@b.c&name=A', type)
      expect(response.status, type).toBe(415)
      const error = await apiError(response)
      expect(error.code).toBe('UNSUPPORTED_MEDIA_TYPE')
      expect(error.message).toContain('application/json')
    }
    const ok = await api('POST', '/users', JSON.stringify({ email: 'typed@acme.example', name: 'Typed' }))
    expect(ok.status).toBe(201)
  })

  test('SCIM takes application/scim+json and application/json, nothing else', async () => {
    for (const type of ['application/merge-patch+json', 'text/plain', 'application/x-www-form-urlencoded']) {
      expectScimError(
        await scim.send('POST', '/Users', '{"userName":"t@acme.example"}', { 'content-type': type }),
        415,
      )
    }
    const asJson = await scim.send(
      'POST',
      '/Users',
      { userName: 'json@acme.example' },
      { 'content-type': 'application/json' },
    )
    expect(asJson.status).toBe(201)
  })

  test('a request without a body is not judged by its content type', async () => {
    const rotate = await app.request('/api/v1/orgs/acme/okta/scim-token', {
      method: 'POST',
      headers: { ...apiAuth, 'content-type': 'text/plain' },
    })
    expect(rotate.status).toBe(200)
  })
})

describe('validation messages', () => {
  test('never quote the value sent, and cut a client-chosen field name', async () => {
    const huge = 'x'.repeat(50_000)
    const wrongType = await apiError(
      await api('POST', '/users', JSON.stringify({ email: [huge], name: 'A' })),
    )
    expect(wrongType).toMatchObject({ code: 'INVALID_INPUT', field: 'email' })
    expect(wrongType.message).not.toContain('xxxx')
    expect(wrongType.message.length).toBeLessThan(200)

    const longKey = await apiError(
      await api('PUT', '/role-mappings', JSON.stringify({ mappings: [], [huge]: 1 })),
    )
    expect(longKey.code).toBe('INVALID_INPUT')
    expect(longKey.message.length).toBeLessThan(300)
  })

  test('a body its model refuses is answered in the usual words, naming the field', async () => {
    const mappings = Array.from({ length: 1_700 }, () => ({ group: 'g', role: 'member' }))
    const error = await apiError(await api('PUT', '/role-mappings', JSON.stringify({ mappings })))
    expect(error).toMatchObject({ code: 'INVALID_INPUT', field: 'mappings' })
    expect(error.message).toContain('1000')
  })

  test('the credential is still checked before the body: 401 without one, 404 for another org', async () => {
    const noCredential = await app.request('/api/v1/orgs/acme/role-mappings', {
      method: 'PUT',
      body: '{"mappings": "not a list"}',
      headers: { 'content-type': 'application/json' },
    })
    expect(noCredential.status).toBe(401)
  })

  test('Elysia is handed a stand-in, never the refused value, and the first issue is kept for the mapper', () => {
    const validation = createBodyValidation()
    const Model = T.Object({ mappings: T.Array(T.String(), { maxItems: 2 }) })
    validation.learn([{ method: 'PUT', path: '/x', hooks: { body: Model } }])
    const request = new Request('http://localhost/x', { method: 'PUT' })
    const refused = { mappings: Array(10_000).fill('x') }
    const context = { request, route: '/x', body: refused as unknown }
    validation.check(context)
    expect(typeof context.body).toBe('symbol')
    expect(bodyIssueOf(request)).toMatchObject({ path: '/mappings' })

    const fine = {
      request: new Request('http://localhost/x', { method: 'PUT' }),
      route: '/x',
      body: { mappings: ['a'] } as unknown,
    }
    validation.check(fine)
    expect(fine.body).toEqual({ mappings: ['a'] })
    expect(bodyIssueOf(fine.request)).toBeUndefined()
  })
})
