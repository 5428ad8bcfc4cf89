/**
 * The store contract: what features, the scheduler and the web layer may rely on, whichever engine
 * runs underneath. Every repository operation answers a promise of plain rows (numbers, strings,
 * null; never an engine's types). `transaction(async (tx) => …)` hands the work the same
 * repositories bound to one transaction; a nested `tx.transaction` is a savepoint.
 *
 * The repositories' shapes are those of the SQLite reference implementation (`sqlite/`), made
 * async; the PostgreSQL twins (`postgres/`) are type-checked against them.
 */
import type { SQL } from 'bun'
import type { Db } from './database.ts'
import type { SqliteRepositories } from './sqlite/repositories.ts'
import type { Asynced } from './sqlite/serial.ts'

export type { Asynced }

/** Every repository of the contract, each operation answering a promise. */
export type Repositories = { [K in keyof SqliteRepositories]: Asynced<SqliteRepositories[K]> }

/** The repositories bound to one open transaction; `transaction` opens a savepoint inside it. */
export interface StoreTx extends Repositories {
  transaction<T>(work: (tx: StoreTx) => Promise<T>): Promise<T>
}

/** Called with the duration of every transaction (the server feeds it to /metrics). */
export type StoreObserver = (operation: 'transaction', seconds: number) => void

/** The engine underneath, for the scheduler's pacing, `store copy` and tests; features never ask. */
export type StoreEngine =
  | { readonly kind: 'sqlite'; readonly db: Db; readonly path: string }
  | { readonly kind: 'postgres'; readonly sql: SQL; readonly url: string }

export interface Store extends Repositories {
  /**
   * Runs `work` in one transaction: everything it does through `tx` commits together or not at
   * all. Use only `tx` inside (the root store is refused there), and await nothing but the store:
   * on PostgreSQL a transaction that loses a serialization race or a deadlock is run again from
   * the start, so `work` must have no effect outside `tx`.
   */
  transaction<T>(work: (tx: StoreTx) => Promise<T>): Promise<T>
  /** True when the store answers a trivial query (readiness). */
  ping(): Promise<boolean>
  close(): Promise<void>
  readonly engine: StoreEngine
}

/** A store on SQLite (what `createStore` and a file path give): tests may reach the connection. */
export interface SqliteStore extends Store {
  readonly engine: Extract<StoreEngine, { kind: 'sqlite' }>
}
