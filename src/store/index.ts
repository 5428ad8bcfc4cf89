/**
 * The store: every repository of the contract (`contract.ts`) over one engine. Features import
 * only this module, `store/errors.ts` and the row types; which engine runs underneath is chosen
 * here from DATABASE_URL — a file path (or none) for the embedded SQLite default, `postgres://` /
 * `postgresql://` for PostgreSQL.
 *
 * On SQLite the repositories are synchronous statements run through one serial connection
 * (`sqlite/serial.ts`): a statement never lands inside someone else's open transaction, and
 * concurrent transactions are group-committed, each in its own savepoint.
 */
import type { SecretBox } from '../secrets/secret-box.ts'
import type { Repositories, SqliteStore, Store, StoreObserver, StoreTx } from './contract.ts'
import { type Db, holdWriteGate, openDatabase } from './database.ts'
import { openPostgresStore } from './postgres/index.ts'
import { SELF_ATOMIC, sqliteRepositories } from './sqlite/repositories.ts'
import { asyncRepository, type SerialConnection, serialConnection } from './sqlite/serial.ts'

export type { Repositories, SqliteStore, Store, StoreEngine, StoreObserver, StoreTx } from './contract.ts'

type Guard = Parameters<typeof asyncRepository>[1]

function bindAll(sync: ReturnType<typeof sqliteRepositories>, guard: Guard): Repositories {
  const bound: Record<string, unknown> = {}
  for (const [name, repository] of Object.entries(sync)) bound[name] = asyncRepository(repository, guard)
  return bound as Repositories
}

type Operation = (...args: unknown[]) => Promise<unknown>

/** The root store's repositories: each SELF_ATOMIC operation runs in a transaction of its own. */
function bindRoot(
  sync: ReturnType<typeof sqliteRepositories>,
  serial: SerialConnection<StoreTx>,
): Repositories {
  const root = bindAll(sync, serial.guard) as unknown as Record<string, Record<string, unknown>>
  for (const [name, operations] of Object.entries(SELF_ATOMIC)) {
    const repository = { ...root[name] }
    for (const operation of operations as string[]) {
      repository[operation] = (...args: unknown[]) =>
        serial.transaction((tx) => {
          const bound = (tx as unknown as Record<string, Record<string, Operation>>)[name]
          return (bound?.[operation] as Operation)(...args)
        })
    }
    root[name] = repository
  }
  return root as unknown as Repositories
}

/** `secrets`: the SECRET_KEY's box, which seals SP private keys (none: they are kept in clear). */
export function createStore(
  db: Db,
  observe?: StoreObserver,
  secrets: SecretBox | null = null,
  path = ':memory:',
): SqliteStore {
  const sync = sqliteRepositories(db, secrets)
  const serial = serialConnection<StoreTx>({
    exec: (sql) => db.exec(sql),
    inTransaction: () => db.inTransaction,
    holdWriteGate: () => holdWriteGate(db),
    bind: (guard, savepoint) => ({ ...bindAll(sync, guard), transaction: savepoint }),
  })
  const transaction = <T>(work: (tx: StoreTx) => Promise<T>): Promise<T> => {
    if (!observe) return serial.transaction(work)
    const begin = performance.now()
    return serial.transaction(work).finally(() => observe('transaction', (performance.now() - begin) / 1000))
  }
  return {
    ...bindRoot(sync, serial),
    transaction,
    ping: () => serial.guard(() => db.query<{ ok: number }, []>('SELECT 1 AS ok').get()?.ok === 1),
    close: async () => {
      db.close()
    },
    engine: { kind: 'sqlite', db, path },
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
}

/** Opens the store DATABASE_URL names, migrating it first (PostgreSQL: under a lock). */
export async function openStoreAt(location: StoreLocation, options: OpenStoreOptions = {}): Promise<Store> {
  if (location.kind === 'sqlite') return openStore(location.path, options.observe, options.secrets ?? null)
  return openPostgresStore(location.url, options)
}
