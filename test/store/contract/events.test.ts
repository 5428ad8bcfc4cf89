/**
 * The event feed contract (`store.events`), on both engines: an event reads back as appended, an
 * org's events follow `id > cursor` in order and in pages, another org's never show, an event keyed
 * by its directory change (`changeSeq`) is written once however often the change is applied (also
 * by two instances at once), and what a rolled-back transaction appended never shows and takes no
 * number. The heart of it: many writers on two instances append to one org while a reader follows
 * `id > cursor`; the reader sees every event exactly once, numbered 1, 2, 3, … with no gap at any
 * moment, so it can never pass a number that commits later.
 *
 * Numbers are per org on PostgreSQL (each org's feed counts 1, 2, 3, …); SQLite numbers all orgs
 * from one AUTOINCREMENT, so there an org's ids increase but skip the other orgs' numbers. Readers
 * rely only on the order.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { EventRow } from '../../../src/store/events.ts'
import type { Store } from '../../../src/store/index.ts'
import { type Engine, eachEngine } from './engines.ts'
import { orgRow } from './org-state-support.ts'

const AT = 1_700_000_000_000
const ORG = 'org-e'
const OTHER = 'org-f'

/** Every event of the org after `cursor`, read in pages of `page`. */
async function follow(store: Store, orgId: string, cursor = 0, page = 1000): Promise<EventRow[]> {
  const all: EventRow[] = []
  for (;;) {
    const rows = await store.events.after(orgId, cursor, page)
    all.push(...rows)
    if (rows.length < page) return all
    cursor = rows.at(-1)?.id ?? cursor
  }
}

/** A fresh store and a second instance on it, with the two orgs. */
async function openPair(engine: Engine): Promise<[Store, Store]> {
  const store = await engine.open()
  for (const org of [ORG, OTHER]) await store.orgs.insert(orgRow(org))
  return [store, await engine.openTwin(store)]
}

