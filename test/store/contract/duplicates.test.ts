/**
 * The duplicate pair contract (`store.duplicates`), on both engines: a pair (SCIM user, existing
 * account) is recorded once per SCIM user of an org; recording it again says whether anything
 * changed (the scheduler announces only new or changed pairs) and keeps the first detection time
 * unless the pair changed; pages go by SCIM user id byte by byte; removing and counting stay in the
 * org; a pair goes with its SCIM user or its account. Two instances recording one pair at once: one
 * of them reports it new.
 */
import { expect, test } from 'bun:test'
import type { DuplicateRow } from '../../../src/store/duplicates.ts'
import type { Store } from '../../../src/store/index.ts'
import { bytewise, TRICKY_IDS, userRow } from './directory-support.ts'
import { eachEngine, openStores } from './engines.ts'
import { accountRow, orgRow } from './org-state-support.ts'

const T = 1_700_000_000_000
const ORG = 'org-d'
const OTHER = 'org-e'

eachEngine((engine) => {
  let store: Store
  let twin: Store
  openStores(engine, async (opened, openedTwin) => {
    ;[store, twin] = [opened, openedTwin]
    for (const org of [ORG, OTHER]) await store.orgs.insert(orgRow(org))
    for (const id of ['su-1', 'su-2', 'su-race', 'su-gone', 'su-acc-gone']) {
      await store.directory.insertUser(userRow(ORG, id, `${id}@example.com`))
    }
    await store.directory.insertUser(userRow(OTHER, 'su-o', 'su-o@example.com'))
    for (const id of ['acc-1', 'acc-2', 'acc-gone']) await store.accounts.insert(accountRow(ORG, id))
    await store.accounts.insert(accountRow(OTHER, 'acc-o'))
  })

  test('a pair reads back as recorded; recording it again unchanged reports nothing new', async () => {
    expect(await store.duplicates.record(ORG, 'su-1', 'acc-1', 'email', T)).toBe(true)
    const pair: DuplicateRow = {
      org_id: ORG,
      scim_user_id: 'su-1',
      account_id: 'acc-1',
      matched_on: 'email',
      detected_at: T,
    }
    expect(await twin.duplicates.get(ORG, 'su-1')).toEqual(pair)
    expect(await twin.duplicates.record(ORG, 'su-1', 'acc-1', 'email', T + 10)).toBe(false)
    expect(await store.duplicates.get(ORG, 'su-1')).toEqual(pair)
    expect(await store.duplicates.get(OTHER, 'su-1')).toBeNull()
    expect(await store.duplicates.get(ORG, 'su-2')).toBeNull()
  })

  test('a pair that changed account or match is updated, with the new detection time', async () => {
    expect(await twin.duplicates.record(ORG, 'su-1', 'acc-1', 'linked:github', T + 20)).toBe(true)
    expect(await store.duplicates.get(ORG, 'su-1')).toMatchObject({
      account_id: 'acc-1',
      matched_on: 'linked:github',
      detected_at: T + 20,
    })
    expect(await store.duplicates.record(ORG, 'su-1', 'acc-2', 'linked:github', T + 30)).toBe(true)
    expect(await twin.duplicates.get(ORG, 'su-1')).toMatchObject({ account_id: 'acc-2', detected_at: T + 30 })
    expect(await twin.duplicates.count(ORG)).toBe(1)
  })

  test('two instances recording one pair many times at once: it is new exactly once', async () => {
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        (i % 2 === 0 ? store : twin).duplicates.record(ORG, 'su-race', 'acc-1', 'email', T + i),
      ),
    )
    expect(answers.filter(Boolean).length).toBe(1)
    expect((await store.duplicates.get(ORG, 'su-race'))?.matched_on).toBe('email')
  })

  test('remove and count stay in the org', async () => {
    expect(await store.duplicates.record(OTHER, 'su-o', 'acc-o', 'linked:bitbucket', T)).toBe(true)
    expect(await twin.duplicates.count(ORG)).toBe(2)
    expect(await twin.duplicates.count(OTHER)).toBe(1)
    expect(await twin.duplicates.remove(ORG, 'su-o')).toBe(0)
    expect(await twin.duplicates.remove(OTHER, 'su-o')).toBe(1)
    expect(await twin.duplicates.remove(OTHER, 'su-o')).toBe(0)
    expect(await store.duplicates.count(OTHER)).toBe(0)
    expect(await store.duplicates.count(ORG)).toBe(2)
    expect(await store.duplicates.count('org-without-pairs')).toBe(0)
  })

  test('pages go by SCIM user id byte by byte, after an exclusive cursor, in the org', async () => {
    const org = 'org-pages'
    await store.orgs.insert(orgRow(org))
    await store.accounts.insert(accountRow(org, 'acc-p'))
    for (const [i, id] of TRICKY_IDS.entries()) {
      // userNames are unique lowered, and some ids differ only in case.
      expect(await store.directory.insertUser(userRow(org, `dp-${id}`, `dp-${i}@example.com`))).toBe(true)
      await store.duplicates.record(org, `dp-${id}`, 'acc-p', 'email', T)
    }
    const seen: string[] = []
    let after = ''
    for (;;) {
      const page = await twin.duplicates.page(org, after, 5)
      seen.push(...page.map((row) => row.scim_user_id))
      if (page.length < 5) break
      after = page.at(-1)?.scim_user_id as string
    }
    expect(seen).toEqual(bytewise(TRICKY_IDS.map((id) => `dp-${id}`)))
    expect(await twin.duplicates.count(org)).toBe(TRICKY_IDS.length)
    expect((await twin.duplicates.page(ORG, '', 10)).every((row) => row.org_id === ORG)).toBe(true)
  })

  test('a pair goes with its SCIM user or its account', async () => {
    await store.duplicates.record(ORG, 'su-gone', 'acc-2', 'email', T)
    await store.duplicates.record(ORG, 'su-acc-gone', 'acc-gone', 'email', T)
    expect(await store.directory.deleteUser(ORG, 'su-gone')).toBe(true)
    expect(await twin.duplicates.get(ORG, 'su-gone')).toBeNull()
    expect(await store.accounts.remove(ORG, 'acc-gone')).toBe(1)
    expect(await twin.duplicates.get(ORG, 'su-acc-gone')).toBeNull()
    expect((await twin.duplicates.get(ORG, 'su-1'))?.account_id).toBe('acc-2')
  })
})
