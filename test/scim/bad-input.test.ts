/**
 * Bad input of every kind gets a clear SCIM 4xx — RFC 7644 error body, `application/scim+json`,
 * the right `scimType` — and never a 500 or a half-written row.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { createTestApp } from '../support/app.ts'
import { changes, expectScimError, type Json, oktaUser, type ScimClient, scimOrg } from './support.ts'

describe('bad input', () => {
  let scim: ScimClient
  let userId = ''
  let groupId = ''

  beforeAll(async () => {
    scim = await scimOrg('bad', createTestApp({ maxBodyBytes: 64 * 1024 }))
    userId = (await scim.post('/Users', oktaUser('valid@bad.example'))).body.id as string
    groupId = (await scim.post('/Groups', { displayName: 'Valid' })).body.id as string
  })

  test('malformed JSON is 400 invalidSyntax', async () => {
    expectScimError(await scim.post('/Users', '{"userName": "x@y.z",'), 400, 'invalidSyntax')
    expectScimError(await scim.patch(`/Users/${userId}`, '{"Operations": [}'), 400, 'invalidSyntax')
    expectScimError(await scim.post('/Users', ''), 400, 'invalidSyntax')
  })

  test('wrong types and missing attributes are 400 invalidValue naming the attribute', async () => {
    const cases: Array<[unknown, string]> = [
      [{ userName: 42 }, 'userName'],
      [{ name: { givenName: 'x' } }, 'userName'],
      [{ userName: '' }, 'userName'],
      [{ userName: 'a@b.c', emails: 'a@b.c' }, 'emails'],
      [{ userName: 'a@b.c', emails: [{ value: 7 }] }, 'emails[0].value'],
      [{ userName: 'a@b.c', active: 'maybe' }, 'active'],
      [{ userName: 'a@b.c', name: 'Ann' }, 'name'],
      [[{ userName: 'a@b.c' }], 'object'],
    ]
    for (const [body, attribute] of cases) {
      const r = await scim.post('/Users', body)
      expectScimError(r, 400, 'invalidValue')
      expect(r.body.detail as string).toContain(attribute)
    }
    expectScimError(await scim.post('/Groups', { displayName: 5 }), 400, 'invalidValue')
    expectScimError(
      await scim.post('/Groups', { displayName: 'G', members: [{ display: 'no value' }] }),
      400,
      'invalidValue',
    )
  })

  test('bad PATCH requests', async () => {
    const patch = (body: unknown) => scim.patch(`/Users/${userId}`, body)
    expectScimError(await patch({ Operations: [] }), 400, 'invalidValue')
    expectScimError(
      await patch({ Operations: [{ op: 'move', path: 'title', value: 'x' }] }),
      400,
      'invalidSyntax',
    )
    expectScimError(await patch({ Operations: [{ op: 'remove' }] }), 400, 'noTarget')
    expectScimError(
      await patch({ Operations: [{ op: 'replace', value: 'not an object' }] }),
      400,
      'invalidValue',
    )
    expectScimError(
      await patch({ Operations: [{ op: 'replace', path: 'emails[type eq', value: 'x' }] }),
      400,
      'invalidPath',
    )
    expectScimError(
      await patch({ Operations: [{ op: 'replace', path: 'name..x', value: 'x' }] }),
      400,
      'invalidPath',
    )
    expectScimError(await patch({ Operations: [{ op: 'remove', path: 'userName' }] }), 400, 'invalidValue')
    expectScimError(
      await patch({ Operations: [{ op: 'replace', path: 'emails', value: 'x@y.z' }] }),
      400,
      'invalidValue',
    )
    const group = (body: unknown) => scim.patch(`/Groups/${groupId}`, body)
    expectScimError(
      await group({ Operations: [{ op: 'add', path: 'members', value: [{ display: 'x' }] }] }),
      400,
      'invalidValue',
    )
    expectScimError(
      await group({ Operations: [{ op: 'replace', path: 'displayName', value: '' }] }),
      400,
      'invalidValue',
    )
  })

  test('a failed write changes nothing: no row, no feed entry, no version bump', async () => {
    const before = (await changes(scim)).length
    const version = (await scim.get(`/Users/${userId}`)).body.meta as Json
    // The first operation is fine, the second is not: the whole PATCH is refused.
    const r = await scim.patch(`/Users/${userId}`, {
      Operations: [
        { op: 'replace', path: 'title', value: 'Changed' },
        { op: 'replace', path: 'emails[value', value: 'x' },
      ],
    })
    expectScimError(r, 400, 'invalidPath')
    const after = await scim.get(`/Users/${userId}`)
    expect(after.body.title).toBeUndefined()
    expect((after.body.meta as Json).version).toBe(version.version as string)
    expect(await changes(scim)).toHaveLength(before)
  })

  test('bad filters and paging values', async () => {
    for (const filter of [
      'userName eq',
      'foo eq "x"',
      'userName eq "x" and',
      'userName co 12',
      'emails[type eq "work"',
    ]) {
      expectScimError(await scim.get(`/Users?filter=${encodeURIComponent(filter)}`), 400, 'invalidFilter')
    }
    expectScimError(
      await scim.get(`/Groups?filter=${encodeURIComponent('members co "x"')}`),
      400,
      'invalidFilter',
    )
    const long = `userName eq "${'x'.repeat(2100)}"`
    const r = await scim.get(`/Users?filter=${encodeURIComponent(long)}`)
    expectScimError(r, 400, 'invalidFilter')
    expect(r.body.detail as string).toContain('2048')
    expectScimError(await scim.get('/Users?count=ten'), 400, 'invalidValue')
    expectScimError(await scim.get('/Users?startIndex=1.5'), 400, 'invalidValue')
  })

  test('count is clamped to 1000 and negative values are tolerated (RFC 7644 §3.4.2.4)', async () => {
    const r = await scim.get('/Users?count=50000&startIndex=-3')
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ startIndex: 1, itemsPerPage: 1 })
    const zero = await scim.get('/Users?count=-1')
    expect(zero.body).toMatchObject({ totalResults: 1, itemsPerPage: 0, Resources: [] })
  })

  test('huge bodies: by Content-Length, and by actual size when streamed without one', async () => {
    const big = JSON.stringify({ ...oktaUser('big@bad.example'), title: 'x'.repeat(70 * 1024) })
    expectScimError(await scim.post('/Users', big), 413)
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big))
        controller.close()
      },
    })
    const response = await scim.app.request(`${scim.base}/Users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${scim.token}`, 'content-type': 'application/scim+json' },
      body: stream,
      duplex: 'half',
    } as RequestInit)
    expect(response.status).toBe(413)
    expect(((await response.json()) as Json).schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error'])
    expect((await scim.get('/Users?filter=userName eq "big@bad.example"')).body.totalResults).toBe(0)
  })

  test('too many members in one request is a 400 saying the limit', async () => {
    const value = Array.from({ length: 10_001 }, (_, i) => ({ value: `u${i}` }))
    const app = createTestApp()
    const client = await scimOrg('members-limit', app)
    const group = (await client.post('/Groups', { displayName: 'Big' })).body.id as string
    const r = await client.patch(`/Groups/${group}`, { Operations: [{ op: 'add', path: 'members', value }] })
    expectScimError(r, 400, 'invalidValue')
    expect(r.body.detail as string).toContain('10000')
  })

  test('unsupported content type, unknown endpoints and methods answer in SCIM format', async () => {
    expectScimError(
      await scim.send('POST', '/Users', 'userName=x', {
        'content-type': 'application/x-www-form-urlencoded',
      }),
      415,
    )
    expectScimError(await scim.get('/Nope'), 404)
    expectScimError(await scim.send('PUT', '/Users', oktaUser('a@b.c')), 404)
    expectScimError(await scim.get(`/Users/${userId}/extra`), 404)
    expectScimError(await scim.get('/Schemas/urn:unknown'), 404)
  })

  test('If-Match with a stale version is a 412 and changes nothing', async () => {
    const current = await scim.get(`/Users/${userId}`)
    const stale = await scim.send(
      'PATCH',
      `/Users/${userId}`,
      { Operations: [{ op: 'replace', path: 'title', value: 'x' }] },
      { 'if-match': 'W/"999"' },
    )
    expectScimError(stale, 412)
    const fresh = await scim.send(
      'PATCH',
      `/Users/${userId}`,
      { Operations: [{ op: 'replace', path: 'nickName', value: 'Val' }] },
      { 'if-match': current.headers.get('etag') as string },
    )
    expect(fresh.status).toBe(200)
    expect(fresh.body.nickName).toBe('Val')
  })
})
