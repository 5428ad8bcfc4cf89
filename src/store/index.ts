/**
 * The store: every repository of the contract (`contract.ts`) over one engine. Features import
 * only this module, `store/errors.ts` and the row types; which engine runs underneath is chosen
 * here from DATABASE_URL — a file path (or none) for the embedded SQLite default, `postgres://` /
 * `postgresql://` for PostgreSQL.
 *
 * On SQLite the repositories are synchronous statements run through one serial connection
 * (`sqlite/serial.ts`): a statement never lands inside someone else's open transaction, and
 * concurrent transactions are group-committed, each in its own savepoint. The sync scheduler's
 * thread opens a store of its own on the same location (`openStoreAt` with `schedulerThread`): on
 * SQLite a second connection joining the HTTP thread's write gate (`sqlite/pacing.ts`), on
 * PostgreSQL a small pool of its own.
 */
import type { SecretBox } from '../secrets/secret-box.ts'
import type {
  PacingHandoff,
  Repositories,
  SqliteStore,
  Store,
  StoreObserver,
  StorePacing,
  StoreTx,
  TransactionOptions,
} from './contract.ts'
import { type Db, openDatabase } from './database.ts'
import { openPostgresStore } from './postgres/index.ts'
import { SCHEDULER_THREAD_CONNECTION, sqlitePacing } from './sqlite/pacing.ts'
import { ROOT_WRITES, SELF_ATOMIC, sqliteRepositories } from './sqlite/repositories.ts'
import { asyncRepository, type SerialConnection, serialConnection } from './sqlite/serial.ts'
import { enterInBackground, enterWriteGate, holdWriteGate, isPriorityWriter } from './sqlite/write-gate.ts'

/**
 * A background transaction (`{ background: true }`) waits this long at most for the write gate to
 * be free before it waits like any other transaction of the HTTP thread's.
 */
const BACKGROUND_WAIT_MS = 200

export type {
  BatchLimits,
  PacingHandoff,
  Repositories,
  SqliteStore,
  Store,
  StoreEngine,
  StoreObserver,
  StorePacing,
  StoreTx,
  TransactionOptions,
} from './contract.ts'

type Guard = Parameters<typeof asyncRepository>[1]

function bindAll(sync: ReturnType<typeof sqliteRepositories>, guard: Guard): Repositories {
  const bound: Record<string, unknown> = {}
  for (const [name, repository] of Object.entries(sync)) bound[name] = asyncRepository(repository, guard)
  return bound as Repositories
}

type Operation = (...args: unknown[]) => Promise<unknown>

/**
 * The root store's repositories: each SELF_ATOMIC operation (atomicity) and each ROOT_WRITES one (an
 * asynchronous wait for the write gate) runs in a transaction of its own.
 */
function bindRoot(
  sync: ReturnType<typeof sqliteRepositories>,
  serial: SerialConnection<StoreTx>,
): Repositories {
  const root = bindAll(sync, serial.guard) as unknown as Record<string, Record<string, unknown>>
  const asTransactions: Record<string, string[]> = {}
  for (const list of [SELF_ATOMIC, ROOT_WRITES])
    for (const [name, operations] of Object.entries(list))
      asTransactions[name] = [...(asTransactions[name] ?? []), ...(operations as string[])]
  for (const [name, operations] of Object.entries(asTransactions)) {
    const repository = { ...root[name] }
    for (const operation of operations as string[]) {
      repository[operation] = (...args: unknown[]) =>
        serial.transaction((tx) => {
          const bound = (tx as unknown as Record<string, Record<string, Operation>>)[name] ?? {}
          return (bound[operation] as Operation)(...args)
        })
    }
    root[name] = repository
  }
  return root as unknown as Repositories
}

/**
 * `secrets`: the SECRET_KEY's box, which seals SP private keys (none: they are kept in clear).
 * `pacing`: the scheduler thread's (`sqlitePacing(db, { handoff })`); by default the plain one.
 */
