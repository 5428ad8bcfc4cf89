/**
 * The PATCH engine on its own: each operation form applied to a plain resource, and group member
 * operations turned into deltas.
 */
import { describe, expect, test } from 'bun:test'
import { ScimError } from '../../src/scim/errors.ts'
import { ENTERPRISE_SCHEMA } from '../../src/scim/model.ts'
import { JsonPatcher, memberChange, parseOperations, parsePatchPath } from '../../src/scim/patch.ts'
import { type Json, USER_NAMES } from '../../src/scim/resources.ts'

function patch(resource: Json, Operations: Array<Record<string, unknown>>): Json {
  const extensions = [ENTERPRISE_SCHEMA]
  const patcher = new JsonPatcher(structuredClone(resource), USER_NAMES, extensions)
  for (const operation of parseOperations({ Operations: Operations as never }, extensions))
    patcher.apply(operation)
  return patcher.resource
}

const user = (): Json => ({
  userName: 'ann@example.com',
  name: { givenName: 'Ann', familyName: 'Lee' },
  emails: [
    { value: 'ann@example.com', type: 'work', primary: true },
    { value: 'ann@home.example', type: 'home' },
  ],
  active: true,
})

describe('PATCH engine', () => {
  test('paths: dotted, value filter with sub-attribute, extension URN', () => {
    expect(parsePatchPath('name.givenName', [])).toMatchObject({ attribute: 'name', sub: 'givenName' })
    expect(parsePatchPath('emails[type eq "work"].value', [])).toMatchObject({
      attribute: 'emails',
      sub: 'value',
    })
    expect(parsePatchPath(`${ENTERPRISE_SCHEMA}:manager.value`, [ENTERPRISE_SCHEMA])).toMatchObject({
      uri: ENTERPRISE_SCHEMA,
      attribute: 'manager',
      sub: 'value',
    })
    expect(parsePatchPath('urn:ietf:params:scim:schemas:core:2.0:User:userName', [])).toMatchObject({
      attribute: 'userName',
    })
    expect(parsePatchPath('urn:example:custom:2.0:User:badge', [])).toMatchObject({
      uri: 'urn:example:custom:2.0:User',
      attribute: 'badge',
    })
  })

  test('no path: plain, dotted and URN-prefixed keys, and whole extension objects', () => {
    const out = patch(user(), [
      {
        op: 'replace',
        value: {
          'name.givenName': 'Anna',
          displayName: 'Anna Lee',
          [`${ENTERPRISE_SCHEMA}:department`]: 'R&D',
          'urn:example:custom:2.0:User': { badge: 'B-1' },
        },
      },
    ])
    expect(out.name).toEqual({ givenName: 'Anna', familyName: 'Lee' })
    expect(out.displayName).toBe('Anna Lee')
    expect(out[ENTERPRISE_SCHEMA]).toEqual({ department: 'R&D' })
    expect(out['urn:example:custom:2.0:User']).toEqual({ badge: 'B-1' })
  })

  test('multi-valued: add appends without duplicates, replace overwrites, remove by filter', () => {
    const added = patch(user(), [
      {
        op: 'add',
        path: 'emails',
        value: [
          { value: 'ANN@example.com', type: 'work' },
          { value: 'x@y.z', type: 'other' },
        ],
      },
    ])
    expect((added.emails as Json[]).map((e) => e.value)).toEqual([
      'ann@example.com',
      'ann@home.example',
      'x@y.z',
    ])
    const replaced = patch(user(), [
      { op: 'replace', path: 'emails', value: [{ value: 'only@example.com' }] },
    ])
    expect(replaced.emails).toEqual([{ value: 'only@example.com' }])
    const removed = patch(user(), [{ op: 'remove', path: 'emails[type eq "home"]' }])
    expect((removed.emails as Json[]).map((e) => e.type)).toEqual(['work'])
    const lastOne = patch(user(), [{ op: 'remove', path: 'emails[value co "ann"]' }])
    expect(lastOne.emails).toBeUndefined()
  })

  test('value filter + sub-attribute: updates the match, or creates the element the filter implies', () => {
    const updated = patch(user(), [
      { op: 'replace', path: 'emails[type eq "home"].value', value: 'new@home.example' },
    ])
    expect((updated.emails as Json[])[1]).toEqual({ value: 'new@home.example', type: 'home' })
    const created = patch(user(), [
      { op: 'Add', path: 'phoneNumbers[type eq "work"].value', value: '+1 555' },
    ])
    expect(created.phoneNumbers).toEqual([{ type: 'work', value: '+1 555' }])
    expect(() => patch(user(), [{ op: 'add', path: 'emails[value co "zzz"].value', value: 'x' }])).toThrow(
      ScimError,
    )
  })

  test('read-only attributes are ignored; null means remove; remove of a sub-attribute', () => {
    const out = patch(user(), [
      { op: 'replace', value: { id: 'other-id', meta: { version: 'x' }, password: 'secret' } },
      { op: 'replace', path: 'name.familyName', value: null },
      { op: 'remove', path: 'name.givenName' },
    ])
    expect(out.id).toBeUndefined()
    expect(out.meta).toBeUndefined()
    expect(out.password).toBeUndefined()
    expect(out.name).toBeUndefined()
  })

  test('attribute names are case-insensitive and land on the canonical key', () => {
    const out = patch(user(), [
      { op: 'replace', path: 'DisplayName', value: 'X' },
      { op: 'replace', path: 'NAME.GIVENNAME', value: 'Y' },
    ])
    expect(out.displayName).toBe('X')
    expect(out.name).toEqual({ givenName: 'Y', familyName: 'Lee' })
  })

  test('group member operations become deltas', () => {
    const path = (text: string) => parsePatchPath(text, [])
    expect(memberChange('add', path('members'), [{ value: 'a' }, { value: 'b', display: 'B' }])).toEqual({
      kind: 'add',
      ids: ['a', 'b'],
    })
    expect(memberChange('remove', path('members[value eq "a" or value eq "b"]'), undefined)).toEqual({
      kind: 'remove',
      ids: ['a', 'b'],
    })
    expect(memberChange('remove', path('members[display co "x"]'), undefined)).toMatchObject({
      kind: 'removeWhere',
    })
    expect(memberChange('remove', path('members'), undefined)).toEqual({ kind: 'removeAll' })
    expect(memberChange('remove', path('members'), [{ value: 'a' }])).toEqual({ kind: 'remove', ids: ['a'] })
    expect(memberChange('replace', path('members'), [])).toEqual({ kind: 'replace', ids: [] })
    expect(memberChange('add', null, [{ value: 'a' }])).toEqual({ kind: 'add', ids: ['a'] })
    expect(() => memberChange('add', path('members[value eq "a"]'), {})).toThrow(ScimError)
  })
})
