/**
 * The PostgreSQL schema (src/store/postgres/migrations/) is the SQLite schema (src/store/migrations/)
 * in the other dialect: the same migration versions, tables, columns in the same order, nullability,
 * defaults, keys, unique constraints, foreign keys and named indexes — read back from each engine's
 * own catalog after migrating, not from the migration text. The differences are deliberate and listed
 * here (the per-org feed numbering); anything else means a migration was added or changed on one
 * engine only.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { SQL } from 'bun'
import { type Db, openDatabase } from '../../src/store/database.ts'
import { migrations as sqliteMigrations } from '../../src/store/migrations/index.ts'
import { migratePostgres } from '../../src/store/postgres/migrate.ts'
import { postgresMigrations } from '../../src/store/postgres/migrations/index.ts'
import { createDatabase } from '../support/postgres.ts'

/** PostgreSQL only: the counters that number the feeds per org. */
const POSTGRES_ONLY_TABLES = ['feed_counters']
/** Per-org feed numbers: the key includes the org, and that key replaces SQLite's (org_id, seq) index. */
const POSTGRES_PRIMARY_KEYS: Record<string, string[]> = {
  directory_changes: ['org_id', 'seq'],
  events: ['org_id', 'id'],
}
const SQLITE_ONLY_INDEXES = ['directory_changes_org', 'events_org']

interface Column {
  name: string
  type: string
  notNull: boolean
  default: string | null
}
interface Index {
  name: string
  table: string
  unique: boolean
  partial: boolean
  columns: string[]
}

let sqlite: Db
let pg: SQL

beforeAll(async () => {
  sqlite = openDatabase({ path: ':memory:' })
  pg = new SQL(await createDatabase(), { max: 2 })
  await migratePostgres(pg)
}, 30_000)

afterAll(async () => {
  sqlite.close()
  await pg.close()
})

// --- SQLite's catalog -------------------------------------------------------------------------

function sqliteTables(): string[] {
  return sqlite
    .query<{ name: string }, []>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .all()
    .map((row) => row.name)
}

function sqliteColumns(table: string): Column[] {
  return sqlite
    .query<{ name: string; type: string; notnull: number; dflt_value: string | null; pk: number }, []>(
      `PRAGMA table_info(${table})`,
    )
    .all()
    .map((row) => ({
      name: row.name,
      type: row.type.toLowerCase(),
      // SQLite lets a non-INTEGER primary key column hold NULL unless it says NOT NULL; PostgreSQL never.
      notNull: row.notnull === 1 || row.pk > 0,
      default: row.dflt_value,
    }))
}

function sqlitePrimaryKey(table: string): string[] {
  return sqlite
    .query<{ name: string; pk: number }, []>(`PRAGMA table_info(${table})`)
    .all()
    .filter((row) => row.pk > 0)
    .sort((a, b) => a.pk - b.pk)
    .map((row) => row.name)
}

/** origin 'c': CREATE INDEX, 'u': a UNIQUE constraint, 'pk': the primary key. */
function sqliteIndexes(table: string, origin: 'c' | 'u'): Index[] {
  return sqlite
    .query<{ name: string; unique: number; origin: string; partial: number }, []>(
      `PRAGMA index_list(${table})`,
    )
    .all()
    .filter((row) => row.origin === origin)
    .map((row) => ({
      name: row.name,
      table,
      unique: row.unique === 1,
      partial: row.partial === 1,
      columns: sqlite
        .query<{ name: string | null; key: number }, []>(`PRAGMA index_xinfo(${row.name})`)
        .all()
        .filter((column) => column.key === 1)
        .map((column) => column.name ?? '<expression>'),
    }))
}

function sqliteForeignKeys(table: string): string[] {
  return sqlite
    .query<{ from: string; table: string; to: string; on_delete: string }, []>(
      `PRAGMA foreign_key_list(${table})`,
    )
    .all()
    .map((row) => `${table}.${row.from} -> ${row.table}.${row.to} ON DELETE ${row.on_delete}`)
}

// --- PostgreSQL's catalog ---------------------------------------------------------------------

async function postgresTables(): Promise<string[]> {
  const rows = await pg<{ table_name: string }[]>`
    SELECT table_name FROM information_schema.tables
    WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`
  return rows.map((row) => row.table_name)
}

async function postgresColumns(table: string): Promise<Column[]> {
  const rows = await pg<
    { column_name: string; data_type: string; is_nullable: string; column_default: string | null }[]
  >`
    SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name = ${table} ORDER BY ordinal_position`
  return rows.map((row) => ({
    name: row.column_name,
    type: row.data_type,
    notNull: row.is_nullable === 'NO',
    // '{}'::text → '{}' (PostgreSQL prints the cast it will apply).
    default: row.column_default?.replace(/::[a-z ]+$/, '') ?? null,
  }))
}

async function postgresPrimaryKey(table: string): Promise<string[]> {
  const rows = await pg<{ column_name: string }[]>`
    SELECT k.column_name FROM information_schema.table_constraints c
    JOIN information_schema.key_column_usage k
      ON k.constraint_name = c.constraint_name AND k.table_schema = c.table_schema
    WHERE c.table_schema = current_schema() AND c.table_name = ${table} AND c.constraint_type = 'PRIMARY KEY'
    ORDER BY k.ordinal_position`
  return rows.map((row) => row.column_name)
}

