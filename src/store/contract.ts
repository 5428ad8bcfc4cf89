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
import type { Asynced, TransactionOptions } from './sqlite/serial.ts'

export type { Asynced, TransactionOptions }

/** Every repository of the contract, each operation answering a promise. */
export type Repositories = { [K in keyof SqliteRepositories]: Asynced<SqliteRepositories[K]> }

/** The repositories bound to one open transaction; `transaction` opens a savepoint inside it. */
export interface StoreTx extends Repositories {
  transaction<T>(work: (tx: StoreTx) => Promise<T>): Promise<T>
}

/** Called with the duration of every transaction (the server feeds it to /metrics). */
export type StoreObserver = (operation: 'transaction', seconds: number) => void

/** The engine underneath, for `store copy`, backups and tests; features and the scheduler never ask. */
export type StoreEngine =
  | { readonly kind: 'sqlite'; readonly db: Db; readonly path: string }
  | { readonly kind: 'postgres'; readonly sql: SQL; readonly url: string }

/**
 * Budgets for the sync scheduler's batches on a connection whose write transactions hold up the
 * request-serving thread (SQLite's write gate): shorter than the scheduler's defaults.
 */
export interface BatchLimits {
  /** Size each feed batch to take about this long, given the org's lag in seconds. */
  feedBudgetMs(lagSeconds: number): number
  /** A full-reconcile batch stops after this many milliseconds. */
  reconcileBudgetMs: number
  /** Accounts per removal batch. */
  removalBatchSize: number
}

/**
 * What a store hands the sync scheduler's thread so that the thread's own store joins its pacing
 * (passed with `postMessage`, so structured-cloneable; opaque outside the engine).
 */
export type PacingHandoff = Readonly<Record<string, unknown>>

/**
 * An engine's pacing of the sync scheduler: the knobs an engine with one writer at a time needs
 * (SQLite: the write gate shared with the HTTP thread, the scheduler thread's WAL checkpoints). An
 * optional capability — a store without it (PostgreSQL) lets the scheduler run its batches plainly.
 * The scheduler's side (the first group) acts on the store the scheduler's batches run on; the
 * thread-sharing side (the second group) on the request-serving store that starts the thread.
 */
export interface StorePacing {
  /** Budgets for the scheduler's batches on this connection; none: the scheduler's defaults. */
  readonly batchLimits?: BatchLimits
  /**
   * Runs one batch transaction that may give way to the request-serving thread while the org is
   * `lagSeconds` behind: null when it did (it rolled back whole; run it again). `key` names the kind
   * of work and org, so a batch that keeps giving way is eventually let through.
   */
  mayGiveWay<T>(key: string, lagSeconds: number, run: () => Promise<T>): Promise<T | null>
  /** Milliseconds this connection has waited so far to begin writing (a batch report subtracts it). */
  waitedMs(): number
  /** Engine housekeeping between batches, when due (SQLite: a passive WAL checkpoint). */
  maintain(): void
  /** An idle scheduler loop wakes at least this often, for `maintain`; none: no need. */
  readonly maintainEveryMs?: number
  /** How long this connection waited for and held the write path (logged when the thread stops). */
  stats(): Readonly<Record<string, number>> | null

  /** Makes this store the request-serving side of a scheduler thread; the thread's store joins with the answer. */
  shareWithThread(): PacingHandoff
  /** The thread's store is open: housekeeping it now does is left to it (this side keeps a backstop). */
  threadReady(): void
  /** The scheduler runs on this store's own thread after all: this store does its own housekeeping. */
  runsHere(): void
}

export interface Store extends Repositories {
  /**
   * Runs `work` in one transaction: everything it does through `tx` commits together or not at
   * all. Use only `tx` inside (the root store is refused there), and await nothing but the store:
   * on PostgreSQL a transaction that loses a serialization race or a deadlock is run again from
   * the start, so `work` must have no effect outside `tx`. `{ background: true }` for work that
   * must not hold up requests' writes or the scheduler's (see `TransactionOptions`).
   */
  transaction<T>(work: (tx: StoreTx) => Promise<T>, options?: TransactionOptions): Promise<T>
  /** True when the store answers a trivial query (readiness). */
  ping(): Promise<boolean>
  close(): Promise<void>
  readonly engine: StoreEngine
  /** The engine's pacing of the sync scheduler, where it needs one (SQLite). */
  readonly pacing?: StorePacing
}

/** A store on SQLite (what `createStore` and a file path give): tests may reach the connection. */
export interface SqliteStore extends Store {
  readonly engine: Extract<StoreEngine, { kind: 'sqlite' }>
}
