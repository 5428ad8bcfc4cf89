/**
 * Opens the embedded SQLite store (WAL mode) and applies the numbered migrations. This is the only
 * module that creates a connection; repositories receive the `Db` and prepare their statements once.
 *
 * Durability: WAL with `synchronous = NORMAL` keeps every committed transaction across a process
 * crash (`kill -9`); only an OS crash or power loss may lose the last commits, which is the usual
 * trade-off for a server store. `busy_timeout` lets the CLI write while the server runs.
 *
 * The server has two connections in one process: the HTTP thread's and the sync scheduler's thread's
 * (src/sync/worker.ts). They share a write gate (./sqlite/write-gate.ts) so the HTTP thread never
 * sleeps in SQLite's busy handler behind a scheduler batch, and WAL checkpoints (the only fsyncs) run
 * on the scheduler's thread instead of inside a SCIM request's commit (./sqlite/pacing.ts).
 */
import { Database } from 'bun:sqlite'
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import { migrations } from './migrations/index.ts'
import { hookStatements, underWriteGate } from './sqlite/write-gate.ts'

export type Db = Database

export interface OpenOptions {
  /** A file path, or ':memory:' for tests. */
  path: string
  /** Page cache of this connection in KiB (64 MiB by default). */
  cacheKiB?: number
  /**
   * WAL pages after which a commit checkpoints by itself (SQLite's default: 1000). A connection
   * whose checkpoints are run by another thread sets a high value, kept only as a backstop.
   */
  autoCheckpointPages?: number
}

/** What `secureStoreFiles` found: files it tightened, and a folder it left looser than 0700. */
export interface StoreFileModes {
  tightened: string[]
  looseFolder: string | null
}

/**
 * The store holds private keys, hashes and everybody's directory: a new folder is created 0700 and
 * the file 0600 before SQLite opens it (SQLite gives the -wal and -shm files the database file's
 * mode). Existing store files with looser modes are tightened — they are ours; an existing folder
 * looser than 0700 is only reported (the server logs a warning), since it may be a shared folder or
 * a mount point whose modes are someone else's choice, and the files in it are private anyway.
 */
export function secureStoreFiles(path: string): StoreFileModes {
  const result: StoreFileModes = { tightened: [], looseFolder: null }
  if (path === ':memory:') return result
  const loose = (target: string, mode: number) => (statSync(target).mode & 0o777 & ~mode) !== 0
  const dir = dirname(path)
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 })
  else if (loose(dir, 0o700)) result.looseFolder = dir
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600))
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    if (!existsSync(file) || !loose(file, 0o600)) continue
    chmodSync(file, 0o600)
    result.tightened.push(file)
  }
  return result
}

export function openDatabase(options: OpenOptions): Db {
  secureStoreFiles(options.path)
  const db = new Database(options.path, { create: true, strict: true })
  db.exec('PRAGMA busy_timeout = 5000')
  if (options.path !== ':memory:') db.exec('PRAGMA journal_mode = WAL')
  db.exec('PRAGMA synchronous = NORMAL')
  db.exec('PRAGMA foreign_keys = ON')
  db.exec('PRAGMA temp_store = MEMORY')
  db.exec(`PRAGMA cache_size = -${Math.trunc(options.cacheKiB ?? 65536)}`)
  if (options.autoCheckpointPages !== undefined) setAutoCheckpoint(db, options.autoCheckpointPages)
  hookStatements(db)
  migrate(db)
  return db
}

/** Sets after how many WAL pages a commit on this connection checkpoints by itself (0: never). */
export function setAutoCheckpoint(db: Db, pages: number): void {
  db.exec(`PRAGMA wal_autocheckpoint = ${Math.max(0, Math.trunc(pages))}`)
}

/**
 * Copies committed WAL pages into the database file without waiting for (or blocking) readers and
 * writers; returns the WAL's size in pages and how many of them are now in the database file.
 */
export function checkpointPassive(db: Db): { walPages: number; checkpointed: number } {
  const row = db
    .query<{ busy: number; log: number; checkpointed: number }, []>('PRAGMA wal_checkpoint(PASSIVE)')
    .get()
  return { walPages: row?.log ?? 0, checkpointed: row?.checkpointed ?? 0 }
}

export function migrate(db: Db): number[] {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  )
  const applied = new Set(
    db
      .query<{ version: number }, []>('SELECT version FROM schema_migrations')
      .all()
      .map((row) => row.version),
  )
  const ran: number[] = []
  for (const migration of migrations) {
    if (applied.has(migration.version)) continue
    // IMMEDIATE: two processes starting at once must not both apply the same migration.
    db.transaction(() => {
      const again = db
        .query<{ n: number }, [number]>('SELECT count(*) AS n FROM schema_migrations WHERE version = ?')
        .get(migration.version)
      if (again && again.n > 0) return
      db.exec(migration.up)
      db.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.name,
        Date.now(),
      )
      ran.push(migration.version)
    }).immediate()
  }
  return ran
}

/** Runs `work` in one IMMEDIATE transaction (takes the write lock up front, so no upgrade deadlock). */
export function inTransaction<T>(db: Db, work: () => T): T {
  return underWriteGate(db, () => db.transaction(work).immediate())
}
