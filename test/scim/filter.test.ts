/**
 * The filter parser (precedence, parentheses, not, value paths, string escapes, errors) and the
 * filters end to end: each operator compiled to SQL and run against real users in the store.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { ScimError } from '../../src/scim/errors.ts'
import { type FilterNode, matchesElement, parseFilter } from '../../src/scim/filter.ts'
import { sqliteFilter } from '../../src/store/filter/sqlite.ts'
import { type Json, oktaUser, type ScimClient, scimOrg } from './support.ts'

/** A compact rendering of the AST: precedence shows as parentheses. */
function show(node: FilterNode): string {
  switch (node.kind) {
    case 'and':
    case 'or':
      return `(${show(node.left)} ${node.kind} ${show(node.right)})`
    case 'not':
      return `not ${show(node.filter)}`
    case 'present':
      return `${node.path.name}${node.path.sub ? `.${node.path.sub}` : ''} pr`
    case 'compare':
      return `${node.path.uri ? `${node.path.uri}:` : ''}${node.path.name}${node.path.sub ? `.${node.path.sub}` : ''} ${node.op} ${JSON.stringify(node.value)}`
    case 'valuePath':
      return `${node.path.name}[${show(node.filter)}]`
  }
}

function invalid(filter: string): ScimError {
  try {
    parseFilter(filter)
  } catch (error) {
    expect(error).toBeInstanceOf(ScimError)
    expect((error as ScimError).scimType).toBe('invalidFilter')
    return error as ScimError
  }
  throw new Error(`"${filter}" parsed`)
}

describe('filter parser', () => {
  test('and binds tighter than or; parentheses override', () => {
    expect(show(parseFilter('a eq 1 or b eq 2 and c eq 3'))).toBe('(a eq 1 or (b eq 2 and c eq 3))')
    expect(show(parseFilter('(a eq 1 or b eq 2) and c eq 3'))).toBe('((a eq 1 or b eq 2) and c eq 3)')
    expect(show(parseFilter('a eq 1 and b eq 2 and c eq 3'))).toBe('((a eq 1 and b eq 2) and c eq 3)')
  })

  test('not applies to a parenthesised filter; keywords and operators ignore case', () => {
    expect(show(parseFilter('NOT (userName Eq "x") AND active EQ TRUE'))).toBe(
      '(not userName eq "x" and active eq true)',
    )
    expect(show(parseFilter('title pr or not(nickName pr)'))).toBe('(title pr or not nickName pr)')
  })

  test('value paths, with a trailing sub-attribute comparison', () => {
    expect(show(parseFilter('emails[type eq "work" and value co "@example.com"]'))).toBe(
      'emails[(type eq "work" and value co "@example.com")]',
    )
    expect(show(parseFilter('emails[type eq "work"].value eq "a@b.c"'))).toBe(
      'emails[(type eq "work" and value eq "a@b.c")]',
    )
  })

  test('string escapes, numbers, null and schema-qualified paths', () => {
    const node = parseFilter('displayName eq "say \\"hi\\" \\\\ \\u00e9"')
    expect(node).toMatchObject({ kind: 'compare', value: 'say "hi" \\ é' })
    expect(parseFilter('x gt -1.5e2')).toMatchObject({ value: -150 })
    expect(parseFilter('externalId eq null')).toMatchObject({ value: null })
    expect(parseFilter('urn:ietf:params:scim:schemas:core:2.0:User:name.givenName eq "A"')).toMatchObject({
      path: { uri: 'urn:ietf:params:scim:schemas:core:2.0:User', name: 'name', sub: 'givenName' },
    })
  })

  test('malformed filters are 400 invalidFilter with a message saying where', () => {
    expect(invalid('userName eq').detail).toContain('needs a value')
    expect(invalid('userName equals "x"').detail).toContain('not a filter operator')
    expect(invalid('userName eq "x').detail).toContain('unterminated string')
    expect(invalid('(userName eq "x"').detail).toContain('expected ")"')
    expect(invalid('userName eq "x" extra').detail).toContain('unexpected')
    expect(invalid('emails[type eq "work"').detail).toContain('expected "]"')
    expect(invalid('a[b[c eq 1]]').detail).toContain('nested')
    expect(invalid('userName eq "x" & 1').detail).toContain('unexpected character')
    expect(invalid('').detail).toContain('empty')
    expect(invalid(`${'('.repeat(40)}a eq 1${')'.repeat(40)}`).detail).toContain('deeper')
  })

  test('unsupported attributes and wrong value types are rejected when compiling', () => {
    const compile = (f: string) => () => sqliteFilter('users', parseFilter(f))
    expect(compile('nickName eq "x"')).toThrow('not supported')
    expect(compile('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "x"')).toThrow(
      'not supported',
    )
    expect(compile('active eq "yes"')).toThrow('boolean')
    expect(compile('meta.created gt "yesterday"')).toThrow('date-time')
    expect(compile('userName eq 12')).toThrow('quoted string')
  })

  test('compiled SQL binds values as parameters, never inline', () => {
    const compiled = sqliteFilter('users', parseFilter('userName eq "x\' OR 1=1 --"'))
    expect(compiled.where).toBe('(u.user_name_lower = ?)')
    expect(compiled.params).toEqual(["x' or 1=1 --"])
  })

  test('in-memory matching of one element (PATCH value paths)', () => {
    const filter = parseFilter('type eq "work" and not (primary eq false)')
    expect(matchesElement(filter, { type: 'WORK', primary: 'True' })).toBe(true)
    expect(matchesElement(filter, { type: 'work', primary: false })).toBe(false)
    expect(matchesElement(parseFilter('value sw "abc"'), { value: 'ABCdef' })).toBe(true)
  })
})

