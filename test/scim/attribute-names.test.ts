/**
 * Attribute names are case-insensitive (RFC 7643 §2.1): every body is rewritten to canonical names
 * before it is validated, so `USERNAME` or `EMAILS` are checked exactly like `userName` and
 * `emails`; a body spelling one attribute twice is refused; sizes are capped. Rows stored before
 * these checks (malformed JSON shapes) can no longer make a filter fail.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { ENTERPRISE_SCHEMA, RESOURCE_LIMITS } from '../../src/scim/model.ts'
import { changes, expectScimError, type Json, oktaUser, type ScimClient, scimOrg } from './support.ts'

describe('attribute names and sizes', () => {
  let scim: ScimClient
  let userId = ''
  let groupId = ''

  beforeAll(async () => {
    scim = await scimOrg('names')
    userId = (await scim.post('/Users', oktaUser('ann@names.example', 'Ann', 'Lee'))).body.id as string
    groupId = (await scim.post('/Groups', { displayName: 'Names' })).body.id as string
  })

  test('case variants are validated like the canonical name (POST and PUT)', async () => {
    const bodies: Array<[Json, string]> = [
      [{ USERNAME: { constructor: 1 } }, 'userName'],
      [{ USERNAME: 'x'.repeat(5000) }, 'userName'],
      [{ userName: 'e@names.example', EMAILS: 'x' }, 'emails'],
      [{ userName: 'e@names.example', Emails: [{ VALUE: 7 }] }, 'emails[0].value'],
      [{ userName: 'e@names.example', NAME: 'Ann' }, 'name'],
      [{ userName: 'e@names.example', name: { GIVENNAME: { x: 1 } } }, 'name.givenName'],
      [{ userName: 'e@names.example', ACTIVE: 'maybe' }, 'active'],
      [{ userName: 'e@names.example', [ENTERPRISE_SCHEMA.toUpperCase()]: { DEPARTMENT: 5 } }, 'department'],
    ]
    for (const [body, attribute] of bodies) {
      const post = await scim.post('/Users', body)
      expectScimError(post, 400, 'invalidValue')
      expect(post.body.detail as string).toContain(attribute)
      const put = await scim.put(`/Users/${userId}`, { userName: 'ann@names.example', ...body })
      expect(put.status).toBe(400)
    }
    expectScimError(await scim.post('/Groups', { DISPLAYNAME: 'x'.repeat(300) }), 400, 'invalidValue')
    expect((await scim.get('/Users')).body.totalResults).toBe(1)
  })

  test('a body that spells one attribute twice is 400 invalidSyntax', async () => {
    const r = await scim.post('/Users', { userName: 'a@names.example', USERNAME: 'b@names.example' })
    expectScimError(r, 400, 'invalidSyntax')
    expect(r.body.detail as string).toContain('USERNAME')
    expectScimError(
      await scim.post('/Users', { userName: 'a@names.example', name: { givenName: 'A', GivenName: 'B' } }),
      400,
      'invalidSyntax',
    )
    expectScimError(await scim.post('/Groups', { displayName: 'A', DisplayName: 'B' }), 400, 'invalidSyntax')
    expectScimError(
      await scim.patch(`/Users/${userId}`, {
        Operations: [{ op: 'replace', value: { title: 'A', TITLE: 'B' } }],
      }),
      400,
      'invalidSyntax',
    )
    expectScimError(
      await scim.patch(`/Users/${userId}`, {
        Operations: [{ op: 'replace', path: 'name', value: { givenName: 'A', GIVENNAME: 'B' } }],
      }),
      400,
      'invalidSyntax',
    )
  })

  test('case variants are stored under the canonical name, so filters find them', async () => {
    const r = await scim.post('/Users', {
      USERNAME: 'Case@Names.example',
      EMAILS: [{ VALUE: 'case@names.example', TYPE: 'work', PRIMARY: 'True' }],
      [ENTERPRISE_SCHEMA.toUpperCase()]: { Department: 'R&D' },
      badge: 'B-1',
    })
    expect(r.status).toBe(201)
    expect(r.body).toMatchObject({
      userName: 'Case@Names.example',
      emails: [{ value: 'case@names.example', type: 'work', primary: true }],
      [ENTERPRISE_SCHEMA]: { department: 'R&D' },
      badge: 'B-1',
    })
    const found = await scim.get(
      `/Users?filter=${encodeURIComponent('emails[type eq "work" and value eq "case@names.example"]')}`,
    )
    expect(found.body.totalResults).toBe(1)
  })

  test('PATCH values go through the same checks (with and without a path)', async () => {
    const cases: Array<Record<string, unknown>> = [
      { op: 'replace', value: { USERNAME: { constructor: 1 } } },
      { op: 'replace', value: { USERNAME: 'x'.repeat(5000) } },
      { op: 'add', value: { EMAILS: 'x' } },
      { op: 'replace', path: 'USERNAME', value: { constructor: 1 } },
      { op: 'add', path: 'EMAILS', value: [{ VALUE: { x: 1 } }] },
      { op: 'replace', path: 'title', value: 'x'.repeat(RESOURCE_LIMITS.stringLength + 1) },
    ]
    const before = (await changes(scim)).length
    for (const operation of cases) {
      expectScimError(await scim.patch(`/Users/${userId}`, { Operations: [operation] }), 400, 'invalidValue')
    }
    expectScimError(
      await scim.patch(`/Groups/${groupId}`, {
        Operations: [{ op: 'replace', value: { DISPLAYNAME: 'x'.repeat(300) } }],
      }),
      400,
      'invalidValue',
    )
    expect(await changes(scim)).toHaveLength(before)
    const user = await scim.get(`/Users/${userId}`)
    expect(user.body.userName).toBe('ann@names.example')
    const ok = await scim.patch(`/Users/${userId}`, {
      Operations: [{ op: 'replace', value: { TITLE: 'Engineer', 'NAME.GIVENNAME': 'Anna' } }],
    })
    expect(ok.status).toBe(200)
    expect(ok.body).toMatchObject({ title: 'Engineer', name: { givenName: 'Anna', familyName: 'Lee' } })
  })

  test(`multi-valued attributes hold at most ${RESOURCE_LIMITS.multiValued} elements, each an object`, async () => {
    const emails = (n: number) => Array.from({ length: n }, (_, i) => ({ value: `e${i}@names.example` }))
    const tooMany = await scim.post('/Users', { userName: 'many@names.example', emails: emails(101) })
    expectScimError(tooMany, 400, 'invalidValue')
    expect(tooMany.body.detail as string).toContain('emails')
    expect(
      (await scim.post('/Users', { userName: 'hundred@names.example', emails: emails(100) })).status,
    ).toBe(201)
    for (const attribute of ['phoneNumbers', 'addresses', 'roles']) {
      const r = await scim.post('/Users', { userName: 'list@names.example', [attribute]: ['not an object'] })
      expectScimError(r, 400, 'invalidValue')
    }
  })

  test('rows stored before the checks cannot make filters fail, and can still be patched', async () => {
    const store = scim.app.store
    const legacy = (await scim.post('/Users', oktaUser('legacy@names.example'))).body.id as string
    const row = await store.directory.userById(scim.orgId, legacy)
    if (!row) throw new Error('no row')
    // What the old code stored for {"userName": …, "EMAILS": "x"} and case-duplicated keys.
    await store.directory.updateUser({
      ...row,
      resource: JSON.stringify({
        userName: 'legacy@names.example',
        USERNAME: { constructor: 1 },
        emails: 'x',
        phoneNumbers: ['555'],
        active: true,
      }),
    })
    const other = (await scim.post('/Users', oktaUser('other@names.example'))).body.id as string
    const otherRow = await store.directory.userById(scim.orgId, other)
    if (!otherRow) throw new Error('no row')
    await store.directory.updateUser({
      ...otherRow,
      resource: JSON.stringify({ userName: 'other@names.example', emails: ['x', 5, null], active: true }),
    })
    for (const filter of [
      'emails[type eq "work"]',
      'emails[value co "legacy"]',
      'emails.type eq "work"',
      'emails[primary eq true]',
      'not (emails[type eq "home"])',
    ]) {
      const r = await scim.get(`/Users?filter=${encodeURIComponent(filter)}`)
      expect(r.status, filter).toBe(200)
    }
    const found = await scim.get(`/Users?filter=${encodeURIComponent('emails[type eq "work"]')}`)
    const ids = (found.body.Resources as Json[]).map((u) => u.id)
    expect(ids).not.toContain(legacy)
    expect(ids).toContain(userId)
    // A PATCH starts from the canonical spelling; the bad shape still has to be fixed to pass.
    const patched = await scim.patch(`/Users/${legacy}`, {
      Operations: [{ op: 'replace', path: 'emails', value: [{ value: 'legacy@names.example' }] }],
    })
    expect(patched.status).toBe(400)
    const fixed = await scim.patch(`/Users/${legacy}`, {
      Operations: [
        { op: 'replace', path: 'emails', value: [{ value: 'legacy@names.example' }] },
        { op: 'replace', path: 'phoneNumbers', value: [{ value: '555' }] },
      ],
    })
    expect(fixed.status).toBe(200)
    expect(fixed.body.userName).toBe('legacy@names.example')
  })
})