eachEngine((engine) => {
  let store: Store
  let twin: Store
  beforeAll(async () => {
    ;[store, twin] = await openPair(engine)
  }, 30_000)
  afterAll(async () => {
    await twin.close()
    await store.close()
  })

  test('an event reads back as appended, and only in its org', async () => {
    const event = { type: 'account.created', accountId: 'acc-1', data: { email: 'a@example.com', n: 1 } }
    expect(await store.events.append(ORG, event, AT)).toBe(true)
    expect(await store.events.append(ORG, { type: 'group.created', groupId: 'g-1' }, AT + 1)).toBe(true)
    const [created, group] = await twin.events.after(ORG, 0, 10)
    expect(created).toEqual({
      id: created?.id as number,
      change_seq: null,
      org_id: ORG,
      type: 'account.created',
      at: AT,
      account_id: 'acc-1',
      group_id: null,
      data: JSON.stringify(event.data),
    })
    expect(group).toMatchObject({ type: 'group.created', account_id: null, group_id: 'g-1', data: '{}' })
    expect((group?.id as number) > (created?.id as number)).toBe(true)
    expect(await twin.events.after(OTHER, 0, 10)).toEqual([])
  })

  test("an org's events follow id > cursor in order, in pages, without the other org's", async () => {
    for (let i = 0; i < 7; i++) {
      await store.events.append(ORG, { type: 'account.updated', data: { i } }, AT + i)
      await twin.events.append(OTHER, { type: 'account.updated', data: { other: i } }, AT + i)
    }
    const mine = await follow(twin, ORG, 0, 3)
    expect(mine.length).toBe(9)
    expect(mine.every((row) => row.org_id === ORG)).toBe(true)
    expect(mine.map((row) => row.id)).toEqual([...mine.map((row) => row.id)].sort((a, b) => a - b))
    const cursor = mine[4]?.id as number
    expect(await store.events.after(ORG, cursor, 100)).toEqual(mine.slice(5))
    expect(await store.events.after(ORG, mine.at(-1)?.id as number, 100)).toEqual([])
    const theirs = await follow(store, OTHER)
    expect(theirs.map((row) => JSON.parse(row.data).other)).toEqual([0, 1, 2, 3, 4, 5, 6])
    if (engine.name === 'postgres') {
      // Each org counts its own feed.
      expect(mine.map((row) => row.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
      expect(theirs.map((row) => row.id)).toEqual([1, 2, 3, 4, 5, 6, 7])
    }
  })

  test('counts by type cover the org only', async () => {
    expect(await store.events.countByType(ORG)).toEqual({
      'account.created': 1,
      'group.created': 1,
      'account.updated': 7,
    })
    expect(await twin.events.countByType(OTHER)).toEqual({ 'account.updated': 7 })
    expect(await twin.events.countByType('org-without-events')).toEqual({})
  })

  test('an event keyed by its change is written once per org, however often the change is applied', async () => {
    const event = { type: 'group.member_added', accountId: 'acc-1', groupId: 'g-1', changeSeq: 41 }
    expect(await store.events.append(ORG, event, AT)).toBe(true)
    expect(await twin.events.append(ORG, event, AT + 1)).toBe(false)
    expect(await store.transaction((tx) => tx.events.append(ORG, event, AT + 2))).toBe(false)
    // The same change number in another org is another change.
    expect(await twin.events.append(OTHER, event, AT)).toBe(true)
    const keyed = (await follow(store, ORG)).filter((row) => row.change_seq === 41)
    expect(keyed.map((row) => row.at)).toEqual([AT])
  })

  test('one change applied by both instances many times at once gives one event', async () => {
    const event = { type: 'group.member_removed', accountId: 'acc-2', groupId: 'g-1', changeSeq: 77 }
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        (i % 2 === 0 ? store : twin).transaction((tx) => tx.events.append(ORG, event, AT + i)),
      ),
    )
    expect(answers.filter(Boolean).length).toBe(1)
    expect((await follow(twin, ORG)).filter((row) => row.change_seq === 77).length).toBe(1)
  })

  test('what a rolled-back transaction appended never shows, and the next event follows on', async () => {
    await store.events.append(OTHER, { type: 'account.created', accountId: 'kept' }, AT)
    const before = (await follow(store, OTHER)).at(-1)?.id as number
    await expect(
      store.transaction(async (tx) => {
        await tx.events.append(OTHER, { type: 'account.deleted', accountId: 'gone' }, AT)
        throw new Error('batch failed')
      }),
    ).rejects.toThrow('batch failed')
    expect(await twin.events.after(OTHER, before, 10)).toEqual([])
    await twin.events.append(OTHER, { type: 'account.deleted', accountId: 'kept' }, AT)
    const [next] = await store.events.after(OTHER, before, 10)
    expect(next?.account_id).toBe('kept')
    // The rolled-back number was not used up: no other org wrote in between.
    expect(next?.id).toBe(before + 1)
  })

  test('8 writers on two instances × 40 transactions: a follower sees every event once, gap-free, in order', async () => {
    const [first, second] = await openPair(engine)
    try {
      const writers = 8
      const transactions = 40
      let writing = true
      const written: string[] = []
      const writer = async (w: number) => {
        const instance = w % 2 === 0 ? first : second
        for (let t = 0; t < transactions; t++) {
          // 1 to 3 events per transaction; every fifth one also reads before committing.
          const labels = Array.from({ length: 1 + ((w + t) % 3) }, (_, i) => `w${w}-t${t}-e${i}`)
          await instance.transaction(async (tx) => {
            for (const label of labels) await tx.events.append(ORG, { type: 'test', data: { label } }, AT)
            if (t % 5 === 0) await tx.events.countByType(ORG)
          })
          written.push(...labels)
        }
      }
      const seen: string[] = []
      const gaps: string[] = []
      const follower = async () => {
        let cursor = 0
        for (;;) {
          const done = !writing
          const rows = await (seen.length % 2 === 0 ? first : second).events.after(ORG, cursor, 50)
          for (const row of rows) {
            if (row.id !== cursor + 1) gaps.push(`${row.id} after ${cursor}`)
            cursor = row.id
            seen.push(JSON.parse(row.data).label)
          }
          if (done && rows.length === 0) return
          if (rows.length === 0) await Bun.sleep(1)
        }
      }
      const following = follower()
      await Promise.all(Array.from({ length: writers }, (_, w) => writer(w)))
      writing = false
      await following
      expect(gaps).toEqual([])
      expect(seen.length).toBe(written.length)
      expect(new Set(seen).size).toBe(seen.length)
      expect([...seen].sort()).toEqual([...written].sort())
      // Within one transaction, events keep the order they were appended in.
      const position = new Map(seen.map((label, i) => [label, i]))
      for (const label of written.filter((l) => !l.endsWith('-e0'))) {
        const previous = label.replace(/-e(\d+)$/, (_, n) => `-e${Number(n) - 1}`)
        expect(position.get(label)).toBe((position.get(previous) as number) + 1)
      }
    } finally {
      await second.close()
      await first.close()
    }
  }, 60_000)

  test("writers of two orgs at once: each org's feed is in order (numbered 1, 2, 3, … per org on PostgreSQL)", async () => {
    const [first, second] = await openPair(engine)
    try {
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          (i % 2 === 0 ? first : second).transaction(async (tx) => {
            const org = i % 4 < 2 ? ORG : OTHER
            await tx.events.append(org, { type: 'test', data: { i, n: 0 } }, AT)
            await tx.events.append(org, { type: 'test', data: { i, n: 1 } }, AT)
          }),
        ),
      )
      for (const org of [ORG, OTHER]) {
        const ids = (await follow(first, org, 0, 7)).map((row) => row.id)
        expect(ids.length).toBe(40)
        expect(ids).toEqual([...ids].sort((a, b) => a - b))
        if (engine.name === 'postgres') expect(ids).toEqual(Array.from({ length: 40 }, (_, i) => i + 1))
      }
    } finally {
      await second.close()
      await first.close()
    }
  }, 60_000)
})
