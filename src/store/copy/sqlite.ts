/**
 * `store copy` on SQLite: the source read inside one deferred read transaction (in WAL mode its
 * first read fixes a snapshot that concurrent writers never change, however long the copy takes),
 * the target written in one IMMEDIATE transaction with multi-row INSERTs.
 *
 * SQLite's own bookkeeping stays out of the table list: `sqlite_sequence` is not copied as rows but
 * set through `continueAfter`, so AUTOINCREMENT never hands out a number the copied rows (or the
 * cursors pointing into them) already use.
 */
import type { Db } from '../database.ts'
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

/** At most this many bound values per INSERT: SQLite's historical limit, safe on any build. */
const MAX_VARIABLES = 999

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`
const list = (names: string[]) => names.map(quote).join(', ')

function versions(db: Db): number[] {
  return db
    .query<{ version: number }, []>('SELECT version FROM schema_migrations ORDER BY version')
    .all()
    .map((row) => row.version)
}

function readCatalog(db: Db): Catalog<TargetTable> {
  const names = db
    .query<{ name: string }, []>(
      "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name",
    )
    .all()
    .map((row) => row.name)
  const tables = names.map((name): TargetTable => {
    const columns = db
      .query<{ name: string; type: string; pk: number }, []>(`PRAGMA table_info(${quote(name)})`)
      .all()
    const references = db
      .query<{ table: string }, []>(`PRAGMA foreign_key_list(${quote(name)})`)
      .all()
      .map((row) => row.table)
      .filter((table) => table !== name)
    return {
      name,
      columns: columns.map((column) => column.name),
      types: columns.map((column) => (/INT/i.test(column.type) ? 'integer' : 'text')),
      key: columns
        .filter((column) => column.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((column) => column.name),
      references: [...new Set(references)],
    }
  })
  return { tables: parentsFirst(tables), versions: versions(db) }
}

function countRows(db: Db, table: string): number {
  return db.query<{ n: number }, []>(`SELECT count(*) AS n FROM ${quote(table)}`).get()?.n ?? 0
}

/** A value as the copy carries it; a BLOB would be ours by mistake and is refused, not mangled. */
function plain(value: unknown, table: string): Value {
  if (value === null || typeof value === 'string' || typeof value === 'number') return value
  if (typeof value === 'bigint') return Number(value)
  throw new Error(`table ${table} holds a value the copy does not carry (${typeof value})`)
}

/**
 * Opens a read snapshot on `db`. The BEGIN is deferred, so the snapshot is fixed by the first
 * read, which happens here rather than at the first page: everything later sees that moment.
 */
export function sqliteSnapshot(db: Db): SnapshotReader {
  db.exec('BEGIN')
  db.query('SELECT count(*) FROM sqlite_schema').get()
  const pages = new Map<string, { first: ReturnType<Db['query']>; next: ReturnType<Db['query']> }>()
  return {
    engine: 'sqlite',
    catalog: async () => readCatalog(db),
    count: async (table) => countRows(db, table),
    async page(table: TableShape, columns: string[], after: Value[] | null, limit: number) {
      const id = `${table.name}\n${columns.join(',')}`
      let statements = pages.get(id)
      if (!statements) {
        const select = `SELECT ${list(columns)} FROM ${quote(table.name)}`
        const order = `ORDER BY ${list(table.key)} LIMIT ?`
        const keys = `(${list(table.key)}) > (${table.key.map(() => '?').join(', ')})`
        statements = {
          first: db.query(`${select} ${order}`),
          next: db.query(`${select} WHERE ${keys} ${order}`),
        }
        pages.set(id, statements)
      }
      const rows = (
        after === null ? statements.first.values(limit) : statements.next.values(...after, limit)
      ) as unknown[][]
      return rows.map((row) => row.map((value) => plain(value, table.name)))
    },
    all: async (text) => db.query<Record<string, Value>, []>(text).all(),
    async sequences() {
      const rows = db.query<{ name: string; seq: number }, []>('SELECT name, seq FROM sqlite_sequence').all()
      return new Map(rows.map((row) => [row.name, row.seq]))
    },
    async close() {
      if (db.inTransaction) db.exec('ROLLBACK')
    },
  }
}

function sink(db: Db): TargetSink {
  const inserts = new Map<string, { rows: number; statement: ReturnType<Db['query']> }>()
  const statement = (table: TargetTable, rows: number) => {
    const id = `${table.name}\n${rows}`
    let entry = inserts.get(id)
    if (!entry) {
      const row = `(${table.columns.map(() => '?').join(', ')})`
      const values = Array.from({ length: rows }, () => row).join(', ')
      entry = {
        rows,
        statement: db.query(`INSERT INTO ${quote(table.name)} (${list(table.columns)}) VALUES ${values}`),
      }
      inserts.set(id, entry)
    }
    return entry.statement
  }
  return {
    async empty(tables) {
      for (const table of [...tables].reverse()) db.exec(`DELETE FROM ${quote(table.name)}`)
    },
    async insert(table, rows) {
      const perStatement = Math.max(1, Math.floor(MAX_VARIABLES / table.columns.length))
      let at = 0
      for (; at + perStatement <= rows.length; at += perStatement) {
        statement(table, perStatement).run(...rows.slice(at, at + perStatement).flat())
      }
      for (; at < rows.length; at++) statement(table, 1).run(...(rows[at] as Value[]))
    },
    count: async (table) => countRows(db, table),
    async continueAfter(sequences) {
      const numbered = new Set(
        db
          .query<{ name: string }, []>(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND sql LIKE '%AUTOINCREMENT%'",
          )
          .all()
          .map((row) => row.name),
      )
      for (const [table, last] of sequences) {
        if (!numbered.has(table)) continue
        // Never lower: inserting rows with their numbers already moved it to their maximum.
        const moved = db
          .query('UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?')
          .run(last, table).changes
        if (moved === 0) db.query('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)').run(table, last)
      }
    },
  }
}

export function sqliteTarget(db: Db): TargetWriter {
  return {
    engine: 'sqlite',
    catalog: async () => readCatalog(db),
    count: async (table) => countRows(db, table),
    async transaction(work) {
      db.exec('BEGIN IMMEDIATE')
      try {
        const result = await work(sink(db))
        db.exec('COMMIT')
        return result
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK')
        throw error
      }
    },
  }
}
