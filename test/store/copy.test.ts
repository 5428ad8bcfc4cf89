/**
 * `store copy` and `backup` between the engines (src/store/copy.ts): every table's rows arrive
 * exactly, both ways; the feeds keep their order and their cursors when PostgreSQL's per-org
 * numbers have to be shifted for SQLite's global key, and come back unshifted; the target goes on
 * numbering after the copied rows; a target with rows is refused unless forced; a count mismatch
 * rolls the copy back; and a copy taken while the source is written is one snapshot.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SQL } from 'bun'
import { createOrg } from '../../src/orgs/service.ts'
import { isSealed } from '../../src/secrets/secret-box.ts'
import { OFFSETS_KEY } from '../../src/store/copy/feeds.ts'
import { backupStore, CopyRefused, copyStore } from '../../src/store/copy.ts'
import { openStore, type Store, type StoreLocation } from '../../src/store/index.ts'
import { openPostgresStore } from '../../src/store/postgres/index.ts'
import { decodeRows } from '../../src/store/postgres/rows.ts'
import { directoryWriter } from '../support/directory.ts'
import { createDatabase } from '../support/postgres.ts'
import { dumpTables, secretBox, seedStore, tableNames, tableRows } from './copy-seed.ts'

const folder = mkdtempSync(join(tmpdir(), 'okb-copy-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

const open: Store[] = []
afterAll(async () => {
  for (const store of open.splice(0)) await store.close()
})

const sqlitePath = (name: string) => join(folder, name)
const sqlite = (path: string): StoreLocation => ({ kind: 'sqlite', path })
const postgres = (url: string): StoreLocation => ({ kind: 'postgres', url })
function openSqlite(path: string): Store {
  const store = openStore(path, undefined, secretBox())
  open.push(store)
  return store
}
async function openPostgres(url: string): Promise<Store> {
  const store = await openPostgresStore(url, { secrets: secretBox(), poolSize: 4 })
  open.push(store)
  return store
}
const sqliteSequence = (store: Store) =>
  store.engine.kind === 'sqlite'
    ? Object.fromEntries(
        store.engine.db
          .query<{ name: string; seq: number }, []>('SELECT name, seq FROM sqlite_sequence ORDER BY name')
          .all()
          .map((row) => [row.name, row.seq]),
      )
    : {}

type Row = Record<string, unknown>
const byOrg = (rows: Row[], orgId: string) => rows.filter((row) => row.org_id === orgId)
/** A change as the scheduler reads it, without its number. */
const change = (row: Row) => [row.kind, row.op, row.resource_id, row.related_id, row.at]
const event = (row: Row) => [row.type, row.at, row.account_id, row.group_id, row.data]

/** One event appended to PostgreSQL's per-org feed by the counter protocol of docs/store.md. */
async function appendPostgresEvent(sql: SQL, orgId: string, type: string, changeSeq: number | null) {
  await sql.begin(async (tx) => {
    const [counter] = decodeRows(
      await tx<Array<{ last_seq: number }>>`
        INSERT INTO feed_counters (org_id, feed, last_seq) VALUES (${orgId}, 'events', 1)
        ON CONFLICT (org_id, feed) DO UPDATE SET last_seq = feed_counters.last_seq + excluded.last_seq
        RETURNING last_seq`,
    )
    await tx`INSERT INTO events (id, org_id, type, at, data, change_seq)
             VALUES (${counter?.last_seq}, ${orgId}, ${type}, ${Date.now()}, '{}', ${changeSeq})`
  })
}

