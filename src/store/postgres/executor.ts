/**
 * What a PostgreSQL repository is built on. Each repository is a function of a `PgContext`: the
 * same code runs on the pool (a statement outside any transaction) and on one transaction's client
 * (`store.transaction` builds the repositories again around `tx`, which costs a few closures).
 *
 * A repository operation that runs several statements must be atomic whichever client it got:
 * `atomic()` opens a transaction on the pool, and a savepoint-free pass-through inside a
 * transaction (the caller's transaction already makes it atomic, and an error aborts it anyway).
 *
 * Rows always go through `rows()`, which turns BIGINT strings into numbers (see ./rows.ts), so a
 * repository answers exactly the plain rows its SQLite twin answers.
 */
import type { SQL } from 'bun'
import type { SecretBox } from '../../secrets/secret-box.ts'
import { decodeRows } from './rows.ts'

export interface PgContext {
  /** The pool, or the client of the open transaction. */
  readonly sql: SQL
  /** True when `sql` is a transaction's client. */
  readonly inTransaction: boolean
  /** The SECRET_KEY's box, when one is configured (integrations and store secrets use it). */
  readonly secrets: SecretBox | null
}

/** Runs `work` in one transaction: the caller's if there is one, else a new one on the pool. */
export function atomic<T>(ctx: PgContext, work: (sql: SQL) => Promise<T>): Promise<T> {
  if (ctx.inTransaction) return work(ctx.sql)
  return ctx.sql.begin((tx) => work(tx)) as Promise<T>
}

/** The rows of a query with BIGINT columns as numbers. */
export async function rows<T extends Record<string, unknown>>(query: Promise<T[]>): Promise<T[]> {
  return decodeRows(await query)
}

/** The first row of a query (BIGINTs as numbers), or null — what bun:sqlite's `.get()` answers. */
export async function first<T extends Record<string, unknown>>(query: Promise<T[]>): Promise<T | null> {
  return (await rows(query))[0] ?? null
}

/** How many rows a write touched (`.changes` on SQLite). */
export async function changed(query: Promise<unknown[]>): Promise<number> {
  const result = (await query) as unknown[] & { count?: number | null }
  return result.count ?? 0
}
