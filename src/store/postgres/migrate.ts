/**
 * Applies the numbered PostgreSQL migrations at start, so that any number of instances starting at
 * once apply each migration exactly once, and an older binary never runs on a newer store.
 *
 * All of it happens on one reserved connection holding a session-level advisory lock
 * (`pg_advisory_lock`, PostgreSQL-specific): the second instance waits on the lock, then finds the
 * migrations recorded and applies none. Each migration runs in its own transaction (PostgreSQL
 * rolls DDL back, so a failed migration leaves nothing half done) and is recorded in
 * `schema_migrations` in that same transaction. A session lock rather than a transaction lock
 * (`pg_advisory_xact_lock`) because it spans several transactions, and leaves room for a migration
 * that cannot run inside one (CREATE INDEX CONCURRENTLY); the server drops it with the connection if
 * the process dies.
 */
import type { SQL } from 'bun'
import type { Migration } from '../migrations/index.ts'
import { postgresMigrations } from './migrations/index.ts'
import { decodeRows } from './rows.ts'

/**
 * The advisory lock key of migrations (any fixed int8; advisory locks are per database, so stores in
 * other databases of the same cluster never wait for each other). ASCII "okbmig" as a number, a safe
 * integer: Bun.sql binds a number past 2^53 as a double, and pg_advisory_lock(double) does not exist.
 */
export const MIGRATION_LOCK_KEY = 0x6f_6b_62_6d_69_67

/** The store was migrated by a newer okta-bridge: this binary must not touch it. */
export class StoreNewerThanBinary extends Error {
  constructor(
    readonly unknownVersions: number[],
    readonly knownUpTo: number,
  ) {
    super(
      `the store's schema has migration ${unknownVersions.join(', ')}, which this okta-bridge does not ` +
        `know (it knows up to ${knownUpTo}): a newer okta-bridge has used this database. Run that ` +
        'version (or newer) instead; a store is never migrated backwards.',
    )
    this.name = 'StoreNewerThanBinary'
  }
}

/** Brings the database to the newest known schema; returns the versions this call applied. */
export async function migratePostgres(
  sql: SQL,
  migrations: Migration[] = postgresMigrations,
): Promise<number[]> {
  const connection = await sql.reserve()
  try {
    await connection`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`
    try {
      return await applyMissing(connection, migrations)
    } finally {
      await connection`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`
    }
  } finally {
    connection.release()
  }
}

async function applyMissing(connection: SQL, migrations: Migration[]): Promise<number[]> {
  // Under the lock: two concurrent CREATE TABLE IF NOT EXISTS can still collide in the catalog.
  await connection.unsafe(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
  )
  const rows = decodeRows(await connection<{ version: number }[]>`SELECT version FROM schema_migrations`)
  const applied = new Set(rows.map((row) => row.version))
  const known = new Set(migrations.map((migration) => migration.version))
  const unknown = [...applied].filter((version) => !known.has(version)).sort((a, b) => a - b)
  if (unknown.length > 0) throw new StoreNewerThanBinary(unknown, Math.max(0, ...known))
  const ran: number[] = []
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(migration.version)) continue
    await connection.begin(async (tx) => {
      await tx.unsafe(migration.up)
      await tx`INSERT INTO schema_migrations (version, name, applied_at)
               VALUES (${migration.version}, ${migration.name}, ${Date.now()})`
    })
    ran.push(migration.version)
  }
  return ran
}
