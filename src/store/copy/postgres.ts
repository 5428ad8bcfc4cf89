/**
 * `store copy` on PostgreSQL: the source read on one reserved connection inside
 * `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY` (every statement of it sees the snapshot of
 * its first one, whatever instances write meanwhile), the target written in one transaction with
 * `INSERT … SELECT … FROM unnest($1::text[], $2::int8[], …)`: one parameter per column whatever the
 * number of rows (docs/store.md, "Bulk insert").
 *
 * The catalog comes from `information_schema` (standard SQL). BIGINTs arrive as strings and leave
 * here as numbers, by the column types of the catalog, as everywhere in the store (../postgres/rows.ts).
 */
import type { SQL } from 'bun'
import { decodeRows } from '../postgres/rows.ts'
import {
  type Catalog,
  parentsFirst,
  type SnapshotReader,
  type TableShape,
  type TargetSink,
  type TargetTable,
  type TargetWriter,
  type Value,
} from './types.ts'

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`
const list = (names: string[]) => names.map(quote).join(', ')

/** Column types our schema uses, and how a value of the copy becomes one of them. */
const INTEGER_TYPES = new Set(['int2', 'int4', 'int8'])

interface PostgresCatalog extends Catalog<TargetTable> {
  /** Per table, its identity column (auto-numbered, like SQLite's AUTOINCREMENT), if any. */
  identities: Map<string, string>
}

async function readCatalog(sql: SQL): Promise<PostgresCatalog> {
  const columns = await sql.unsafe<
    Array<{ table_name: string; column_name: string; udt_name: string; is_identity: string }>
  >(
    `SELECT c.table_name, c.column_name, c.udt_name, c.is_identity
       FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
        AND c.table_name <> 'schema_migrations'
      ORDER BY c.table_name, c.ordinal_position`,
  )
  const keys = await sql.unsafe<Array<{ table_name: string; column_name: string }>>(
    `SELECT k.table_name, k.column_name
       FROM information_schema.table_constraints c
       JOIN information_schema.key_column_usage k
         ON k.constraint_schema = c.constraint_schema AND k.constraint_name = c.constraint_name
      WHERE c.table_schema = current_schema() AND c.constraint_type = 'PRIMARY KEY'
      ORDER BY k.table_name, k.ordinal_position`,
  )
  const references = await sql.unsafe<Array<{ table_name: string; referenced: string }>>(
    `SELECT DISTINCT c.table_name, u.table_name AS referenced
       FROM information_schema.table_constraints c
       JOIN information_schema.constraint_column_usage u
         ON u.constraint_schema = c.constraint_schema AND u.constraint_name = c.constraint_name
      WHERE c.table_schema = current_schema() AND c.constraint_type = 'FOREIGN KEY'`,
  )
  const tables = new Map<string, TargetTable>()
  const identities = new Map<string, string>()
  for (const column of columns) {
    let table = tables.get(column.table_name)
    if (!table) {
      table = { name: column.table_name, columns: [], types: [], key: [], references: [] }
      tables.set(column.table_name, table)
    }
    table.columns.push(column.column_name)
    table.types.push(column.udt_name)
    if (column.is_identity === 'YES') identities.set(column.table_name, column.column_name)
  }
  for (const key of keys) tables.get(key.table_name)?.key.push(key.column_name)
  for (const reference of references) {
    const table = tables.get(reference.table_name)
    if (table && reference.referenced !== table.name) table.references.push(reference.referenced)
  }
  const versions = decodeRows(
    await sql.unsafe<Array<{ version: number }>>('SELECT version FROM schema_migrations ORDER BY version'),
  ).map((row) => row.version)
  return { tables: parentsFirst([...tables.values()]), versions, identities }
}

async function countRows(sql: SQL, table: string): Promise<number> {
  const [row] = await sql.unsafe<Array<{ n: number }>>(`SELECT count(*)::int8 AS n FROM ${quote(table)}`)
  return Number(row?.n ?? 0)
}

/** The highest number an identity column has handed out (or been moved past), or 0. */
async function identityMark(sql: SQL, table: string, column: string): Promise<number> {
  const [named] = await sql.unsafe<Array<{ name: string | null }>>(
    'SELECT pg_get_serial_sequence($1, $2) AS name',
    [quote(table), column],
  )
  if (!named?.name) return 0
  // A sequence moved with RESTART WITH n reports last_value n with is_called false: n - 1 is used.
  const [state] = await sql.unsafe<Array<{ last_value: string; is_called: boolean }>>(
    `SELECT last_value, is_called FROM ${named.name}`,
  )
  if (!state) return 0
  return Number(state.last_value) - (state.is_called ? 0 : 1)
}

/** Opens the snapshot on a connection of its own, which it holds until `close`. */
export async function postgresSnapshot(sql: SQL): Promise<SnapshotReader> {
  const connection = await sql.reserve()
  try {
    await connection.unsafe('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
    // The snapshot is taken by the transaction's first statement: take it now.
    await connection.unsafe('SELECT 1')
  } catch (error) {
    connection.release()
    throw error
  }
  let catalog: PostgresCatalog | null = null
  const load = async () => {
    catalog ??= await readCatalog(connection)
    return catalog
  }
  return {
    engine: 'postgres',
    catalog: load,
    count: (table) => countRows(connection, table),
    async page(table: TableShape, columns: string[], after: Value[] | null, limit: number) {
      const shape = (await load()).tables.find((candidate) => candidate.name === table.name)
      const wide = columns.map((column) => shape?.types[shape.columns.indexOf(column)] === 'int8')
      const select = `SELECT ${list(columns)} FROM ${quote(table.name)}`
      const order = `ORDER BY ${list(table.key)} LIMIT $${table.key.length + 1}`
      const text =
        after === null
          ? `${select} ORDER BY ${list(table.key)} LIMIT $1`
          : `${select} WHERE (${list(table.key)}) > (${table.key.map((_, i) => `$${i + 1}`).join(', ')}) ${order}`
      const rows = (await connection
        .unsafe(text, after === null ? [limit] : [...after, limit])
        .values()) as Value[][]
      for (const row of rows) {
        for (let i = 0; i < row.length; i++) {
          const value = row[i]
          if (wide[i] && typeof value === 'string') row[i] = Number(value)
        }
      }
      return rows
    },
    all: async (text) => decodeRows(await connection.unsafe<Array<Record<string, Value>>>(text)),
    async sequences() {
      const marks = new Map<string, number>()
      for (const [table, column] of (await load()).identities) {
        marks.set(table, await identityMark(connection, table, column))
      }
      return marks
    },
    async close() {
      try {
        await connection.unsafe('ROLLBACK')
      } finally {
        connection.release()
      }
    },
  }
}

/** A value as the target column's type wants it (SQLite may hold a number in a TEXT column). */
function coerce(value: Value, type: string): Value {
  if (value === null) return null
  if (INTEGER_TYPES.has(type)) return typeof value === 'number' ? value : Number(value)
  return typeof value === 'string' ? value : String(value)
}

function sink(tx: SQL, catalog: PostgresCatalog): TargetSink {
  return {
    async empty(tables) {
      if (tables.length > 0) await tx.unsafe(`TRUNCATE ${list(tables.map((table) => table.name))}`)
    },
    async insert(table, rows) {
      if (rows.length === 0) return
      const arrays = table.columns.map((_, column) =>
        rows.map((row) => coerce(row[column] ?? null, table.types[column] as string)),
      )
      const unnest = table.types.map((type, i) => `$${i + 1}::${type}[]`).join(', ')
      await tx.unsafe(
        `INSERT INTO ${quote(table.name)} (${list(table.columns)}) SELECT * FROM unnest(${unnest})`,
        arrays,
      )
    },
    count: (table) => countRows(tx, table),
    async continueAfter(sequences) {
      for (const [table, last] of sequences) {
        const column = catalog.identities.get(table)
        if (!column) continue
        const [row] = await tx.unsafe<Array<{ n: string | null }>>(
          `SELECT max(${quote(column)}) AS n FROM ${quote(table)}`,
        )
        const next = Math.max(last, Number(row?.n ?? 0)) + 1
        await tx.unsafe(`ALTER TABLE ${quote(table)} ALTER COLUMN ${quote(column)} RESTART WITH ${next}`)
      }
    },
  }
}

/**
 * Foreign keys and plain indexes of the target's tables, dropped for the load and made again after
 * it, inside the same transaction. Checked row by row, the foreign keys alone cost more than the
 * inserts (measured: 1M memberships at ~50,000 rows/s with them, ~170,000 without); made again
 * afterwards, each is checked or built in one pass, and a row that breaks one still fails the copy.
 * Primary keys and unique constraints stay, so the rows' keys are checked as they arrive.
 */
async function loosen(tx: SQL, tables: string[]): Promise<() => Promise<void>> {
  const foreignKeys = await tx.unsafe<Array<{ table_name: string; name: string; definition: string }>>(
    `SELECT c.relname AS table_name, k.conname AS name, pg_get_constraintdef(k.oid) AS definition
       FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
      WHERE k.contype = 'f' AND c.relnamespace = current_schema()::regnamespace
        AND c.relname = ANY($1::text[])
      ORDER BY c.relname, k.conname`,
    [tables],
  )
  const indexes = await tx.unsafe<Array<{ name: string; definition: string }>>(
    `SELECT x.relname AS name, pg_get_indexdef(i.indexrelid) AS definition
       FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class x ON x.oid = i.indexrelid
      WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY($1::text[])
        AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))
      ORDER BY x.relname`,
    [tables],
  )
  for (const key of foreignKeys)
    await tx.unsafe(`ALTER TABLE ${quote(key.table_name)} DROP CONSTRAINT ${quote(key.name)}`)
  for (const index of indexes) await tx.unsafe(`DROP INDEX ${quote(index.name)}`)
  return async () => {
    for (const index of indexes) await tx.unsafe(index.definition)
    for (const key of foreignKeys)
      await tx.unsafe(
        `ALTER TABLE ${quote(key.table_name)} ADD CONSTRAINT ${quote(key.name)} ${key.definition}`,
      )
  }
}

export function postgresTarget(sql: SQL): TargetWriter {
  let catalog: PostgresCatalog | null = null
  const load = async () => {
    catalog ??= await readCatalog(sql)
    return catalog
  }
  return {
    engine: 'postgres',
    catalog: load,
    count: (table) => countRows(sql, table),
    async transaction(work) {
      const loaded = await load()
      const names = loaded.tables.map((table) => table.name)
      const result = (await sql.begin(async (tx) => {
        const tighten = await loosen(tx, names)
        const done = await work(sink(tx, loaded))
        await tighten()
        return done
      })) as Awaited<ReturnType<typeof work>>
      // Fresh statistics, or the first queries on the copy are planned for empty tables.
      await sql.unsafe(`ANALYZE ${list(names)}`)
      return result
    },
  }
}
