/**
 * Opens the embedded SQLite store (WAL mode) and applies the numbered migrations. This is the only
 * module that creates a connection; repositories receive the `Db` and prepare their statements once.
 *
 * Durability: WAL with `synchronous = NORMAL` keeps every committed transaction across a process
 * crash (`kill -9`); only an OS crash or power loss may lose the last commits, which is the usual
 * trade-off for a server store. `busy_timeout` lets the CLI write while the server runs.
 */
import { Database } from 'bun:sqlite'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { migrations } from './migrations/index.ts'

export type Db = Database

export interface OpenOptions {
  /** A file path, or ':memory:' for tests. */
  path: string
}

export function openDatabase(options: OpenOptions): Db {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true })
  const db = new Database(options.path, { create: true, strict: true })
  db.exec('PRAGMA busy_timeout = 5000')
  if (options.path !== ':memory:') db.exec('PRAGMA journal_mode = WAL')
  db.exec('PRAGMA synchronous = NORMAL')
  db.exec('PRAGMA foreign_keys = ON')
  db.exec('PRAGMA temp_store = MEMORY')
  db.exec('PRAGMA cache_size = -65536')
  migrate(db)
  return db
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
  return db.transaction(work).immediate()
}
