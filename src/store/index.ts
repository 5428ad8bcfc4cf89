/**
 * The store: every repository of the contract over one engine, plus `transaction(async (tx) => …)`
 * whose `tx` is the same repositories bound to that transaction (nested `tx.transaction` calls are
 * savepoints). Features import only this module, `store/errors.ts` and the row types; which engine
 * runs underneath (`store/sqlite/` today) is the store's business. Every operation is async.
 *
 * On SQLite the repositories are synchronous statements run through one serial connection
 * (`sqlite/serial.ts`): a statement never lands inside someone else's open transaction, and
 * concurrent transactions are group-committed, each in its own savepoint.
 */
import type { SecretBox } from '../secrets/secret-box.ts'
import { accountRepository } from './accounts.ts'
import { auditRepository } from './audit.ts'
import { type Db, holdWriteGate, openDatabase } from './database.ts'
import { directoryReadRepository } from './directory-read.ts'
import { duplicateRepository } from './duplicates.ts'
import { eventRepository } from './events.ts'
import { integrationRepository } from './integrations.ts'
import { leaseRepository } from './leases.ts'
import { linkedIdentityRepository } from './linked-identities.ts'
import { oauthRepository } from './oauth.ts'
import { adminRepository, apiKeyRepository, orgRepository } from './orgs.ts'
import { removalRepository } from './removal.ts'
import { roleRepository } from './roles.ts'
import { samlRepository } from './saml.ts'
import { directoryRepository } from './scim.ts'
import { storeSecretsRepository } from './secrets.ts'
import { sessionRepository } from './sessions.ts'
import { type Asynced, asyncRepository, serialConnection } from './sqlite/serial.ts'
import { syncStateRepository } from './sync.ts'
import { syncMirrorRepository } from './sync-mirror.ts'

/** Called with the duration of every transaction (the server feeds it to /metrics). */
export type StoreObserver = (operation: 'transaction', seconds: number) => void

function repositories(db: Db, secrets: SecretBox | null) {
  return {
    orgs: orgRepository(db),
    admins: adminRepository(db),
    apiKeys: apiKeyRepository(db),
    integrations: integrationRepository(db, secrets),
    secrets: storeSecretsRepository(db, secrets),
    audit: auditRepository(db),
    syncState: syncStateRepository(db),
    accounts: accountRepository(db),
    sessions: sessionRepository(db),
    linkedIdentities: linkedIdentityRepository(db),
    events: eventRepository(db),
    roles: roleRepository(db),
    duplicates: duplicateRepository(db),
    leases: leaseRepository(db),
    directoryRead: directoryReadRepository(db),
    syncMirror: syncMirrorRepository(db),
    removal: removalRepository(db),
    oauth: oauthRepository(db),
    saml: samlRepository(db),
    directory: directoryRepository(db),
  }
}

type SyncRepositories = ReturnType<typeof repositories>

/** Every repository of the contract, each operation answering a promise. */
export type Repositories = { [K in keyof SyncRepositories]: Asynced<SyncRepositories[K]> }

/** The repositories bound to one open transaction; `transaction` opens a savepoint inside it. */
export interface StoreTx extends Repositories {
  transaction<T>(work: (tx: StoreTx) => Promise<T>): Promise<T>
}

export interface Store extends Repositories {
  /**
   * Runs `work` in one transaction: everything it does through `tx` commits together or not at
   * all. Use only `tx` inside (the root store is refused there), and await nothing but the store.
   */
  transaction<T>(work: (tx: StoreTx) => Promise<T>): Promise<T>
  /** True when the store answers a trivial query (readiness). */
  ping(): Promise<boolean>
  close(): Promise<void>
  /** Engine-specific knobs, for the scheduler's pacing and for tests; features never need them. */
  readonly engine: { kind: 'sqlite'; db: Db }
}

type Guard = Parameters<typeof asyncRepository>[1]

function bindAll(sync: SyncRepositories, guard: Guard): Repositories {
  const bound: Record<string, unknown> = {}
  for (const [name, repository] of Object.entries(sync)) bound[name] = asyncRepository(repository, guard)
  return bound as Repositories
}

/** `secrets`: the SECRET_KEY's box, which seals SP private keys (none: they are kept in clear). */
export function createStore(db: Db, observe?: StoreObserver, secrets: SecretBox | null = null): Store {
  const sync = repositories(db, secrets)
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
    ...bindAll(sync, serial.guard),
    transaction,
    ping: () => serial.guard(() => db.query<{ ok: number }, []>('SELECT 1 AS ok').get()?.ok === 1),
    close: async () => {
      db.close()
    },
    engine: { kind: 'sqlite', db },
  }
}

export function openStore(path: string, observe?: StoreObserver, secrets: SecretBox | null = null): Store {
  return createStore(openDatabase({ path }), observe, secrets)
}