describe('store copy', () => {
  const source = sqlitePath('source.sqlite')
  let original: Record<string, Row[]>
  let orgIds: string[]
  let sourceSequence: Record<string, number>
  let pgUrl: string

  beforeAll(async () => {
    const store = openSqlite(source)
    orgIds = (await seedStore(store)).map((org) => org.id)
    original = await dumpTables(store)
    sourceSequence = sqliteSequence(store)
    pgUrl = await createDatabase()
  })

  test('the seed has rows in every table', () => {
    const empty = Object.entries(original).filter(([, rows]) => rows.length === 0)
    expect(empty.map(([name]) => name)).toEqual([])
    expect(Object.keys(original).length).toBeGreaterThanOrEqual(22)
  })

  test('SQLite → PostgreSQL → SQLite: every table arrives with exactly its rows', async () => {
    const there = await copyStore(sqlite(source), postgres(pgUrl))
    expect(there.renumbered).toEqual([])
    const counts = Object.fromEntries(Object.entries(original).map(([name, rows]) => [name, rows.length]))
    expect(there.tables).toEqual({ ...counts, feed_counters: 2 * orgIds.length })
    const pg = await openPostgres(pgUrl)
    expect(await dumpTables(pg, ['feed_counters'])).toEqual(original)

    const back = sqlitePath('back.sqlite')
    const result = await copyStore(postgres(pgUrl), sqlite(back))
    expect(result.renumbered).toEqual([])
    const copy = openSqlite(back)
    expect(await dumpTables(copy)).toEqual(original)
    // AUTOINCREMENT goes on where the source's would have.
    expect(sqliteSequence(copy)).toEqual(sourceSequence)
    // SP private keys travel sealed, and open with the same SECRET_KEY on the other engine.
    const integration = await pg.integrations.get(orgIds[0] as string)
    expect(isSealed(integration?.sp_private_key ?? null)).toBe(true)
    expect(await pg.integrations.spPrivateKey(integration!)).toContain('BEGIN PRIVATE KEY')
  })

  test('PostgreSQL numbers new feed rows after the copied ones, per org', async () => {
    const pg = await openPostgres(pgUrl)
    const counters = await tableRows(pg, 'feed_counters', 'org_id, feed')
    // SQLite's numbers are global: each org continues after the highest number SQLite handed out.
    expect(counters.map((row) => row.last_seq)).toEqual(
      orgIds.flatMap(() => [sourceSequence.directory_changes, sourceSequence.events]),
    )
    for (const orgId of orgIds) {
      const copied = byOrg(original.directory_changes as Row[], orgId).map((row) => row.seq as number)
      await directoryWriter(pg, orgId).user({ userName: `after-copy@${orgId}.example` })
      const rows = await tableRows(pg, 'directory_changes', 'org_id, seq')
      const last = byOrg(rows, orgId).at(-1) as Row
      expect(last.resource_id).not.toBeNull()
      expect(last.seq as number).toBeGreaterThan(Math.max(...copied))
      expect(last.seq).toBe((sourceSequence.directory_changes as number) + 1)
      // The scheduler's cursor finds the late seed changes and the new one, in order.
      const state = await pg.syncState.get(orgId)
      const pending = await pg.syncState.changesAfter(orgId, state?.applied_seq ?? 0, 100)
      expect(pending.at(-1)?.seq).toBe(last.seq as number)
      expect(pending.length).toBeGreaterThan(1)
    }
    await pg.audit.record({ orgId: orgIds[0] as string, kind: 'admin', action: 'test', outcome: 'success' })
    const audit = await tableRows(pg, 'audit_log', 'id')
    expect(audit.at(-1)?.id).toBe((sourceSequence.audit_log as number) + 1)
  })

  test('PostgreSQL → SQLite with the same numbers in two orgs: shifted per org, cursors kept, and back exactly', async () => {
    const pg = await openPostgres(pgUrl)
    const { sql } = pg.engine as Extract<Store['engine'], { kind: 'postgres' }>
    // Both orgs now number from the same counter value: their new rows share numbers.
    for (const orgId of orgIds) {
      const directory = directoryWriter(pg, orgId)
      const user = await directory.user({ userName: `collide@${orgId}.example` })
      const rows = byOrg(await tableRows(pg, 'directory_changes', 'org_id, seq'), orgId)
      await appendPostgresEvent(sql, orgId, 'user.created', rows.at(-1)?.seq as number)
      await appendPostgresEvent(sql, orgId, 'user.updated', null)
      await directory.deleteUser(user)
    }
    const written = await tableRows(pg, 'directory_changes', 'org_id, seq')
    const seqs = written.map((row) => row.seq)
    expect(new Set(seqs).size).toBeLessThan(seqs.length)
    // One org's cursor inside its new rows; the other's rows it has applied are pruned away, so its
    // cursor is past its last row. That org is the last in id order: SQLite's copy gives it the
    // highest range, whose top only the cursor holds.
    const [first, second] = [...orgIds].sort() as [string, string]
    await pg.syncState.advance(first, byOrg(written, first).at(-2)?.seq as number, Date.now())
    const secondApplied = byOrg(written, second).at(-1)?.seq as number
    await pg.syncState.advance(second, secondApplied, Date.now())
    await sql`DELETE FROM directory_changes WHERE org_id = ${second} AND seq > ${secondApplied - 2}`
    const pgBefore = await dumpTables(pg)
    const changesBefore = await tableRows(pg, 'directory_changes', 'org_id, seq')
    expect(new Set(changesBefore.map((row) => row.seq)).size).toBeLessThan(changesBefore.length)

    const back = sqlitePath('shifted.sqlite')
    const result = await copyStore(postgres(pgUrl), sqlite(back))
    expect(result.renumbered.sort()).toEqual(['directory_changes', 'events'])
    const copy = openSqlite(back)
    const changes = await tableRows(copy, 'directory_changes', 'seq')
    const events = await tableRows(copy, 'events', 'id')
    for (const orgId of orgIds) {
      // Each org's feeds: the same rows in the same order.
      expect(byOrg(changes, orgId).map(change)).toEqual(byOrg(changesBefore, orgId).map(change))
      const pgEvents = byOrg(await tableRows(pg, 'events', 'org_id, id'), orgId)
      expect(byOrg(events, orgId).map(event)).toEqual(pgEvents.map(event))
      // The scheduler's cursor leaves the same changes pending.
      const [pgState, state] = [await pg.syncState.get(orgId), await copy.syncState.get(orgId)]
      const pgPending = await pg.syncState.changesAfter(orgId, pgState?.applied_seq ?? 0, 1000)
      const pending = await copy.syncState.changesAfter(orgId, state?.applied_seq ?? 0, 1000)
      expect(pending.map((row) => change(row as unknown as Row))).toEqual(
        pgPending.map((row) => change(row as unknown as Row)),
      )
      // An event names the same change as before (or, pruned, none on both sides).
      const changeOf = (rows: Row[], seq: unknown) => {
        const found = rows.find((row) => row.seq === seq)
        return found ? change(found) : null
      }
      let named = 0
      for (const [i, row] of byOrg(events, orgId).entries()) {
        if (row.change_seq === null) continue
        const announced = changeOf(byOrg(changesBefore, orgId), pgEvents[i]?.change_seq)
        expect(changeOf(byOrg(changes, orgId), row.change_seq)).toEqual(announced)
        if (announced) named++
      }
      expect(named).toBeGreaterThan(0)
    }
    const meta = await tableRows(copy, 'store_meta', 'key')
    expect(meta.map((row) => row.key)).toContain(OFFSETS_KEY)

    // Back into PostgreSQL: the shifts come off, every row is as it was.
    const restoredUrl = await createDatabase()
    const restored = await copyStore(sqlite(back), postgres(restoredUrl))
    expect(restored.renumbered.sort()).toEqual(['directory_changes', 'events'])
    const again = await openPostgres(restoredUrl)
    const { feed_counters: countersBefore, ...rowsBefore } = pgBefore
    expect(await dumpTables(again, ['feed_counters'])).toEqual(rowsBefore)
    const counters = await tableRows(again, 'feed_counters', 'org_id, feed')
    for (const [i, counter] of (countersBefore as Row[]).entries()) {
      expect(counters[i]?.last_seq as number).toBeGreaterThanOrEqual(counter.last_seq as number)
    }

    // The SQLite copy numbers new changes after every row and cursor, pruned ones included.
    for (const orgId of orgIds) {
      const state = await copy.syncState.get(orgId)
      const pendingBefore = await copy.syncState.changesAfter(orgId, state?.applied_seq ?? 0, 1000)
      await directoryWriter(copy, orgId).user({ userName: `on-sqlite@${orgId}.example` })
      const pending = await copy.syncState.changesAfter(orgId, state?.applied_seq ?? 0, 1000)
      expect(pending.slice(0, -1)).toEqual(pendingBefore)
      expect(pending.length).toBe(pendingBefore.length + 1)
    }
    const highest = Math.max(
      ...(await tableRows(copy, 'directory_changes', 'seq')).map((row) => row.seq as number),
    )
    expect(sqliteSequence(copy).directory_changes).toBe(highest)
  })

  test('a target that holds rows is refused and left alone; with force its rows are replaced', async () => {
    const pg = await openPostgres(pgUrl)
    const before = await dumpTables(pg)
    const refused = await copyStore(sqlite(source), postgres(pgUrl)).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(CopyRefused)
    expect((refused as CopyRefused).code).toBe('TARGET_NOT_EMPTY')
    expect((refused as CopyRefused).message).toContain('scim_users (')
    expect(await dumpTables(pg)).toEqual(before)

    const small = sqlitePath('small.sqlite')
    const smallStore = openSqlite(small)
    const smallOrg = await createOrg(smallStore, { slug: 'small' })
    await directoryWriter(smallStore, smallOrg.id).user({ userName: 'only@small.example' })
    const smallDump = await dumpTables(smallStore)
    const forced = await copyStore(sqlite(small), postgres(pgUrl), { force: true })
    expect(forced.tables.scim_users).toBe(1)
    expect(await dumpTables(pg, ['feed_counters'])).toEqual(smallDump)
  })

  test('counts that differ at the end roll the whole copy back', async () => {
    const target = sqlitePath('lossy.sqlite')
    const lossy = openStore(target)
    // A target that quietly loses rows: what the final count is there to catch.
    lossy.engine.db.exec(
      'CREATE TRIGGER lose_sessions AFTER INSERT ON sessions BEGIN DELETE FROM sessions WHERE token_hash = NEW.token_hash; END',
    )
    await lossy.close()
    const refused = await copyStore(sqlite(source), sqlite(target)).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(CopyRefused)
    expect((refused as CopyRefused).code).toBe('COUNT_MISMATCH')
    expect((refused as CopyRefused).tables).toEqual({
      sessions: { expected: (original.sessions as Row[]).length, copied: 0 },
    })
    const after = openSqlite(target)
    for (const table of await tableNames(after))
      expect([table, (await tableRows(after, table)).length]).toEqual([table, 0])
  })

  test('the same store, or a SQLite source that does not exist, is refused', async () => {
    const same = await copyStore(sqlite(source), sqlite(source)).catch((error: unknown) => error)
    expect((same as CopyRefused).code).toBe('SAME_STORE')
    const missing = await copyStore(sqlite(sqlitePath('nope.sqlite')), postgres(pgUrl)).catch(
      (e: unknown) => e,
    )
    expect((missing as CopyRefused).code).toBe('NO_SOURCE')
  })
})

