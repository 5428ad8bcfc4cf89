/**
 * The linked identities contract (`store.linkedIdentities`), on both engines: an account's GitHub and
 * Bitbucket identities read back exactly as written, by account (by provider) and by email (oldest
 * first, what duplicate detection walks), only in their own org; an account has at most one identity
 * per provider (a second is a `UniqueViolation`, also when two instances insert at once, and a
 * transaction that met it goes on from a savepoint); removing an account's identities, or the
 * account itself, takes exactly its identities.
 */
import { expect, test } from 'bun:test'
import { UniqueViolation } from '../../../src/store/errors.ts'
import type { Store } from '../../../src/store/index.ts'
import { eachEngine, openStores } from './engines.ts'
import { accountRow, linkedRow, orgRow } from './org-state-support.ts'

const ORG = 'org-l'
const OTHER = 'org-m'

eachEngine((engine) => {
  let store: Store
  let twin: Store
  openStores(engine, async (opened, openedTwin) => {
    ;[store, twin] = [opened, openedTwin]
    for (const org of [ORG, OTHER]) await store.orgs.insert(orgRow(org))
    for (const id of ['acc-1', 'acc-2', 'acc-race', 'acc-gone', 'acc-tx']) {
      await store.accounts.insert(accountRow(ORG, id))
    }
    await store.accounts.insert(accountRow(OTHER, 'acc-o'))
  })

  test("an account's identities read back as written, by provider, only in its org", async () => {
    const github = linkedRow(ORG, 'li-gh', 'acc-1', 'github', { login: 'Ann-GH', email: 'Ann@GH.example' })
    const bitbucket = linkedRow(ORG, 'li-bb', 'acc-1', 'bitbucket', { created_at: 2_000 })
    await store.linkedIdentities.insert(github)
    await twin.linkedIdentities.insert(bitbucket)
    expect(await twin.linkedIdentities.ofAccount(ORG, 'acc-1')).toEqual([bitbucket, github])
    expect(await store.linkedIdentities.ofAccount(OTHER, 'acc-1')).toEqual([])
    expect(await store.linkedIdentities.ofAccount(ORG, 'acc-2')).toEqual([])
  })

  test('by email: every identity with that lowered email in the org, oldest first, then by id', async () => {
    const shared = { email: 'Same@Example.com', email_lower: 'same@example.com' }
    const rows = [
      linkedRow(ORG, 'li-e3', 'acc-2', 'github', { ...shared, created_at: 3_000 }),
      linkedRow(ORG, 'li-e2', 'acc-2', 'bitbucket', { ...shared, created_at: 1_500 }),
      linkedRow(ORG, 'li-e1', 'acc-gone', 'bitbucket', { ...shared, created_at: 1_500 }),
    ]
    for (const row of rows) await store.linkedIdentities.insert(row)
    await store.linkedIdentities.insert(linkedRow(OTHER, 'li-eo', 'acc-o', 'github', shared))
    expect((await twin.linkedIdentities.byEmail(ORG, 'same@example.com')).map((row) => row.id)).toEqual([
      'li-e1',
      'li-e2',
      'li-e3',
    ])
    expect(await twin.linkedIdentities.byEmail(ORG, 'Same@Example.com')).toEqual([])
    expect((await twin.linkedIdentities.byEmail(OTHER, 'same@example.com')).map((row) => row.id)).toEqual([
      'li-eo',
    ])
  })

  test('a second identity of one provider for one account is a UniqueViolation, not a second row', async () => {
    await store.linkedIdentities.insert(linkedRow(ORG, 'li-u1', 'acc-race', 'github'))
    await expect(
      twin.linkedIdentities.insert(linkedRow(ORG, 'li-u2', 'acc-race', 'github', { login: 'other' })),
    ).rejects.toBeInstanceOf(UniqueViolation)
    // The same id is refused too, whatever it links.
    await expect(
      store.linkedIdentities.insert(linkedRow(ORG, 'li-u1', 'acc-race', 'bitbucket')),
    ).rejects.toBeInstanceOf(UniqueViolation)
    expect((await store.linkedIdentities.ofAccount(ORG, 'acc-race')).map((row) => row.id)).toEqual(['li-u1'])
  })

  test('two instances linking the same provider to one account at once: one row, one UniqueViolation', async () => {
    const attempts = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 === 0 ? store : twin).linkedIdentities.insert(
          linkedRow(ORG, `li-r${i}`, 'acc-race', 'bitbucket', { login: `login-${i}` }),
        ),
      ),
    )
    const refused = attempts.filter((outcome) => outcome.status === 'rejected')
    expect(attempts.length - refused.length).toBe(1)
    for (const outcome of refused) expect(outcome.reason).toBeInstanceOf(UniqueViolation)
    const linked = await store.linkedIdentities.ofAccount(ORG, 'acc-race')
    expect(linked.map((row) => row.provider)).toEqual(['bitbucket', 'github'])
  })

  test('inside a transaction, a refused identity in a savepoint leaves the rest to commit', async () => {
    await store.transaction(async (tx) => {
      await tx.linkedIdentities.insert(linkedRow(ORG, 'li-t1', 'acc-tx', 'github'))
      await expect(
        tx.transaction((inner) => inner.linkedIdentities.insert(linkedRow(ORG, 'li-t2', 'acc-tx', 'github'))),
      ).rejects.toBeInstanceOf(UniqueViolation)
      await tx.linkedIdentities.insert(linkedRow(ORG, 'li-t3', 'acc-tx', 'bitbucket'))
    })
    expect((await twin.linkedIdentities.ofAccount(ORG, 'acc-tx')).map((row) => row.id)).toEqual([
      'li-t3',
      'li-t1',
    ])
  })

  test("removing an account's identities takes exactly those, in its org, and counts them", async () => {
    await store.linkedIdentities.insert(linkedRow(OTHER, 'li-o2', 'acc-o', 'bitbucket'))
    expect(await twin.linkedIdentities.removeOfAccount(ORG, 'acc-o')).toBe(0)
    expect(await twin.linkedIdentities.removeOfAccount(ORG, 'acc-2')).toBe(2)
    expect(await store.linkedIdentities.ofAccount(ORG, 'acc-2')).toEqual([])
    expect((await store.linkedIdentities.byEmail(ORG, 'same@example.com')).map((row) => row.id)).toEqual([
      'li-e1',
    ])
    expect((await store.linkedIdentities.ofAccount(OTHER, 'acc-o')).length).toBe(2)
    expect(await twin.linkedIdentities.removeOfAccount(ORG, 'acc-2')).toBe(0)
  })

  test("deleting an account deletes its identities with it (and no one else's)", async () => {
    expect(await store.accounts.remove(ORG, 'acc-gone')).toBe(1)
    expect(await twin.linkedIdentities.byEmail(ORG, 'same@example.com')).toEqual([])
    expect(await twin.linkedIdentities.ofAccount(ORG, 'acc-gone')).toEqual([])
    expect((await twin.linkedIdentities.ofAccount(ORG, 'acc-1')).length).toBe(2)
  })
})
