/**
 * Names that exist on every JavaScript object's prototype (`constructor`, `toString`, `valueOf`,
 * `hasOwnProperty`, `__proto__`, …) are ordinary unknown attribute names to SCIM: in filters, value
 * paths, PATCH paths, projections and bodies, on Users and on Groups, they get a 400 or are
 * treated as absent — never a 500, never Object.prototype's function.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { matchesElement, parseFilter } from '../../src/scim/filter.ts'
import { type Json, oktaUser, type ScimClient, type ScimReply, scimOrg } from './support.ts'

const PROTOTYPE_NAMES = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf']

function expectNo500(reply: ScimReply, what: string): void {
  if (reply.status >= 500) throw new Error(`${what} answered ${reply.status}: ${reply.text}`)
}

describe('prototype property names', () => {
  let scim: ScimClient
  let userId = ''
  let groupId = ''

  beforeAll(async () => {
    scim = await scimOrg('proto')
    userId = (await scim.post('/Users', oktaUser('ann@proto.example', 'Ann', 'Lee'))).body.id as string
    const bob = (await scim.post('/Users', oktaUser('bob@proto.example', 'Bob', 'Kim'))).body.id as string
    groupId = (
      await scim.post('/Groups', {
        displayName: 'Team',
        members: [{ value: userId }, { value: bob }],
      })
    ).body.id as string
  })

  test('filters naming them are a 400 invalidFilter on Users and Groups, also inside value paths', async () => {
    const filters = [
      ...PROTOTYPE_NAMES.map((name) => `${name} pr`),
      'constructor eq "x"',
      '__proto__ pr',
      'name.constructor pr',
      'emails.constructor eq "x"',
      'emails[constructor eq "x"]',
      'emails[type eq "work"].toString eq "x"',
      'meta.constructor pr',
    ]
    for (const resource of ['/Users', '/Groups']) {
      for (const filter of filters) {
        const r = await scim.get(`${resource}?filter=${encodeURIComponent(filter)}`)
        expectNo500(r, `${resource} ${filter}`)
        expect(r.status, `${resource} ${filter}`).toBe(400)
        expect(r.body.scimType, `${resource} ${filter}`).toBe('invalidFilter')
      }
    }
    const members = await scim.get(`/Groups?filter=${encodeURIComponent('members[constructor eq "x"]')}`)
    expect(members.status).toBe(400)
  })

  test('an element has no inherited attributes: "constructor pr" matches nothing', () => {
    expect(matchesElement(parseFilter('constructor pr'), { value: 'x' })).toBe(false)
    expect(matchesElement(parseFilter('toString eq "x"'), { value: 'x' })).toBe(false)
    expect(matchesElement(parseFilter('valueOf ne "x"'), { value: 'x' })).toBe(true)
  })

  test('a member filter on them removes no one (it used to match every member)', async () => {
    for (const name of PROTOTYPE_NAMES) {
      const r = await scim.patch(`/Groups/${groupId}`, {
        Operations: [{ op: 'remove', path: `members[${name} pr]` }],
      })
      expectNo500(r, name)
      expect(r.status).toBe(204)
    }
    expect((await scim.get(`/Groups/${groupId}`)).body.members as Json[]).toHaveLength(2)
  })

  test('PATCH paths and path-less values naming them never reach the prototype', async () => {
    for (const name of PROTOTYPE_NAMES) {
      const remove = await scim.patch(`/Users/${userId}`, { Operations: [{ op: 'remove', path: name }] })
      expectNo500(remove, `remove ${name}`)
      const sub = await scim.patch(`/Users/${userId}`, {
        Operations: [{ op: 'replace', path: `emails[type eq "work"].${name}`, value: 'x' }],
      })
      expectNo500(sub, `replace emails[…].${name}`)
    }
    const proto = await scim.patch(`/Users/${userId}`, {
      Operations: [{ op: 'add', value: JSON.parse('{"__proto__": {"active": false}}') }],
    })
    expect(proto.status).toBe(400)
    const viaPath = await scim.patch(`/Users/${userId}`, {
      Operations: [{ op: 'add', path: 'name', value: JSON.parse('{"__proto__": {"givenName": "x"}}') }],
    })
    expect(viaPath.status).toBe(400)
    expect(viaPath.body.scimType).toBe('invalidValue')
    const user = await scim.get(`/Users/${userId}`)
    expect(user.body.active).toBe(true)
    expect((user.body.name as Json).givenName).toBe('Ann')
  })

  test('"__proto__" in a POST or PUT body is a 400, and cannot turn a user inactive', async () => {
    const body = `{"userName":"proto@proto.example","__proto__":{"active":false}}`
    const post = await scim.post('/Users', body)
    expect(post.status).toBe(400)
    expect(post.body.scimType).toBe('invalidValue')
    const put = await scim.put(`/Users/${userId}`, `{"userName":"ann@proto.example","__proto__":{"x":1}}`)
    expect(put.status).toBe(400)
    const group = await scim.post('/Groups', `{"displayName":"P","__proto__":{"members":[]}}`)
    expect(group.status).toBe(400)
  })

  test('attributes, excludedAttributes and sortBy: well-formed names select nothing, malformed ones are 400', async () => {
    for (const resource of ['/Users', '/Groups', `/Users/${userId}`, `/Groups/${groupId}`]) {
      for (const name of PROTOTYPE_NAMES) {
        const only = await scim.get(`${resource}?attributes=${name}`)
        expect(only.status, `${resource} attributes=${name}`).toBe(200)
        expect(only.text).not.toContain('function')
        const excluded = await scim.get(`${resource}?excludedAttributes=${name}`)
        expect(excluded.status).toBe(200)
        expect((await scim.get(`${resource}?sortBy=${name}`)).status).toBe(200)
      }
      const bad = await scim.get(`${resource}?excludedAttributes=__proto__`)
      expect(bad.status).toBe(400)
      expect(bad.body.scimType).toBe('invalidValue')
    }
  })
})
