/**
 * SCIM filters compiled per engine give the same resources on both: every filter form the SCIM
 * tests use (test/scim/filter.test.ts and the IdP conformance tests), run through the real list
 * operations (`scim/users.ts`, `scim/groups.ts`) over users and groups written by the real SCIM
 * operations. Rejected filters are rejected before any SQL runs, the same way on both engines.
 * Edge cases of stored data and text comparison are in filter-edges.test.ts.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { listParams, resourceProjection } from '../../../src/scim/context.ts'
import { ScimError } from '../../../src/scim/errors.ts'
import { parseFilter } from '../../../src/scim/filter.ts'
import { createGroup, listGroups } from '../../../src/scim/groups.ts'
import { createUser, listUsers, patchUser } from '../../../src/scim/users.ts'
import type { Store } from '../../../src/store/index.ts'
import { type Json, oktaUser } from '../../scim/support.ts'
import { addOrg, scimContext } from './directory-support.ts'
import { eachEngine } from './engines.ts'

const ORG = 'filters'

/** The filters the parser accepts but the directory cannot answer: 400 invalidFilter. */
const REFUSED = {
  users: [
    'nickName eq "x"',
    'foo eq "x"',
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "x"',
    'active eq "yes"',
    'meta.created gt "yesterday"',
    'meta.created co "2024"',
    'userName eq 12',
    'userName co 12',
    'userName gt null',
    'constructor eq "x"',
    'name.constructor pr',
    'emails.constructor eq "x"',
    'emails[constructor eq "x"]',
    'emails[type eq "work"].toString eq "x"',
    'meta.constructor pr',
    'not (nickNameless pr)',
    'members eq "x"',
  ],
  groups: [
    'members co "x"',
    'members[constructor eq "x"]',
    'userName eq "x"',
    'toString pr',
    'displayName eq true',
  ],
}

