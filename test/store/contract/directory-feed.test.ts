/**
 * The directory's change feed and uniqueness under concurrency, on both engines. A reader following
 * an org's feed with `seq > cursor` must see every entry exactly once, in order, however many
 * writers on however many instances append; on PostgreSQL the numbers per org come out 1, 2, 3, …
 * with no gap (`feed_counters`). And the SCIM create of one userName from two instances at once
 * ends as one 201 and one 409 — never two rows, never a 500 — also when both passed the userName
 * check before either had committed (forced on PostgreSQL, where instances really run side by side).
 */
import { expect, test } from 'bun:test'
import { ScimError } from '../../../src/scim/errors.ts'
import { createUser, replaceUser } from '../../../src/scim/users.ts'
import type { Store } from '../../../src/store/index.ts'
import { oktaUser } from '../../scim/support.ts'
import { gate, lockWaiters } from '../../support/postgres.ts'
import { addOrg, type FeedRow, feedAfter, feedOf, scimContext, userRow } from './directory-support.ts'
import { eachEngine, openStores } from './engines.ts'

class Rollback extends Error {}

const entry = ({ kind, op, resource_id, related_id }: FeedRow) => [kind, op, resource_id, related_id]

/** Each outcome as 'status' or the SCIM error's status (anything else fails the test). */
async function statuses(outcomes: Array<Promise<{ status: number }>>): Promise<number[]> {
  const settled = await Promise.allSettled(outcomes)
  return settled
    .map((outcome) => {
      if (outcome.status === 'fulfilled') return outcome.value.status
      if (outcome.reason instanceof ScimError) return outcome.reason.status
      throw outcome.reason
    })
    .sort()
}

