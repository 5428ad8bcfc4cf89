/**
 * What `store copy` (../copy.ts) asks of each engine, so the copy itself is written once: a source
 * read inside one snapshot, table by table in keyset pages, and a target written in one transaction
 * with bulk inserts. Rows travel as arrays of plain values in the target's column order; the engines
 * (./sqlite.ts, ./postgres.ts) turn them into their own statements and types.
 */

/** A column value as both engines hold ours: text, an integer (BIGINTs decoded), or null. */
export type Value = string | number | null

export interface TableShape {
  name: string
  /** Every column, in the table's own order. */
  columns: string[]
  /** The primary key's columns, in key order: the keyset of the pages. */
  key: string[]
}

/** A target table: its shape, plus what a bulk insert needs to know of its columns. */
export interface TargetTable extends TableShape {
  /** Per column: 'text' or 'integer' (SQLite's affinity; PostgreSQL's `udt_name` for its casts). */
  types: string[]
  /** The tables its foreign keys point to (other than itself). */
  references: string[]
}

/** A store's tables (the migrations' bookkeeping and the engine's own tables left out). */
export interface Catalog<T extends TableShape = TableShape> {
  tables: T[]
  /** The schema versions recorded in `schema_migrations`. */
  versions: number[]
}

/** The source, inside one read snapshot taken when it was opened. */
export interface SnapshotReader {
  readonly engine: 'sqlite' | 'postgres'
  catalog(): Promise<Catalog>
  count(table: string): Promise<number>
  /** Up to `limit` rows of `columns` after the key values `after` (null: from the start), in key order. */
  page(table: TableShape, columns: string[], after: Value[] | null, limit: number): Promise<Value[][]>
  /** A small read-only query's rows (aggregates for the feed numbering), BIGINTs as numbers. */
  all(text: string): Promise<Array<Record<string, Value>>>
  /**
   * The highest number each auto-numbered table has handed out (SQLite's `sqlite_sequence`,
   * PostgreSQL's identity columns), which may be past the rows left.
   */
  sequences(): Promise<Map<string, number>>
  /** Ends the snapshot. */
  close(): Promise<void>
}

/** The target's side of its one transaction. */
export interface TargetSink {
  /** Deletes every row of these tables (children first: `tables` is in insert order). */
  empty(tables: TargetTable[]): Promise<void>
  insert(table: TargetTable, rows: Value[][]): Promise<void>
  count(table: string): Promise<number>
  /**
   * Moves the auto-numbering of these tables past the given numbers, so the store never hands out
   * a number again that the copied rows (or their readers' cursors) may hold.
   */
  continueAfter(sequences: Map<string, number>): Promise<void>
}

export interface TargetWriter {
  readonly engine: 'sqlite' | 'postgres'
  /** The target's tables in an order that inserts parents before the rows referring to them. */
  catalog(): Promise<Catalog<TargetTable>>
  count(table: string): Promise<number>
  /** Runs `work` in one transaction: the target gets all of the copy or none of it. */
  transaction<T>(work: (sink: TargetSink) => Promise<T>): Promise<T>
}

/** Tables in an order where every table comes after the tables its foreign keys point to. */
export function parentsFirst(tables: TargetTable[]): TargetTable[] {
  const byName = new Map(tables.map((table) => [table.name, table]))
  const ordered: TargetTable[] = []
  const placed = new Set<string>()
  const visiting = new Set<string>()
  const place = (table: TargetTable) => {
    if (placed.has(table.name)) return
    if (visiting.has(table.name)) throw new Error(`foreign keys form a cycle through ${table.name}`)
    visiting.add(table.name)
    for (const name of table.references) {
      const parent = byName.get(name)
      if (parent) place(parent)
    }
    visiting.delete(table.name)
    placed.add(table.name)
    ordered.push(table)
  }
  for (const table of [...tables].sort((a, b) => (a.name < b.name ? -1 : 1))) place(table)
  return ordered
}
