/**
 * The store: one object holding every repository over one connection. Features receive it (or the
 * repositories they need) as an argument; nothing else in the code base writes SQL.
 *
 * The repositories are synchronous because bun:sqlite is: a transaction is one uninterrupted piece
 * of JavaScript, which makes read-modify-write sequences (group member deltas, sync batches) atomic
 * without retries. A PostgreSQL implementation (Bun.sql) will implement the same repository shapes
 * behind async signatures; see docs/architecture.md.
 */
import { accountRepository } from './accounts.ts'
import { auditRepository } from './audit.ts'
import { type Db, inTransaction, openDatabase } from './database.ts'
import { integrationRepository } from './integrations.ts'
import { adminRepository, apiKeyRepository, orgRepository } from './orgs.ts'
import { sessionRepository } from './sessions.ts'
import { syncStateRepository } from './sync.ts'

export function createStore(db: Db) {
  return {
    db,
    orgs: orgRepository(db),
    admins: adminRepository(db),
    apiKeys: apiKeyRepository(db),
    integrations: integrationRepository(db),
    audit: auditRepository(db),
    syncState: syncStateRepository(db),
    accounts: accountRepository(db),
    sessions: sessionRepository(db),
    transaction: <T>(work: () => T): T => inTransaction(db, work),
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

export function openStore(path: string): Store {
  return createStore(openDatabase({ path }))
}