eachEngine((engine) => {
  let store: Store
  const users: Record<string, string> = {}
  const groups: Record<string, string> = {}

  async function list(kind: 'users' | 'groups', filter: string, query: Record<string, string> = {}) {
    const ctx = scimContext(store, ORG)
    const params = listParams(new URLSearchParams({ filter, ...query }), ctx.limits)
    const result = kind === 'users' ? await listUsers(ctx, params) : await listGroups(ctx, params)
    return result.body as { totalResults: number; Resources: Json[] }
  }
  const names = async (filter: string) =>
    (await list('users', filter)).Resources.map((user) => (user.name as Json).givenName)
  const groupNames = async (filter: string) =>
    (await list('groups', filter)).Resources.map((group) => group.displayName)

  beforeAll(async () => {
    store = await engine.open()
    await addOrg(store, ORG)
    const people: Array<[string, string, string, boolean]> = [
      ['alice@example.com', 'Alice', 'Adams', true],
      ['bob@example.org', 'Bob', 'Baker', false],
      ['carol@example.com', 'Carol', 'Clark', true],
      ['dave@other.net', 'Dave', 'Dawson', true],
    ]
    let now = 1_714_000_000_000
    for (const [email, given, family, active] of people) {
      const created = await createUser(scimContext(store, ORG, now++), {
        ...oktaUser(email, given, family),
        active,
      })
      users[given] = (created.body as Json).id as string
    }
    // A second, non-primary email for Dave.
    await patchUser(
      scimContext(store, ORG, now++),
      users.Dave as string,
      { Operations: [{ op: 'add', path: 'emails', value: [{ type: 'home', value: 'dave@home.example' }] }] },
      null,
      resourceProjection(new URLSearchParams()),
    )
    const teams: Array<[string, string[], string | undefined]> = [
      ['Engineering', ['Alice', 'Carol'], 'ext-eng'],
      ['Sales EMEA', ['Bob'], undefined],
      ['ops_team', [], 'ext-ops'],
    ]
    for (const [displayName, members, externalId] of teams) {
      const body: Json = { displayName, members: members.map((name) => ({ value: users[name] })) }
      if (externalId) body.externalId = externalId
      const created = await createGroup(scimContext(store, ORG, now++), body)
      groups[displayName] = (created.body as Json).id as string
    }
  }, 30_000)
  afterAll(async () => {
    await store.close()
  })

  test('every comparison operator', async () => {
    expect(await names('userName eq "ALICE@example.com"')).toEqual(['Alice'])
    expect(await names('userName ne "alice@example.com"')).toEqual(['Bob', 'Carol', 'Dave'])
    expect(await names('userName co "EXAMPLE"')).toEqual(['Alice', 'Bob', 'Carol'])
    expect(await names('userName sw "c"')).toEqual(['Carol'])
    expect(await names('userName ew ".org"')).toEqual(['Bob'])
    expect(await names('userName gt "bob@example.org"')).toEqual(['Carol', 'Dave'])
    expect(await names('userName ge "bob@example.org"')).toEqual(['Bob', 'Carol', 'Dave'])
    expect(await names('userName lt "bob"')).toEqual(['Alice'])
    expect(await names('userName le "bob@example.org"')).toEqual(['Alice', 'Bob'])
    expect(await names('externalId pr')).toEqual(['Alice', 'Bob', 'Carol', 'Dave'])
    expect(await names('meta.created ge "2000-01-01T00:00:00Z"')).toHaveLength(4)
    expect(await names('meta.created gt "2024-04-24T23:06:40.001Z"')).toEqual(['Carol', 'Dave'])
    expect(await names('meta.lastModified lt "2000-01-01T00:00:00Z"')).toEqual([])
    expect(await names('userName sw ""')).toHaveLength(4)
    expect(await names('displayName co "ROL CL"')).toEqual(['Carol'])
    expect(await names('displayName ew "dawson"')).toEqual(['Dave'])
    expect(await names('displayName ne "Alice Adams"')).toEqual(['Bob', 'Carol', 'Dave'])
    expect(await names('name.givenName eq "bob" or name.familyName sw "ADA"')).toEqual(['Alice', 'Bob'])
  })

  test('logic, not and null semantics', async () => {
    expect(
      await names('active eq true and (name.familyName eq "adams" or name.familyName eq "DAWSON")'),
    ).toEqual(['Alice', 'Dave'])
    expect(await names('not (userName co "example")')).toEqual(['Dave'])
    expect(await names('not (displayName eq "Alice Adams") and active eq false')).toEqual(['Bob'])
    expect(await names('active ne true')).toEqual(['Bob'])
    expect(await names('externalId eq null')).toEqual([])
    expect(await names('externalId ne null')).toHaveLength(4)
    expect(await names('not (externalId eq null)')).toHaveLength(4)
    expect(await names('not (not (userName sw "a"))')).toEqual(['Alice'])
  })

  test('the email forms Okta and Entra ID use', async () => {
    for (const filter of [
      'email eq "carol@example.com"',
      'emails eq "CAROL@example.com"',
      'emails.value eq "carol@example.com"',
      'emails[type eq "work"].value eq "carol@example.com"',
      'emails[type eq "work" and value eq "CAROL@example.com"]',
      'urn:ietf:params:scim:schemas:core:2.0:User:userName eq "carol@example.com"',
    ]) {
      expect(await names(filter)).toEqual(['Carol'])
    }
    expect(await names('emails[type eq "home"].value eq "carol@example.com"')).toEqual([])
    // The indexed email is the primary one: a second email is found element by element only.
    expect(await names('emails.value eq "dave@home.example"')).toEqual([])
    expect(await names('emails[value eq "dave@home.example"]')).toEqual([])
  })

  test('value paths over all emails', async () => {
    expect(await names('emails[type eq "home" and value co "@home"]')).toEqual(['Dave'])
    expect(await names('emails.type eq "home"')).toEqual(['Dave'])
    expect(await names('emails[primary eq true and value ew ".org"]')).toEqual(['Bob'])
    // Dave's home email says nothing about primary: unknown, so neither eq nor ne matches it.
    expect(await names('emails[primary ne true]')).toEqual([])
    expect(await names('emails[not (primary eq true)]')).toEqual(['Dave'])
    expect(await names('emails[type eq "work"]')).toHaveLength(4)
    expect(await names('emails[not (type eq "work")]')).toEqual(['Dave'])
    expect(await names('not (emails[type eq "home"])')).toEqual(['Alice', 'Bob', 'Carol'])
    expect(await names('emails[display pr]')).toEqual([])
    expect(await names('emails.primary eq false')).toEqual([])
  })

  test('ids, resource types, and paging over a filtered list', async () => {
    expect(await names(`id eq "${users.Carol}"`)).toEqual(['Carol'])
    expect(await names('meta.resourceType eq "User"')).toHaveLength(4)
    expect(await names('meta.resourceType eq "Group"')).toEqual([])
    const page = await list('users', 'userName sw "b" or userName sw "c" or userName sw "d"', {
      startIndex: '2',
      count: '1',
    })
    expect(page.totalResults).toBe(3)
    expect(page.Resources.map((user) => (user.name as Json).givenName)).toEqual(['Carol'])
  })

  test('group filters: displayName, externalId, members', async () => {
    expect(await groupNames('displayName eq "engineering"')).toEqual(['Engineering'])
    expect(await groupNames('displayName co "ALES E"')).toEqual(['Sales EMEA'])
    expect(await groupNames('displayName sw "ops_"')).toEqual(['ops_team'])
    expect(await groupNames('externalId pr')).toEqual(['Engineering', 'ops_team'])
    expect(await groupNames('externalId eq "EXT-OPS"')).toEqual([])
    expect(await groupNames(`members eq "${users.Carol}"`)).toEqual(['Engineering'])
    expect(await groupNames(`members.value eq "${users.Bob}"`)).toEqual(['Sales EMEA'])
    expect(await groupNames(`members[value eq "${users.Alice}"]`)).toEqual(['Engineering'])
    expect(await groupNames('members[value pr]')).toEqual(['Engineering', 'Sales EMEA'])
    expect(await groupNames('not (members[value pr])')).toEqual(['ops_team'])
    expect(await groupNames(`id eq "${groups.ops_team}" or meta.resourceType eq "Nope"`)).toEqual([
      'ops_team',
    ])
    expect(await groupNames('meta.created gt "2000-01-01T00:00:00Z"')).toHaveLength(3)
  })

  test("the engine's plan of a filtered list can be read, and refuses a bad filter the same way", async () => {
    const plan = await store.directory.explainListUsers(
      parseFilter('emails[type eq "work"].value eq "a@b.c"'),
    )
    expect(plan.length).toBeGreaterThan(0)
    expect(plan.every((line) => typeof line === 'string' && line !== '')).toBe(true)
    expect((await store.directory.explainListUsers(null)).length).toBeGreaterThan(0)
    await expect(store.directory.explainListUsers(parseFilter('nickName eq "x"'))).rejects.toBeInstanceOf(
      ScimError,
    )
  })

  test('a filter the directory cannot answer is a 400 invalidFilter raised before any SQL', async () => {
    // A closed store fails any statement: the filter must be refused without one.
    const closed = await engine.open()
    await closed.close()
    const ctx = scimContext(closed, ORG)
    for (const [kind, filters] of Object.entries(REFUSED) as Array<['users' | 'groups', string[]]>) {
      for (const filter of filters) {
        const params = listParams(new URLSearchParams({ filter }), ctx.limits)
        const outcome = kind === 'users' ? listUsers(ctx, params) : listGroups(ctx, params)
        const error = await outcome.then(
          () => null,
          (reason: unknown) => reason,
        )
        expect(error, `${kind} ${filter}`).toBeInstanceOf(ScimError)
        expect((error as ScimError).scimType, `${kind} ${filter}`).toBe('invalidFilter')
      }
    }
    // A filter that is fine does reach the (closed) store.
    const fine = listUsers(ctx, listParams(new URLSearchParams({ filter: 'userName pr' }), ctx.limits))
    await expect(fine).rejects.not.toBeInstanceOf(ScimError)
  })
})