/** Indexes not backing a constraint (`constraints: false`) or only those backing UNIQUE (`true`). */
async function postgresIndexes(table: string, constraints: boolean): Promise<Index[]> {
  const rows = await pg<
    { name: string; unique: boolean; partial: boolean; columns: string[]; contype: string | null }[]
  >`
    SELECT i.relname AS name, x.indisunique AS unique, x.indpred IS NOT NULL AS partial, c.contype,
           ARRAY(SELECT CASE WHEN k.attnum = 0 THEN '<expression>' ELSE a.attname END
                 FROM unnest(x.indkey) WITH ORDINALITY AS k(attnum, n)
                 LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
                 ORDER BY k.n) AS columns
    FROM pg_index x
    JOIN pg_class i ON i.oid = x.indexrelid
    JOIN pg_class t ON t.oid = x.indrelid
    LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid
    WHERE t.relname = ${table} AND t.relnamespace = current_schema()::regnamespace`
  return rows
    .filter((row) => (constraints ? row.contype === 'u' : row.contype === null))
    .map((row) => ({ name: row.name, table, unique: row.unique, partial: row.partial, columns: row.columns }))
}

async function postgresForeignKeys(table: string): Promise<string[]> {
  const rows = await pg<{ from: string; to_table: string; to: string; on_delete: string }[]>`
    SELECT a.attname AS from, t.relname AS to_table, b.attname AS to,
           CASE c.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'a' THEN 'NO ACTION' ELSE c.confdeltype::text END AS on_delete
    FROM pg_constraint c
    JOIN pg_class s ON s.oid = c.conrelid
    JOIN pg_class t ON t.oid = c.confrelid
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
    JOIN pg_attribute b ON b.attrelid = c.confrelid AND b.attnum = c.confkey[1]
    WHERE c.contype = 'f' AND s.relname = ${table}`
  return rows.map((row) => `${table}.${row.from} -> ${row.to_table}.${row.to} ON DELETE ${row.on_delete}`)
}

const byName = <T extends { name: string }>(items: T[]) =>
  [...items].sort((a, b) => a.name.localeCompare(b.name))
const columnSets = (indexes: Index[]) => indexes.map((index) => index.columns.join(',')).sort()

// --- the comparisons --------------------------------------------------------------------------

describe('the PostgreSQL schema equals the SQLite schema', () => {
  test('every SQLite migration has a PostgreSQL twin with the same version and name', () => {
    const list = (migrations: { version: number; name: string }[]) =>
      migrations.map((migration) => `${migration.version} ${migration.name}`)
    expect(list(postgresMigrations)).toEqual(list(sqliteMigrations))
  })

  test('the same tables (plus the feed counters)', async () => {
    expect(await postgresTables()).toEqual([...sqliteTables(), ...POSTGRES_ONLY_TABLES].sort())
  })

  test('the same columns in the same order, nullability and defaults; integers as SMALLINT/INTEGER/BIGINT', async () => {
    for (const table of sqliteTables()) {
      const lite = sqliteColumns(table)
      const post = await postgresColumns(table)
      expect({ table, columns: post.map((c) => c.name) }).toEqual({ table, columns: lite.map((c) => c.name) })
      for (const [i, column] of lite.entries()) {
        const twin = post[i]!
        const where = `${table}.${column.name}`
        expect({ where, notNull: twin.notNull, default: twin.default }).toEqual({
          where,
          notNull: column.notNull,
          default: column.default,
        })
        if (column.type === 'text') expect({ where, type: twin.type }).toEqual({ where, type: 'text' })
        else {
          expect({ where, sqlite: column.type }).toEqual({ where, sqlite: 'integer' })
          expect(['smallint', 'integer', 'bigint']).toContain(twin.type)
        }
        // Unix milliseconds outgrow INTEGER (int4) in 1970: every time is BIGINT.
        if (/_at$/.test(column.name)) expect({ where, type: twin.type }).toEqual({ where, type: 'bigint' })
      }
    }
  })

  test('the same primary keys, except the per-org feed numbers', async () => {
    for (const table of sqliteTables()) {
      const expected = POSTGRES_PRIMARY_KEYS[table] ?? sqlitePrimaryKey(table)
      expect({ table, key: await postgresPrimaryKey(table) }).toEqual({ table, key: expected })
    }
  })

  test('the same unique constraints and foreign keys', async () => {
    for (const table of sqliteTables()) {
      const unique = columnSets(await postgresIndexes(table, true))
      expect({ table, unique }).toEqual({ table, unique: columnSets(sqliteIndexes(table, 'u')) })
      const foreign = (await postgresForeignKeys(table)).sort()
      expect({ table, foreign }).toEqual({ table, foreign: sqliteForeignKeys(table).sort() })
    }
  })

  test('the same named indexes: columns, uniqueness, partial', async () => {
    for (const table of sqliteTables()) {
      const lite = sqliteIndexes(table, 'c').filter((index) => !SQLITE_ONLY_INDEXES.includes(index.name))
      expect(byName(await postgresIndexes(table, false))).toEqual(byName(lite))
    }
  })
})
