/**
 * The store: one object holding every repository over one connection. Features receive it (or the
 * repositories they need) as an argument; nothing else in the code base writes SQL.
 *
 * The repositories are synchronous because bun:sqlite is: a transaction is one uninterrupted piece
 * of JavaScript, which makes read-modify-write sequences (group member deltas, sync batches) atomic
 * without retries. A PostgreSQL implementation (Bun.sql) will implement the same repository shapes
 * behind async signatures; see docs/architecture.md.
 */
import type { SecretBox } from '../secrets/secret-box.ts'
import { accountRepository } from './accounts.ts'
import { auditRepository } from './audit.ts'
import { type Db, inTransaction, openDatabase } from './database.ts'
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
import { syncStateRepository } from './sync.ts'
import { syncMirrorRepository } from './sync-mirror.ts'

/** Called with the duration of every transaction (the server feeds it to /metrics). */
export type StoreObserver = (operation: 'transaction', seconds: number) => void

/** `secrets`: the SECRET_KEY's box, which seals SP private keys (none: they are kept in clear). */
export function createStore(db: Db, observe?: StoreObserver, secrets: SecretBox | null = null) {
  const transaction = <T>(work: () => T): T => {
    if (!observe) return inTransaction(db, work)
    const begin = performance.now()
    try {
      return inTransaction(db, work)
    } finally {
      observe('transaction', (performance.now() - begin) / 1000)
    }
  }
  return {
    db,
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
    transaction,
    /** True when the store answers a trivial query (readiness). */
    ping(): boolean {
      return db.query<{ ok: number }, []>('SELECT 1 AS ok').get()?.ok === 1
    },
    close(): void {
      db.close()
    },
  }
}

export type Store = ReturnType<typeof createStore>

export function openStore(path: string, observe?: StoreObserver, secrets: SecretBox | null = null): Store {
  return createStore(openDatabase({ path }), observe, secrets)
}
