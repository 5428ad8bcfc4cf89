/**
 * `okta-bridge store copy` and `okta-bridge backup`: every row of one store into another, between
 * any two engines — the way from SQLite to PostgreSQL for a growing org, and an online snapshot of
 * a running store into a SQLite file that the same copy restores.
 *
 * The copy is generic, table by table from the catalogs, so a table added by a migration is copied
 * without touching this file: both stores are brought to this binary's schema first, and must then
 * have the same tables and columns (PostgreSQL's `feed_counters` aside, see ./copy/feeds.ts).
 * - The source is read inside one snapshot (./copy/sqlite.ts, ./copy/postgres.ts): a copy taken
 *   while servers write is the store as it was at one moment, never half of a transaction.
 * - Each table is read in keyset pages of its primary key and written with bulk inserts, parents
 *   before the rows that refer to them.
 * - The target is written in one transaction, which ends with a count of every table compared with
 *   the source: a mismatch rolls everything back, so the target holds all of the copy or none of it.
 * - A target that holds rows is refused unless `force`, which empties it in that same transaction.
 */
import { existsSync, realpathSync, rmSync } from 'node:fs'
import { resolve } from 'node:path'
import { planFeeds } from './copy/feeds.ts'
import { postgresSnapshot, postgresTarget } from './copy/postgres.ts'
import { sqliteSnapshot, sqliteTarget } from './copy/sqlite.ts'
import type { SnapshotReader, TableShape, TargetTable, TargetWriter, Value } from './copy/types.ts'
import { describeLocation, openStoreAt, type Store, type StoreLocation } from './index.ts'

/** Rows per keyset page: large enough for bulk inserts to pay, small enough to stay in memory. */
export const COPY_BATCH_ROWS = 5_000

export type CopyRefusal =
  | 'NO_SOURCE'
  | 'SAME_STORE'
  | 'TARGET_NOT_EMPTY'
  | 'TARGET_EXISTS'
  | 'SCHEMA_MISMATCH'
  | 'COUNT_MISMATCH'

/** A copy that did not run, or was rolled back: why, in one line the CLI can print. */
export class CopyRefused extends Error {
  constructor(
    readonly code: CopyRefusal,
    message: string,
    /** Per table, when the counts are the reason: what the source had and the target got. */
    readonly tables?: Record<string, { expected: number; copied: number }>,
  ) {
    super(message)
    this.name = 'CopyRefused'
  }
}

export interface CopyProgress {
  table: string
  copied: number
  total: number
  /** Rows copied so far over all tables, and in all. */
  allCopied: number
  allTotal: number
}

export interface CopyOptions {
  /** Empty a target that holds rows (else it is refused). */
  force?: boolean
  /** Called after every page; the copy waits for a returned promise before it reads on. */
  progress?: (progress: CopyProgress) => void | Promise<void>
  batchRows?: number
  now?: number
}

export interface CopyResult {
  /** Where from and where to, as they may be printed (no password). */
  from: string
  to: string
  /** Rows per table in the target, as counted at the end. */
  tables: Record<string, number>
  rows: number
  seconds: number
  /** Feeds whose numbers had to change on the way (see ./copy/feeds.ts). */
  renumbered: string[]
}

/** The same SQLite file or the same PostgreSQL database (credentials and options aside). */
function sameStore(a: StoreLocation, b: StoreLocation): boolean {
  if (a.kind === 'sqlite' && b.kind === 'sqlite') {
    const real = (path: string) => (existsSync(path) ? realpathSync(path) : resolve(path))
    return real(a.path) === real(b.path)
  }
  if (a.kind === 'postgres' && b.kind === 'postgres') {
    const where = (url: string) => {
      const parsed = new URL(url)
      return `${parsed.hostname.toLowerCase()}:${parsed.port || '5432'}${parsed.pathname}`
    }
    return where(a.url) === where(b.url)
  }
  return false
}

const reader = (store: Store): Promise<SnapshotReader> =>
  store.engine.kind === 'sqlite'
    ? Promise.resolve(sqliteSnapshot(store.engine.db))
    : postgresSnapshot(store.engine.sql)