describe('a copy of a store being written is one snapshot', () => {
  /** Copies `from` while another connection adds users (each with its change) after the first page. */
  async function copyWhileWriting(
    from: StoreLocation,
    writer: Store,
    orgId: string,
    to: string,
    backup: boolean,
  ) {
    const counted = (await tableRows(writer, 'scim_users', 'id')).length
    let wrote = 0
    const progress = async () => {
      if (wrote > 0) return
      wrote = 5
      await directoryWriter(writer, orgId).users(
        Array.from({ length: wrote }, (_, i) => ({ userName: `during-${i}@${orgId}.example` })),
      )
    }
    const options = { batchRows: 2, progress }
    const result = backup ? await backupStore(from, to, options) : await copyStore(from, sqlite(to), options)
    expect(wrote).toBe(5)
    expect((await tableRows(writer, 'scim_users', 'id')).length).toBe(counted + 5)
    const copy = openSqlite(to)
    const users = await tableRows(copy, 'scim_users', 'id')
    expect(result.tables.scim_users).toBe(counted)
    expect(users.length).toBe(counted)
    // Every user has its change and no change lacks its user (each was one transaction).
    const changes = await tableRows(copy, 'directory_changes', 'seq')
    const upserts = changes.filter((row) => row.kind === 'user' && row.op === 'upsert')
    const live = new Set(users.map((row) => row.id))
    const deleted = new Set(
      changes.filter((row) => row.kind === 'user' && row.op === 'delete').map((r) => r.resource_id),
    )
    expect(new Set(upserts.map((row) => row.resource_id).filter((id) => !deleted.has(id)))).toEqual(live)
    return copy
  }

  test('SQLite source, written by another connection during the copy', async () => {
    const path = sqlitePath('live.sqlite')
    const store = openSqlite(path)
    const [org] = await seedStore(store)
    const writer = openSqlite(path)
    await copyWhileWriting(sqlite(path), writer, org!.id, sqlitePath('live-copy.sqlite'), false)
  })

  test('backup of PostgreSQL while another instance writes; the backup restores', async () => {
    const url = await createDatabase()
    const seeded = sqlitePath('pg-seed.sqlite')
    const [org] = await seedStore(openSqlite(seeded))
    await copyStore(sqlite(seeded), postgres(url))
    const otherInstance = await openPostgres(url)
    const out = sqlitePath('pg-backup.sqlite')
    const backup = await copyWhileWriting(postgres(url), otherInstance, org!.id, out, true)
    const restoredUrl = await createDatabase()
    await copyStore(sqlite(out), postgres(restoredUrl))
    expect(await dumpTables(await openPostgres(restoredUrl), ['feed_counters'])).toEqual(
      await dumpTables(backup),
    )
    // An existing file is never overwritten by accident.
    const again = await backupStore(postgres(url), out).catch((error: unknown) => error)
    expect((again as CopyRefused).code).toBe('TARGET_EXISTS')
    // Four copies and a restore on a fresh cluster: over bun's 5 s default on a busy machine.
  }, 30_000)
})