eachEngine((engine) => {
  let store: Store
  let twin: Store
  openStores(engine, async (opened, openedTwin) => {
    ;[store, twin] = [opened, openedTwin]
    for (const org of ['feed-a', 'feed-b', 'feed-busy', 'feed-sent', 'scim-race', 'scim-forced'])
      await addOrg(store, org)
  })

  test('entries come back in order as written; appendChanges keeps the given order', async () => {
    await store.transaction(async (tx) => {
      await tx.directory.appendChange('feed-a', 'user', 'upsert', 'u1', null, 10)
      await tx.directory.appendChanges('feed-a', 'membership', 'add', 'g1', ['z', 'A', 'a', '_'], 11)
      await tx.directory.appendChanges('feed-a', 'membership', 'remove', 'g1', [], 12)
    })
    await store.directory.appendChange('feed-a', 'group', 'delete', 'g1', null, 13)
    const feed = await feedOf(store, 'feed-a')
    expect(feed.map(entry)).toEqual([
      ['user', 'upsert', 'u1', null],
      ['membership', 'add', 'g1', 'z'],
      ['membership', 'add', 'g1', 'A'],
      ['membership', 'add', 'g1', 'a'],
      ['membership', 'add', 'g1', '_'],
      ['group', 'delete', 'g1', null],
    ])
    const seqs = feed.map((row) => row.seq)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    expect(new Set(seqs).size).toBe(seqs.length)
    expect(await feedOf(store, 'feed-b')).toEqual([])
  })

  test('a rolled back transaction leaves no entry, and the numbering goes on without a gap', async () => {
    const before = (await feedOf(store, 'feed-a')).at(-1)?.seq ?? 0
    const outcome = store.transaction(async (tx) => {
      await tx.directory.appendChanges('feed-a', 'membership', 'add', 'g2', ['x', 'y'], 20)
      throw new Rollback()
    })
    await expect(outcome).rejects.toBeInstanceOf(Rollback)
    await store.directory.appendChange('feed-a', 'user', 'delete', 'u1', null, 21)
    const after = await feedAfter(store, 'feed-a', before)
    expect(after.map((row) => [row.seq, ...entry(row)])).toEqual([[before + 1, 'user', 'delete', 'u1', null]])
  })

  test('entries sent together in one transaction are numbered in the order they were sent', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `sent-${String(i).padStart(2, '0')}`)
    await store.transaction((tx) =>
      Promise.all([
        ...ids.map((id) => tx.directory.appendChange('feed-sent', 'user', 'upsert', id, null, 30)),
        tx.directory.appendChanges('feed-sent', 'membership', 'add', 'g-sent', ['m1', 'm2'], 30),
        tx.directory.appendChange('feed-sent', 'group', 'delete', 'g-sent', null, 30),
      ]),
    )
    const feed = await feedOf(store, 'feed-sent')
    expect(feed.map((row) => row.related_id ?? row.resource_id)).toEqual([...ids, 'm1', 'm2', 'g-sent'])
    await store.transaction((tx) => tx.directory.appendChange('feed-sent', 'user', 'delete', 'x', null, 31))
    expect((await feedOf(store, 'feed-sent')).map((row) => row.seq)).toEqual(
      Array.from({ length: 34 }, (_, i) => feed[0]!.seq + i),
    )
  })

  if (engine.name === 'postgres') {
    test('on PostgreSQL each org is numbered 1, 2, 3, … of its own', async () => {
      await store.directory.appendChanges('feed-b', 'membership', 'add', 'g', ['m1', 'm2'], 1)
      await store.directory.appendChange('feed-b', 'group', 'upsert', 'g', null, 2)
      expect((await feedOf(store, 'feed-b')).map((row) => row.seq)).toEqual([1, 2, 3])
    })
  }

  test('8 writers on two instances: a reader following seq > cursor sees every entry once, in order', async () => {
    const org = 'feed-busy'
    const written: string[] = []
    let writing = true
    const writer = async (w: number) => {
      const instance = w % 2 === 0 ? store : twin
      for (let t = 0; t < 40; t++) {
        const id = `w${w}-t${t}`
        const related = Array.from({ length: t % 3 }, (_, i) => `${id}-m${i}`)
        await instance.transaction(async (tx) => {
          await tx.directory.insertUser(userRow(org, id, `${id}@x`))
          // As the SCIM layer does: the feed entries come last in the transaction.
          await tx.directory.appendChange(org, 'user', 'upsert', id, null, t)
          await tx.directory.appendChanges(org, 'membership', 'add', id, related, t)
        })
        written.push(id, ...related)
      }
    }
    const seen: string[] = []
    const gaps: string[] = []
    let cursor = 0
    let polls = 0
    const follow = async () => {
      for (;;) {
        const done = !writing
        const rows = await feedAfter(store, org, cursor, 100)
        if (rows.length > 0) polls++
        for (const row of rows) {
          if (row.seq <= cursor) gaps.push(`${row.seq} after ${cursor}`)
          if (engine.name === 'postgres' && row.seq !== cursor + 1) gaps.push(`${row.seq} after ${cursor}`)
          cursor = row.seq
          seen.push(row.related_id ?? row.resource_id)
        }
        // Stop only after a poll that began once every writer had committed and found nothing new.
        if (done && rows.length === 0) return
        if (rows.length === 0) await Bun.sleep(1)
      }
    }
    const reading = follow()
    await Promise.all(Array.from({ length: 8 }, (_, w) => writer(w)))
    writing = false
    await reading
    expect(gaps).toEqual([])
    expect(seen).toHaveLength(written.length)
    expect([...seen].sort()).toEqual([...written].sort())
    expect(polls).toBeGreaterThan(1)
    expect((await store.directory.listUsers(org, null, 0, 0)).total).toBe(320)
  }, 60_000)

  test('two instances creating one userName through SCIM at once: one 201, one 409, one row', async () => {
    const body = oktaUser('Race@Example.com')
    const answers = await statuses([
      createUser(scimContext(store, 'scim-race'), body),
      createUser(scimContext(twin, 'scim-race'), { ...body, userName: 'race@example.COM' }),
    ])
    expect(answers).toEqual([201, 409])
    expect((await store.directory.listUsers('scim-race', null, 0, 10)).total).toBe(1)
    expect((await feedOf(store, 'scim-race')).map((row) => row.kind)).toEqual(['user'])
  })

  if (engine.name === 'postgres') {
    test('both creates passed the userName check before either committed: still one 201 and one 409', async () => {
      if (store.engine.kind !== 'postgres') throw new Error('postgres only')
      const org = 'scim-forced'
      const held = gate()
      const release = gate()
      // An uncommitted row with the name: both creates find no holder, then wait on the unique index.
      const blocker = store.transaction(async (tx) => {
        await tx.directory.insertUser(userRow(org, 'blocker', 'forced@example.com'))
        held.open()
        await release.opened
        throw new Rollback()
      })
      await held.opened
      // Settled from the start: the loser's 409 may come before the blocker's rollback is seen.
      const creates = statuses([
        createUser(scimContext(store, org), oktaUser('forced@example.com')),
        createUser(scimContext(twin, org), oktaUser('FORCED@example.com')),
      ])
      await lockWaiters(store.engine.sql, 2)
      release.open()
      await expect(blocker).rejects.toBeInstanceOf(Rollback)
      expect(await creates).toEqual([201, 409])
      expect(
        (await store.directory.listUsers(org, null, 0, 10)).rows.map((row) => row.user_name_lower),
      ).toEqual(['forced@example.com'])
      expect(await feedOf(store, org)).toHaveLength(1)
    })

    test('two renames onto one userName that both passed the check: one 200, one 409', async () => {
      if (store.engine.kind !== 'postgres') throw new Error('postgres only')
      const org = 'scim-forced'
      const first = await createUser(scimContext(store, org), oktaUser('one@example.com'))
      const second = await createUser(scimContext(store, org), oktaUser('two@example.com'))
      const ids = [first, second].map((created) => (created.body as { id: string }).id)
      const held = gate()
      const release = gate()
      const blocker = store.transaction(async (tx) => {
        await tx.directory.insertUser(userRow(org, 'blocker-2', 'renamed@example.com'))
        held.open()
        await release.opened
        throw new Rollback()
      })
      await held.opened
      const renames = statuses(
        ids.map((id, i) =>
          replaceUser(scimContext(i === 0 ? store : twin, org), id, oktaUser('renamed@example.com'), null),
        ),
      )
      await lockWaiters(store.engine.sql, 2)
      release.open()
      await expect(blocker).rejects.toBeInstanceOf(Rollback)
      expect(await renames).toEqual([200, 409])
      const rows = await Promise.all(ids.map((id) => store.directory.userById(org, id)))
      const names = rows.map((row) => row?.user_name)
      // One user took the name; the other kept its own.
      expect(names.filter((name) => name === 'renamed@example.com')).toHaveLength(1)
      expect(names.filter((name) => name === 'one@example.com' || name === 'two@example.com')).toHaveLength(1)
    })
  }
})