const writer = (store: Store): TargetWriter =>
  store.engine.kind === 'sqlite' ? sqliteTarget(store.engine.db) : postgresTarget(store.engine.sql)

/** The pairs of source and target tables; anything but `feed_counters` on one side only is refused. */
function matchTables(source: TableShape[], target: TargetTable[]): Array<[TableShape, TargetTable]> {
  const own = new Set(['feed_counters'])
  const sources = new Map(source.map((table) => [table.name, table]))
  const targets = new Set(target.map((table) => table.name))
  const lonely = [
    ...source.filter((table) => !targets.has(table.name)).map((table) => `${table.name} (source only)`),
    ...target.filter((table) => !sources.has(table.name)).map((table) => `${table.name} (target only)`),
  ].filter((name) => !own.has(name.split(' ')[0] as string))
  if (lonely.length > 0)
    throw new CopyRefused('SCHEMA_MISMATCH', `the stores' tables differ: ${lonely.join(', ')}`)
  const pairs: Array<[TableShape, TargetTable]> = []
  for (const table of target) {
    const from = sources.get(table.name)
    if (!from) continue
    const missing = table.columns.filter((column) => !from.columns.includes(column))
    if (missing.length > 0 || from.columns.length !== table.columns.length) {
      throw new CopyRefused(
        'SCHEMA_MISMATCH',
        `table ${table.name} has other columns in the source (${from.columns.join(', ')}) than in the target (${table.columns.join(', ')})`,
      )
    }
    if (from.key.length === 0)
      throw new CopyRefused('SCHEMA_MISMATCH', `table ${table.name} has no primary key`)
    pairs.push([from, table])
  }
  return pairs
}

const sameVersions = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i])

