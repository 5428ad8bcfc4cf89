/**
 * The heart of issue 10 on PostgreSQL: a reader following an org's feed with `seq > cursor` must
 * see every row exactly once, in order, however many writers on however many connections append.
 * A sequence (or identity) cannot promise that — numbers are handed out at INSERT and commit in any
 * order — which the first test shows, forced step by step. The per-org counter row of
 * `feed_counters` (src/store/postgres/migrations/001_init.ts) can: the writer that took a number
 * holds the row until it commits, so the next writer of that org gets the next number only after.
 * Also here: the lease pick with `FOR UPDATE SKIP LOCKED` that spreads orgs across instances.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { SQL } from 'bun'
import { migratePostgres } from '../../src/store/postgres/migrate.ts'
import { decodeRows } from '../../src/store/postgres/rows.ts'
import { createDatabase, gate, lockWaiters } from '../support/postgres.ts'

let sql: SQL
let other: SQL
let reader: SQL

beforeAll(async () => {
  const url = await createDatabase()
  sql = new SQL(url, { max: 4 })
  other = new SQL(url, { max: 4 })
  reader = new SQL(url, { max: 1 })
  await migratePostgres(sql)
  await sql`INSERT INTO orgs (id, slug, name, created_at)
            VALUES ('org-a', 'a', 'A', 0), ('org-b', 'b', 'B', 0), ('org-c', 'c', 'C', 0)`
}, 30_000)

afterAll(async () => {
  await Promise.all([sql.close(), other.close(), reader.close()])
})

/**
 * Appends changes to an org's feed inside `tx`, as the store will: take `ids.length` numbers from
 * the org's counter row (locking it until commit), then insert the rows with those numbers.
 */
async function appendChanges(tx: SQL, orgId: string, ids: string[]): Promise<number[]> {
  const [counter] = decodeRows(
    await tx<{ last_seq: number }[]>`
      INSERT INTO feed_counters (org_id, feed, last_seq) VALUES (${orgId}, 'directory_changes', ${ids.length})
      ON CONFLICT (org_id, feed) DO UPDATE SET last_seq = feed_counters.last_seq + excluded.last_seq
      RETURNING last_seq`,
  )
  const before = counter!.last_seq - ids.length
  const rows = decodeRows(
    await tx<{ seq: number }[]>`
      INSERT INTO directory_changes (seq, org_id, kind, op, resource_id, related_id, at)
      SELECT ${before} + u.n, ${orgId}, 'user', 'upsert', u.id, NULL, ${Date.now()}
      FROM unnest(${ids}::text[]) WITH ORDINALITY AS u(id, n)
      RETURNING seq`,
  )
  return rows.map((row) => row.seq)
}

async function changesAfter(orgId: string, cursor: number, limit = 1000) {
  return decodeRows(
    await reader<{ seq: number; resource_id: string }[]>`
      SELECT seq, resource_id FROM directory_changes
      WHERE org_id = ${orgId} AND seq > ${cursor} ORDER BY seq LIMIT ${limit}`,
  )
}

