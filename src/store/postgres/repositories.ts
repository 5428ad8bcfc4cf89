/**
 * Every PostgreSQL repository around one client (the pool, or one transaction's client). The
 * factories are the twins of the SQLite ones (../sqlite/repositories.ts) and are type-checked
 * against the contract (`Repositories`, ../contract.ts).
 */
// biome-ignore-all assist/source/organizeImports: repositories are registered one line each while their twins land
import type { Repositories } from '../contract.ts'
import type { PgContext } from './executor.ts'
import { orgRepository } from './orgs.ts' // orgs
import { adminRepository } from './orgs.ts' // admins
import { apiKeyRepository } from './orgs.ts' // apiKeys
import { integrationRepository } from './integrations.ts' // integrations
import { storeSecretsRepository } from './secrets.ts' // secrets
import { auditRepository } from './audit.ts' // audit
import { syncStateRepository } from './sync.ts' // syncState
// import { accountRepository } from './accounts.ts' // accounts
// import { sessionRepository } from './sessions.ts' // sessions
// import { linkedIdentityRepository } from './linked-identities.ts' // linkedIdentities
// import { eventRepository } from './events.ts' // events
// import { roleRepository } from './roles.ts' // roles
// import { duplicateRepository } from './duplicates.ts' // duplicates
// import { leaseRepository } from './leases.ts' // leases
import { directoryReadRepository } from './directory-read.ts' // directoryRead
import { syncMirrorRepository } from './sync-mirror.ts' // syncMirror
import { removalRepository } from './removal.ts' // removal
// import { oauthRepository } from './oauth.ts' // oauth
// import { samlRepository } from './saml.ts' // saml
import { directoryRepository } from './directory.ts' // directory
import { throttleRepository } from './throttles.ts' // throttles

export function postgresRepositories(ctx: PgContext): Partial<Repositories> {
  void ctx
  return {
    orgs: orgRepository(ctx),
    admins: adminRepository(ctx),
    apiKeys: apiKeyRepository(ctx),
    integrations: integrationRepository(ctx),
    secrets: storeSecretsRepository(ctx),
    audit: auditRepository(ctx),
    syncState: syncStateRepository(ctx),
    // accounts: accountRepository(ctx),
    // sessions: sessionRepository(ctx),
    // linkedIdentities: linkedIdentityRepository(ctx),
    // events: eventRepository(ctx),
    // roles: roleRepository(ctx),
    // duplicates: duplicateRepository(ctx),
    // leases: leaseRepository(ctx),
    directoryRead: directoryReadRepository(ctx),
    syncMirror: syncMirrorRepository(ctx),
    removal: removalRepository(ctx),
    // oauth: oauthRepository(ctx),
    // saml: samlRepository(ctx),
    directory: directoryRepository(ctx),
    throttles: throttleRepository(ctx),
  }
}
