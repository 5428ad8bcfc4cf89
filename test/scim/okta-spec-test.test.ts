/**
 * Okta's published "Okta SCIM 2.0 SPEC Test" (okta/okta-developer-docs, SCIMFiles/
 * Okta-SCIM-20-SPEC-Test.json) replayed step by step against the real server, with the same
 * assertions as the Runscope steps. The suite assumes the app already holds a user (step 1 reads
 * `Resources[0]`), so one is provisioned first, as Okta would have.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { type Json, oktaUser, type ScimClient, scimOrg } from './support.ts'

const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse'
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error'

const notEmpty = (value: unknown) => {
  expect(value).toBeDefined()
  expect(value).not.toBeNull()
  expect(value).not.toBe('')
}

const random = Math.random().toString(36).slice(2, 10)
const randomGivenName = `Given${random}`
const randomFamilyName = `Family${random}`
const randomUsername = `okta.spec.${random}@example.com`
const randomEmail = `okta.spec.email.${random}@example.com`
const randomUsernameCaps = randomUsername.toUpperCase()
const invalidUserEmail = `invalid.${random}@example.com`
const userIdThatDoesNotExist = `010101${random}`

describe('Okta SCIM 2.0 SPEC Test', () => {
  let scim: ScimClient
  const vars: Record<string, string> = {}

  beforeAll(async () => {
    scim = await scimOrg('spec')
    expect(
      (await scim.post('/Users', oktaUser('existing.user@example.com', 'Existing', 'User'))).status,
    ).toBe(201)
  })

  test('Required Test: Test Users endpoint', async () => {
    const r = await scim.get('/Users?count=1&startIndex=1')
    expect(r.status).toBe(200)
    const resources = r.body.Resources as Json[]
    expect(resources.length).toBeGreaterThan(0)
    expect(r.body.schemas).toContain(LIST)
    expect(typeof r.body.itemsPerPage).toBe('number')
    expect(typeof r.body.startIndex).toBe('number')
    expect(typeof r.body.totalResults).toBe('number')
    const first = resources[0] as Json
    notEmpty(first.id)
    notEmpty((first.name as Json).familyName)
    notEmpty((first.name as Json).givenName)
    notEmpty(first.userName)
    notEmpty(first.active)
    notEmpty((first.emails as Json[])[0]?.value)
    vars.ISVUserid = first.id as string
  })

  test('Required Test: Get Users/{{id}}', async () => {
    const r = await scim.get(`/Users/${vars.ISVUserid}`)
    expect(r.status).toBe(200)
    notEmpty(r.body.id)
    notEmpty((r.body.name as Json).familyName)
    notEmpty((r.body.name as Json).givenName)
    notEmpty(r.body.userName)
    notEmpty(r.body.active)
    notEmpty((r.body.emails as Json[])[0]?.value)
    expect(r.body.id).toBe(vars.ISVUserid as string)
  })

  test('Required Test: Test invalid User by username', async () => {
    const r = await scim.get(`/Users?filter=userName eq "${invalidUserEmail}"`)
    expect(r.status).toBe(200)
    expect(r.body.schemas).toContain(LIST)
    expect(r.body.totalResults).toBe(0)
  })

  test('Required Test: Test invalid User by ID', async () => {
    const r = await scim.get(`/Users/${userIdThatDoesNotExist}`)
    expect(r.status).toBe(404)
    notEmpty(r.body.detail)
    expect(r.body.schemas).toContain(ERROR)
  })

  test("Required Test: Make sure random user doesn't exist", async () => {
    const r = await scim.get(`/Users?filter=userName eq "${randomEmail}"`)
    expect(r.status).toBe(200)
    expect(r.body.totalResults).toBe(0)
    expect(r.body.schemas).toContain(LIST)
  })

  test('Required Test: Create Okta user with realistic values', async () => {
    // This step of Okta's suite sends Content-Type: application/json.
    const r = await scim.send(
      'POST',
      '/Users',
      {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: randomUsername,
        name: { givenName: randomGivenName, familyName: randomFamilyName },
        emails: [{ primary: true, value: randomEmail, type: 'work' }],
        displayName: `${randomGivenName} ${randomFamilyName}`,
        active: true,
      },
      { 'content-type': 'application/json', accept: 'application/scim+json; charset=utf-8' },
    )
    expect(r.status).toBe(201)
    expect(r.body.active).toBe(true)
    notEmpty(r.body.id)
    expect((r.body.name as Json).familyName).toBe(randomFamilyName)
    expect((r.body.name as Json).givenName).toBe(randomGivenName)
    expect(r.body.schemas).toContain('urn:ietf:params:scim:schemas:core:2.0:User')
    expect(r.body.userName).toBe(randomUsername)
    vars.idUserOne = r.body.id as string
    vars.randomUserEmail = (r.body.emails as Json[])[0]?.value as string
    expect(vars.randomUserEmail).toBe(randomEmail)
  })

  test('Required Test: Verify that user was created', async () => {
    const r = await scim.get(`/Users/${vars.idUserOne}`)
    expect(r.status).toBe(200)
    expect(r.body.userName).toBe(randomUsername)
    expect((r.body.name as Json).familyName).toBe(randomFamilyName)
    expect((r.body.name as Json).givenName).toBe(randomGivenName)
  })

  test('Required Test: Expect failure when recreating user with same values', async () => {
    const r = await scim.send(
      'POST',
      '/Users',
      {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: randomUsername,
        name: { givenName: randomGivenName, familyName: randomFamilyName },
        emails: [{ primary: true, value: randomUsername, type: 'work' }],
        displayName: `${randomGivenName} ${randomFamilyName}`,
        active: true,
      },
      { 'content-type': 'application/json' },
    )
    expect(r.status).toBe(409)
    expect(r.body.scimType).toBe('uniqueness')
  })

  test('Required Test: Username Case Sensitivity Check', async () => {
    const r = await scim.get(`/Users?filter=userName eq "${randomUsernameCaps}"`)
    expect(r.status).toBe(200)
    // Beyond Okta's assertion: the match is case-insensitive and the original case is returned.
    expect(r.body.totalResults).toBe(1)
    expect((r.body.Resources as Json[])[0]?.userName).toBe(randomUsername)
  })

  test('Optional Test: Verify Groups endpoint', async () => {
    const r = await scim.get('/Groups')
    expect(r.status).toBe(200)
    // The step's script: no groups is fine, otherwise Resources must be an array.
    if ((r.body.totalResults as number) >= 1) expect(Array.isArray(r.body.Resources)).toBe(true)
    else expect(r.body.totalResults).toBe(0)
  })

  test('Required Test: Check status 401', async () => {
    const r = await scim.get(`/Users?filter=userName eq "${randomUsernameCaps}"`, {
      authorization: 'non-token',
    })
    expect(r.status).toBe(401)
    notEmpty(r.body.detail)
    expect(r.body.status).toBe('401')
    expect(r.body.schemas).toContain(ERROR)
  })

  test('Required Test: Check status 404', async () => {
    const r = await scim.get('/Users/00919288221112222')
    expect(r.status).toBe(404)
    notEmpty(r.body.detail)
    expect(r.body.status).toBe('404')
    expect(r.body.schemas).toContain(ERROR)
  })
})
