/**
 * Every SQLite repository over one bun:sqlite connection, each statement prepared once. These
 * synchronous repositories are the reference shapes of the contract: `contract.ts` derives the
 * async `Repositories` type from them, and the PostgreSQL twins (`../postgres/`) must match it.
 */
import type { SecretBox } from '../../secrets/secret-box.ts'
import { accountRepository } from '../accounts.ts'
import { auditRepository } from '../audit.ts'
import type { Db } from '../database.ts'
import { directoryReadRepository } from '../directory-read.ts'
import { duplicateRepository } from '../duplicates.ts'
import { eventRepository } from '../events.ts'
import { idpMetadataRepository } from '../idp-metadata.ts'
import { integrationRepository } from '../integrations.ts'
import { leaseRepository } from '../leases.ts'
import { linkedIdentityRepository } from '../linked-identities.ts'
import { oauthRepository } from '../oauth.ts'
import { adminRepository, apiKeyRepository, orgRepository } from '../orgs.ts'
import { removalRepository } from '../removal.ts'
import { roleRepository } from '../roles.ts'
import { samlRepository } from '../saml.ts'
import { samlAttemptRepository } from '../saml-attempts.ts'
import { directoryRepository } from '../scim.ts'
import { storeSecretsRepository } from '../secrets.ts'
import { sessionRepository } from '../sessions.ts'
import { setupRepository } from '../setup.ts'
import { syncStateRepository } from '../sync.ts'
import { syncMirrorRepository } from '../sync-mirror.ts'
import { throttleRepository } from '../throttles.ts'
import { webhookRepository } from '../webhooks.ts'

export function sqliteRepositories(db: Db, secrets: SecretBox | null) {
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
    samlAttempts: samlAttemptRepository(db),
    directory: directoryRepository(db),
    throttles: throttleRepository(db),
    webhooks: webhookRepository(db, secrets),
    setup: setupRepository(db),
    idpMetadata: idpMetadataRepository(db),
  }
}

export type SqliteRepositories = ReturnType<typeof sqliteRepositories>

/**
 * Operations that run several statements and are atomic on any handle: inside a transaction they
 * are part of it, and on the root store each runs as a (group-committed) transaction of its own.
 */
export const SELF_ATOMIC: OperationsOf = {
  directory: ['createUser'],
}

type OperationsOf = { [K in keyof SqliteRepositories]?: Array<keyof SqliteRepositories[K]> }

/**
 * Writes the request-serving side makes outside any transaction (a session touched, an audit row, a
 * replay-cache entry, a lease). On the root store each also runs as a transaction of its own: on the
 * HTTP thread a transaction waits for the write gate asynchronously, where a statement run directly
 * would block the whole thread until the scheduler's batch commits (`underWriteGate`) — or, a
 * `DELETE … RETURNING` run through `get`, meet SQLite's busy handler instead of the gate.
 */
export const ROOT_WRITES: OperationsOf = {
  sessions: ['insert', 'touch', 'remove', 'removeForSubject', 'removeForSubjectExcept', 'removeForNameId'],
  audit: ['record', 'recordMany'],
  apiKeys: ['insert', 'touch', 'remove'],
  oauth: ['insertState', 'takeState'],
  saml: ['rememberAssertion', 'insertRequest', 'takeRequest', 'insertLogoutRequest', 'takeLogoutRequest'],
  samlAttempts: ['insert'],
  leases: ['tryAcquire', 'release'],
  integrations: ['markFirstScimRequest'],
}