describe('feed ordering', () => {
  test('numbered by an identity column, a reader following id > cursor skips a row that commits late', async () => {
    await sql`CREATE TABLE sequence_feed (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, label TEXT NOT NULL)`
    const inserted = gate()
    const release = gate()
    const slow = sql.begin(async (tx) => {
      await tx`INSERT INTO sequence_feed (label) VALUES ('first')` // takes id 1
      inserted.open()
      await release.opened
    })
    await inserted.opened
    await other`INSERT INTO sequence_feed (label) VALUES ('second')` // takes id 2, commits at once
    const seen: string[] = []
    let cursor = 0
    const poll = async () => {
      const rows = decodeRows(
        await reader<
          { id: number; label: string }[]
        >`SELECT id, label FROM sequence_feed WHERE id > ${cursor} ORDER BY id`,
      )
      for (const row of rows) {
        seen.push(row.label)
        cursor = row.id
      }
    }
    await poll() // sees id 2 and moves the cursor past id 1
    release.open()
    await slow
    await poll()
    const [stored] = await reader<{ n: number }[]>`SELECT count(*)::int AS n FROM sequence_feed`
    expect(stored?.n).toBe(2)
    expect(seen).toEqual(['second']) // 'first' is committed, and the reader will never see it
  })

  test('numbered by the org counter, the next writer waits for the commit of the one before', async () => {
    const appended = gate()
    const release = gate()
    const slow = sql.begin(async (tx) => {
      const seqs = await appendChanges(tx, 'org-b', ['first'])
      appended.open()
      await release.opened
      return seqs
    })
    await appended.opened
    const fast = other.begin((tx) => appendChanges(tx, 'org-b', ['second']))
    await lockWaiters(reader, 1) // the second writer waits on org-b's counter row
    expect(await changesAfter('org-b', 0)).toEqual([])
    // Another org's writer does not wait for org-b.
    expect(await other.begin((tx) => appendChanges(tx, 'org-c', ['elsewhere']))).toEqual([1])
    release.open()
    expect(await slow).toEqual([1])
    expect(await fast).toEqual([2])
    expect(await changesAfter('org-b', 0)).toEqual([
      { seq: 1, resource_id: 'first' },
      { seq: 2, resource_id: 'second' },
    ])
  })

  test('8 writers × 200 transactions on 2 connections pools: a polling reader sees every row once, in order', async () => {
    const writers = 8
    const transactions = 200
    const written: string[] = []
    let writing = true
    const writer = async (w: number) => {
      const client = w % 2 === 0 ? sql : other
      for (let t = 0; t < transactions; t++) {
        // 1 to 3 rows per transaction; every tenth one stays open a little after taking its numbers.
        const ids = Array.from({ length: 1 + ((w + t) % 3) }, (_, i) => `w${w}-t${t}-r${i}`)
        await client.begin(async (tx) => {
          await appendChanges(tx, 'org-a', ids)
          if (t % 10 === 0) await tx`SELECT pg_sleep(0.002)`
        })
        written.push(...ids)
      }
    }
    const seen: string[] = []
    const outOfOrder: string[] = []
    let polls = 0
    const follow = async () => {
      let cursor = 0
      for (;;) {
        const done = !writing
        const rows = await changesAfter('org-a', cursor, 500)
        if (rows.length > 0) polls++
        for (const row of rows) {
          if (row.seq !== cursor + 1) outOfOrder.push(`${row.seq} after ${cursor}`)
          cursor = row.seq
          seen.push(row.resource_id)
        }
        // Stop only after a poll that started once every writer had committed and found nothing new.
        if (done && rows.length === 0) return
        if (rows.length === 0) await Bun.sleep(1)
      }
    }
    const reading = follow()
    await Promise.all(Array.from({ length: writers }, (_, w) => writer(w)))
    writing = false
    await reading

    expect(outOfOrder).toEqual([])
    expect(seen).toHaveLength(written.length)
    expect(new Set(seen).size).toBe(written.length)
    expect([...seen].sort()).toEqual([...written].sort())
    // The reader really ran alongside the writers, not once at the end.
    expect(polls).toBeGreaterThan(5)
    const [counter] = decodeRows(
      await reader<{ last_seq: number }[]>`SELECT last_seq FROM feed_counters WHERE org_id = 'org-a'`,
    )
    expect(counter?.last_seq).toBe(written.length)
  }, 60_000)
})

describe('leases', () => {
  test('FOR UPDATE SKIP LOCKED: instances picking at once get different orgs, none waits', async () => {
    await sql`INSERT INTO leases (name, holder, expires_at)
              VALUES ('sync:org-a', '', 0), ('sync:org-b', '', 0), ('sync:org-c', '', 0)`
    const now = Date.now()
    const pick = (client: SQL, holder: string, hold?: { picked: () => void; until: Promise<void> }) =>
      client.begin(async (tx) => {
        const [row] = await tx<{ name: string }[]>`
          SELECT name FROM leases WHERE name LIKE 'sync:%' AND expires_at < ${now}
          ORDER BY name LIMIT 1 FOR UPDATE SKIP LOCKED`
        if (!row) return null
        await tx`UPDATE leases SET holder = ${holder}, expires_at = ${now + 15_000} WHERE name = ${row.name}`
        hold?.picked()
        await hold?.until
        return row.name
      })
    const picked = gate()
    const held = gate()
    const first = pick(sql, 'instance-1', { picked: picked.open, until: held.opened })
    await picked.opened
    // While the first pick is still open, the second skips its row instead of waiting for it.
    const second = await pick(other, 'instance-2')
    held.open()
    expect([await first, second]).toEqual(['sync:org-a', 'sync:org-b'])
    expect(await pick(other, 'instance-2')).toBe('sync:org-c')
    expect(await pick(sql, 'instance-1')).toBeNull()
    const holders = await reader<{ name: string; holder: string }[]>`
      SELECT name, holder FROM leases WHERE name LIKE 'sync:%' ORDER BY name`
    expect([...holders]).toEqual([
      { name: 'sync:org-a', holder: 'instance-1' },
      { name: 'sync:org-b', holder: 'instance-2' },
      { name: 'sync:org-c', holder: 'instance-2' },
    ])
  })
})
