/**
 * Filters over stored data the SCIM checks would refuse today (rows written before
 * `scim/attributes.ts` and `scim/resources.ts` checked and normalised them), on both engines: no
 * filter fails on them, and each engine picks the same rows. `emails` that is not an array has no
 * elements; a non-object element has no members; a flag stored as text ("True", Entra ID's
 * spelling) is neither true nor false but present; a flag stored as a number compares as one.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { parseFilter } from '../../../src/scim/filter.ts'
import type { Store } from '../../../src/store/index.ts'
import { addOrg, userRow } from './directory-support.ts'
import { eachEngine } from './engines.ts'

const ORG = 'legacy'

/** Stored resources in creation order. */
const STORED: Array<[string, unknown]> = [
  ['m-string', 'x'],
  ['m-object', { type: 'work', value: 'v@x' }],
  ['m-scalars', ['x', 5, null]],
  ['m-flag-text', [{ type: 'work', value: 't@x', primary: 'True' }]],
  ['m-flag-number', [{ type: 'work', primary: 1 }]],
  ['m-good', [{ type: 'work', value: 'g@x', primary: true }]],
  ['m-none', undefined],
]

eachEngine((engine) => {
  let store: Store
  beforeAll(async () => {
    store = await engine.open()
    await addOrg(store, ORG)
    for (const [i, [id, emails]] of STORED.entries()) {
      const resource = emails === undefined ? { userName: id } : { userName: id, emails }
      await store.directory.insertUser(
        userRow(ORG, id, id, {
          resource: JSON.stringify(resource),
          created_at: 100 + i,
          email_lower: id === 'm-good' ? 'g@x' : null,
        }),
      )
    }
  }, 30_000)
  afterAll(async () => {
    await store.close()
  })

  const ids = async (filter: string) =>
    (await store.directory.listUsers(ORG, parseFilter(filter), 0, 100)).rows.map((row) => row.id)

  test('value paths: only arrays have elements, only objects have members', async () => {
    const withWork = ['m-flag-text', 'm-flag-number', 'm-good']
    expect(await ids('emails[type eq "work"]')).toEqual(withWork)
    expect(await ids('emails.type eq "work"')).toEqual(withWork)
    // Elements that are no objects have no type, so "not work" holds for them; a string or an
    // object in place of the array has no elements at all.
    expect(await ids('emails[not (type eq "work")]')).toEqual(['m-scalars'])
    expect(await ids('emails[value co "@"]')).toEqual(['m-flag-text', 'm-good'])
    expect(await ids('emails[value pr]')).toEqual(['m-flag-text', 'm-good'])
    expect(await ids('emails.display pr')).toEqual([])
    expect(await ids('emails.value pr')).toEqual(['m-good'])
    expect(await ids('not (emails[type eq "home"])')).toEqual(STORED.map(([id]) => id))
  })

  test('flags: a JSON boolean or number compares, text is present but neither true nor false', async () => {
    expect(await ids('emails[primary eq true]')).toEqual(['m-flag-number', 'm-good'])
    expect(await ids('emails[primary ne true]')).toEqual(['m-flag-text'])
    expect(await ids('emails[primary eq false]')).toEqual([])
    expect(await ids('emails[primary ne false]')).toEqual(['m-flag-text', 'm-flag-number', 'm-good'])
    expect(await ids('emails[primary pr]')).toEqual(['m-flag-text', 'm-flag-number', 'm-good'])
    expect(await ids('emails[primary eq null]')).toEqual(['m-scalars'])
    expect(await ids('emails[type eq "work" and primary eq true].value eq "g@x"')).toEqual(['m-good'])
  })
})
