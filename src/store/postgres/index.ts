/**
 * The store contract on PostgreSQL, over Bun's built-in client (`Bun.sql`, no driver package).
 *
 * - One pool per process (`poolSize` connections, DATABASE_POOL_SIZE). A statement outside a
 *   transaction takes any free connection; `store.transaction` takes one for its whole length.
 * - `transaction(work)` runs `work` inside `BEGIN … COMMIT` with the repositories rebuilt around that
 *   transaction's client. A transaction that loses a serialization race (40001) or is chosen as a
 *   deadlock's victim (40P01) is run again from the start, a few times with a short random pause:
 *   callers never see those, only `StoreBusy` if they keep failing.
 * - A nested `tx.transaction` is a savepoint: its failure rolls back only its own work, and the outer
 *   transaction goes on (PostgreSQL would otherwise refuse every later statement, 25P02).
 * - Engine errors become store errors (`UniqueViolation` for 23505) around every operation.
 * - As on SQLite, the root store used inside a transaction's work is refused (`StoreMisuse`): on
 *   PostgreSQL it would not hang, but it would run outside the transaction, which is never meant.
 *
 * Migrations are applied by `openPostgresStore` under an advisory lock (./migrate.ts), so several
 * instances starting at once apply each exactly once.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { SQL, type TransactionSQL } from 'bun'
import type { SecretBox } from '../../secrets/secret-box.ts'
import type { Repositories, Store, StoreObserver, StoreTx } from '../contract.ts'
import { StoreBusy, StoreError, StoreMisuse, UniqueViolation } from '../errors.ts'
import type { PgContext } from './executor.ts'
import { migratePostgres } from './migrate.ts'
import { postgresRepositories } from './repositories.ts'

export interface PostgresStoreOptions {
  /** Connections in this process's pool (default 10). */
  poolSize?: number
  observe?: StoreObserver
  secrets?: SecretBox | null
  /** How often a transaction that hit 40001/40P01 is tried in all (default 5). */
  attempts?: number
  /**
   * Plan every statement for its parameters (`plan_cache_mode = force_custom_plan` on each
   * connection) instead of switching to a cached generic plan after five runs. For a pool of few
   * connections running the same statements thousands of times while the tables grow — the sync
   * scheduler thread's: its connections would otherwise keep generic plans made on the nearly empty
   * tables' statistics until autovacuum's next ANALYZE (docs/store.md, "Engines").
   */
  customPlans?: boolean
}

/** How long `ping` (readiness) waits for the server. */
const PING_TIMEOUT_MS = 2_000

/** SQLSTATEs after which the whole transaction may simply run again. */
const RETRYABLE = new Set(['40001', '40P01'])

function sqlState(error: unknown): string | null {
  const errno = (error as { errno?: unknown } | null)?.errno
  return typeof errno === 'string' ? errno : null
}

/** Engine errors as store errors (the contract's vocabulary). */
export function storeErrorOfPostgres(error: unknown): unknown {
  if (error instanceof StoreError) return error
  const state = sqlState(error)
  if (state === '23505') {
    const constraint = (error as { constraint?: unknown }).constraint
    return new UniqueViolation(typeof constraint === 'string' ? constraint : null, { cause: error })
  }
  return error
}

function isRetryable(error: unknown): boolean {
  const state = sqlState(error)
  if (state !== null && RETRYABLE.has(state)) return true
  // A COMMIT the server answered with a rollback because of a serialization failure.
  const cause = (error as { cause?: unknown } | null)?.cause
  return cause !== undefined && cause !== error && isRetryable(cause)
}

type Repository = Record<string, unknown>

/** Wraps every operation: errors mapped, and (for the root store) refused inside a transaction. */
function guarded(repositories: Repositories, refuse: () => void): Repositories {
  const bound: Record<string, Repository> = {}
  for (const [name, repository] of Object.entries(repositories) as Array<[string, Repository]>) {
    const wrapped: Repository = {}
    for (const [key, value] of Object.entries(repository)) {
      if (typeof value !== 'function') {
        wrapped[key] = value
        continue
      }
      const operation = value as (...args: unknown[]) => Promise<unknown>
      wrapped[key] = async (...args: unknown[]) => {
        refuse()
        try {
          return await operation(...args)
        } catch (error) {
          throw storeErrorOfPostgres(error)
        }
      }
    }
    bound[name] = wrapped
  }
  return bound as unknown as Repositories
}

export function createPostgresStore(sql: SQL, url: string, options: PostgresStoreOptions = {}): Store {
  const secrets = options.secrets ?? null
  const attempts = options.attempts ?? 5
  const inTransaction = new AsyncLocalStorage<true>()
  const refuseInTransaction = () => {
    if (inTransaction.getStore()) {
      throw new StoreMisuse(
        'the root store was used inside store.transaction(): use the transaction handle `tx`',
      )
    }
  }
  const repositoriesOn = (client: SQL, inTx: boolean, refuse: () => void) => {
    const ctx: PgContext = { sql: client, inTransaction: inTx, secrets }
    return guarded(postgresRepositories(ctx), refuse)
  }
  const allowed = () => {}

  const handle = (client: SQL): StoreTx => ({
    ...repositoriesOn(client, true, allowed),
    transaction: <T>(work: (tx: StoreTx) => Promise<T>) =>
      (client as TransactionSQL).savepoint((savepoint) => work(handle(savepoint))) as Promise<T>,
  })

  async function once<T>(work: (tx: StoreTx) => Promise<T>): Promise<T> {
    return (await sql.begin((tx) => inTransaction.run(true, () => work(handle(tx))))) as T
  }

  async function transaction<T>(work: (tx: StoreTx) => Promise<T>): Promise<T> {
    refuseInTransaction()
    const begin = performance.now()
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return await once(work)
        } catch (error) {
          if (!isRetryable(error)) throw storeErrorOfPostgres(error)
          if (attempt >= attempts) {
            throw new StoreBusy(`the transaction failed ${attempts} times on conflicts`, { cause: error })
          }
          // Both sides of a conflict retrying at once would collide again: spread them out.
          await Bun.sleep(Math.random() * 5 * attempt)
        }
      }
    } finally {
      options.observe?.('transaction', (performance.now() - begin) / 1000)
    }
  }

  return {
    ...repositoriesOn(sql, false, refuseInTransaction),
    transaction,
    async ping() {
      // A server that does not answer must fail readiness soon, not after the connect timeout.
      let timer: ReturnType<typeof setTimeout> | undefined
      const late = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), PING_TIMEOUT_MS)
      })
      try {
        const answer = sql<{ ok: number }[]>`SELECT 1 AS ok`.then(([row]) => row?.ok === 1)
        return await Promise.race([answer, late])
      } catch {
        return false
      } finally {
        clearTimeout(timer)
      }
    },
    close: () => sql.close(),
    engine: { kind: 'postgres', sql, url },
  }
}

/** Connects, applies the missing migrations (under a lock) and answers the store. */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<Store> {
  const sql = new SQL(url, {
    max: options.poolSize ?? 10,
    ...(options.customPlans ? { connection: { plan_cache_mode: 'force_custom_plan' } } : {}),
  })
  try {
    await migratePostgres(sql)
  } catch (error) {
    await sql.close()
    throw error
  }
  return createPostgresStore(sql, url, options)
}