/** Copies every row of `from` into `to` (migrating both first). */
export async function copyStore(
  from: StoreLocation,
  to: StoreLocation,
  options: CopyOptions = {},
): Promise<CopyResult> {
  const started = performance.now()
  if (from.kind === 'sqlite' && (from.path === ':memory:' || !existsSync(from.path))) {
    throw new CopyRefused('NO_SOURCE', `there is no SQLite store at ${from.path}`)
  }
  if (sameStore(from, to)) throw new CopyRefused('SAME_STORE', 'the source and the target are the same store')
  const stores: Store[] = []
  let snapshot: SnapshotReader | null = null
  try {
    const source = await openStoreAt(from, { poolSize: 2 })
    stores.push(source)
    const target = await openStoreAt(to, { poolSize: 2 })
    stores.push(target)
    snapshot = await reader(source)
    const sink = writer(target)
    const [sourceCatalog, targetCatalog] = [await snapshot.catalog(), await sink.catalog()]
    if (!sameVersions(sourceCatalog.versions, targetCatalog.versions)) {
      throw new CopyRefused(
        'SCHEMA_MISMATCH',
        `the source has schema versions ${sourceCatalog.versions.join(', ')}, this okta-bridge ${targetCatalog.versions.join(', ')}: copy with the okta-bridge that wrote the source`,
      )
    }
    const pairs = matchTables(sourceCatalog.tables, targetCatalog.tables)
    const occupied: string[] = []
    for (const table of targetCatalog.tables) {
      const n = await sink.count(table.name)
      if (n > 0) occupied.push(`${table.name} (${n})`)
    }
    if (occupied.length > 0 && !options.force) {
      throw new CopyRefused(
        'TARGET_NOT_EMPTY',
        `the target holds rows: ${occupied.join(', ')}; pass --force to replace them`,
      )
    }
    const totals = new Map<string, number>()
    for (const [table] of pairs) totals.set(table.name, await snapshot.count(table.name))
    const plan = await planFeeds(
      snapshot,
      { engine: sink.engine, tables: targetCatalog.tables },
      options.now ?? Date.now(),
    )
    const allTotal = [...totals.values()].reduce((sum, n) => sum + n, 0)
    const batch = options.batchRows ?? COPY_BATCH_ROWS
    const read = snapshot
    const counted = await sink.transaction(async (out) => {
      if (occupied.length > 0) await out.empty(targetCatalog.tables)
      let allCopied = 0
      for (const [shape, table] of pairs) {
        const total = totals.get(table.name) ?? 0
        const rewrite = plan.rewrite.get(table.name)
        const keyAt = shape.key.map((column) => table.columns.indexOf(column))
        let copied = 0
        let after: Value[] | null = null
        // The next page is read while this one is written (PostgreSQL sources answer meanwhile).
        let next = read.page(shape, table.columns, after, batch)
        for (;;) {
          const rows: Value[][] = await next
          if (rows.length === 0) break
          const last = rows.at(-1) as Value[]
          after = keyAt.map((i) => last[i] ?? null)
          next = rows.length < batch ? Promise.resolve([]) : read.page(shape, table.columns, after, batch)
          // A failed insert must not leave the read ahead to reject with no one listening.
          next.catch(() => {})
          const kept = rewrite ? rows.filter(rewrite) : rows
          await out.insert(table, kept)
          copied += rows.length
          allCopied += rows.length
          await options.progress?.({ table: table.name, copied, total, allCopied, allTotal })
        }
      }
      for (const [name, rows] of plan.added) {
        const table = targetCatalog.tables.find((candidate) => candidate.name === name)
        if (table && rows.length > 0) await out.insert(table, rows)
      }
      await out.continueAfter(plan.sequences)
      const counts: Record<string, number> = {}
      const wrong: Record<string, { expected: number; copied: number }> = {}
      const byName = [...targetCatalog.tables].sort((a, b) => (a.name < b.name ? -1 : 1))
      for (const table of byName) {
        const expected =
          (totals.get(table.name) ?? 0) -
          (plan.dropped.get(table.name) ?? 0) +
          (plan.added.get(table.name)?.length ?? 0)
        counts[table.name] = await out.count(table.name)
        if (counts[table.name] !== expected)
          wrong[table.name] = { expected, copied: counts[table.name] as number }
      }
      if (Object.keys(wrong).length > 0) {
        const detail = Object.entries(wrong)
          .map(([name, { expected, copied }]) => `${name}: ${copied} of ${expected}`)
          .join(', ')
        throw new CopyRefused(
          'COUNT_MISMATCH',
          `row counts differ after the copy (rolled back): ${detail}`,
          wrong,
        )
      }
      return counts
    })
    return {
      from: describeLocation(from),
      to: describeLocation(to),
      tables: counted,
      rows: Object.values(counted).reduce((sum, n) => sum + n, 0),
      seconds: (performance.now() - started) / 1000,
      renumbered: plan.renumbered,
    }
  } finally {
    await snapshot?.close()
    for (const store of stores.reverse()) await store.close()
  }
}

export interface BackupOptions extends Omit<CopyOptions, 'force'> {
  /** Replace an existing file at `out`. */
  force?: boolean
}

/**
 * An online, consistent snapshot of the store at `from` (either engine) into a new SQLite file:
 * the same copy as `copyStore`, so what it checks (one snapshot, counts) holds for backups too, and
 * `copyStore(backup, …)` restores it.
 */
export async function backupStore(
  from: StoreLocation,
  out: string,
  options: BackupOptions = {},
): Promise<CopyResult> {
  const target: StoreLocation = { kind: 'sqlite', path: out }
  if (sameStore(from, target)) throw new CopyRefused('SAME_STORE', 'the backup file is the store itself')
  if (existsSync(out)) {
    if (!options.force) throw new CopyRefused('TARGET_EXISTS', `${out} exists; pass --force to replace it`)
    for (const file of [out, `${out}-wal`, `${out}-shm`]) rmSync(file, { force: true })
  }
  try {
    return await copyStore(from, target, { ...options, force: false })
  } catch (error) {
    // No half-made backup file stays behind to be mistaken for one.
    for (const file of [out, `${out}-wal`, `${out}-shm`]) rmSync(file, { force: true })
    throw error
  }
}