export function createStore(
  db: Db,
  observe?: StoreObserver,
  secrets: SecretBox | null = null,
  path = ':memory:',
  pacing: StorePacing = sqlitePacing(db),
): SqliteStore {
  const sync = sqliteRepositories(db, secrets)
  const serial = serialConnection<StoreTx>({
    exec: (sql) => db.exec(sql),
    inTransaction: () => db.inTransaction,
    holdWriteGate: () => holdWriteGate(db),
    priorityWriter: () => isPriorityWriter(db),
    enterWriteGate: () => enterWriteGate(db),
    enterInBackground: (ready) => enterInBackground(db, ready, BACKGROUND_WAIT_MS),
    bind: (guard, savepoint) => ({ ...bindAll(sync, guard), transaction: savepoint }),
  })
  const transaction = <T>(work: (tx: StoreTx) => Promise<T>, options?: TransactionOptions): Promise<T> => {
    if (!observe) return serial.transaction(work, options)
    const begin = performance.now()
    return serial
      .transaction(work, options)
      .finally(() => observe('transaction', (performance.now() - begin) / 1000))
  }
  return {
    ...bindRoot(sync, serial),
    transaction,
    ping: () => serial.guard(() => db.query<{ ok: number }, []>('SELECT 1 AS ok').get()?.ok === 1),
    close: async () => {
      db.close()
    },
    engine: { kind: 'sqlite', db, path },
    pacing,
  }
}

export function openStore(
  path: string,
  observe?: StoreObserver,
  secrets: SecretBox | null = null,
): SqliteStore {
  return createStore(openDatabase({ path }), observe, secrets, path)
}

/** Where DATABASE_URL points: a SQLite file (or ':memory:'), or a PostgreSQL database. */
export type StoreLocation = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string }

export function storeLocation(databaseUrl: string): StoreLocation {
  if (/^postgres(ql)?:\/\//i.test(databaseUrl)) return { kind: 'postgres', url: databaseUrl }
  return { kind: 'sqlite', path: databaseUrl.replace(/^sqlite:\/\//, '').replace(/^file:/, '') }
}

/**
 * Whether another connection (the scheduler's thread) opening `location` sees the same data: not
 * for an in-memory SQLite store.
 */
export function sharedAcrossThreads(location: StoreLocation): boolean {
  return location.kind === 'postgres' || location.path !== ':memory:'
}

/** The location as it may be logged: a PostgreSQL URL without its password. */
export function describeLocation(location: StoreLocation): string {
  if (location.kind === 'sqlite') return location.path
  try {
    const url = new URL(location.url)
    if (url.password) url.password = '***'
    return url.toString()
  } catch {
    return 'postgres://(unparsable URL)'
  }
}

export interface OpenStoreOptions {
  observe?: StoreObserver
  secrets?: SecretBox | null
  /** PostgreSQL connections of this process (DATABASE_POOL_SIZE). */
  poolSize?: number
  /**
   * Opens the sync scheduler thread's own store, joining the pacing of the request-serving store
   * that started the thread (`handoff`: what its `pacing.shareWithThread()` answered, or null when
   * it has no pacing). On PostgreSQL the thread has a pool of its own, SCHEDULER_THREAD_POOL_SIZE
   * connections whatever `poolSize` says, which plans each statement for its parameters
   * (`customPlans`: with so few connections, generic plans made while the tables were small stick).
   */
  schedulerThread?: { handoff: PacingHandoff | null }
}

/**
 * Connections of the scheduler thread's pool on PostgreSQL: its batches run one after another, and
 * a progress report reads two things at once.
 */
export const SCHEDULER_THREAD_POOL_SIZE = 2

/** Opens the store DATABASE_URL names, migrating it first (PostgreSQL: under a lock). */
export async function openStoreAt(location: StoreLocation, options: OpenStoreOptions = {}): Promise<Store> {
  const thread = options.schedulerThread
  if (location.kind === 'sqlite') {
    if (!thread) return openStore(location.path, options.observe, options.secrets ?? null)
    const db = openDatabase({ path: location.path, ...SCHEDULER_THREAD_CONNECTION })
    return createStore(db, options.observe, options.secrets ?? null, location.path, sqlitePacing(db, thread))
  }
  return openPostgresStore(
    location.url,
    thread ? { ...options, poolSize: SCHEDULER_THREAD_POOL_SIZE, customPlans: true } : options,
  )
}