describe('filters against the store', () => {
  let scim: ScimClient
  const ids: Record<string, string> = {}

  beforeAll(async () => {
    scim = await scimOrg('filters')
    const people: Array<[string, string, string, boolean]> = [
      ['alice@example.com', 'Alice', 'Adams', true],
      ['bob@example.org', 'Bob', 'Baker', false],
      ['carol@example.com', 'Carol', 'Clark', true],
      ['dave@other.net', 'Dave', 'Dawson', true],
    ]
    for (const [email, given, family, active] of people) {
      const body = { ...oktaUser(email, given, family), active }
      const r = await scim.post('/Users', body)
      ids[given] = r.body.id as string
    }
    // A second, non-primary email for Dave.
    await scim.patch(`/Users/${ids.Dave}`, {
      Operations: [{ op: 'add', path: 'emails', value: [{ type: 'home', value: 'dave@home.example' }] }],
    })
  })

  const names = async (filter: string) => {
    const r = await scim.get(`/Users?filter=${encodeURIComponent(filter)}`)
    if (r.status !== 200) throw new Error(r.text)
    return (r.body.Resources as Json[]).map((u) => (u.name as Json).givenName)
  }

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
    expect(await names('meta.lastModified lt "2000-01-01T00:00:00Z"')).toEqual([])
  })

  test('logic, not and null semantics', async () => {
    expect(
      await names('active eq true and (name.familyName eq "adams" or name.familyName eq "DAWSON")'),
    ).toEqual(['Alice', 'Dave'])
    expect(await names('not (userName co "example")')).toEqual(['Dave'])
    expect(await names('not (nickNameless pr)').catch((e: Error) => e.message)).toContain('not supported')
    expect(await names('not (displayName eq "Alice Adams") and active eq false')).toEqual(['Bob'])
  })

  test('email forms Okta uses when the unique identifier is the email', async () => {
    for (const filter of [
      'email eq "carol@example.com"',
      'emails eq "CAROL@example.com"',
      'emails.value eq "carol@example.com"',
      'emails[type eq "work"].value eq "carol@example.com"',
    ]) {
      expect(await names(filter)).toEqual(['Carol'])
    }
    expect(await names('emails[type eq "home"].value eq "carol@example.com"')).toEqual([])
  })

  test('the lookups IdPs make use an index of their own, so their cost does not grow with the org', async () => {
    const plan = async (filter: string) =>
      (await scim.app.store.directory.explainListUsers(parseFilter(filter))).join(' | ')
    expect(await plan('userName eq "a@b.c"')).toContain(
      'sqlite_autoindex_scim_users_2 (org_id=? AND user_name_lower=?)',
    )
    expect(await plan('emails[type eq "work"].value eq "a@b.c"')).toContain(
      'scim_users_email (org_id=? AND email_lower=?)',
    )
    expect(await plan('email eq "a@b.c"')).toContain('scim_users_email (org_id=? AND email_lower=?)')
    expect(await plan('externalId eq "00u1"')).toContain('scim_users_external (org_id=? AND external_id=?)')
    expect(await plan('id eq "x"')).toContain('(id=?)')
  })

  test('value paths over all emails', async () => {
    expect(await names('emails[type eq "home" and value co "@home"]')).toEqual(['Dave'])
    expect(await names('emails.type eq "home"')).toEqual(['Dave'])
    expect(await names('emails[primary eq true and value ew ".org"]')).toEqual(['Bob'])
  })
})
