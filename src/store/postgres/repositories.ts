/**
 * Every PostgreSQL repository around one client (the pool, or one transaction's client). The
 * factories are the twins of the SQLite ones (../sqlite/repositories.ts) and are type-checked
 * against the contract (`Repositories`, ../contract.ts).
 */
import type { Repositories } from '../contract.ts'
import { accountRepository } from './accounts.ts'
import { auditRepository } from './audit.ts'
import { directoryRepository } from './directory.ts'
import { directoryReadRepository } from './directory-read.ts'
import { duplicateRepository } from './duplicates.ts'
import { eventRepository } from './events.ts'
import type { PgContext } from './executor.ts'
import { idpMetadataRepository } from './idp-metadata.ts'
import { integrationRepository } from './integrations.ts'
import { leaseRepository } from './leases.ts'
import { linkedIdentityRepository } from './linked-identities.ts'
import { oauthRepository } from './oauth.ts'
import { adminRepository, apiKeyRepository, orgRepository } from './orgs.ts'
import { removalRepository } from './removal.ts'
import { roleRepository } from './roles.ts'
import { samlRepository } from './saml.ts'
import { samlAttemptRepository } from './saml-attempts.ts'
import { storeSecretsRepository } from './secrets.ts'
import { sessionRepository } from './sessions.ts'
import { setupRepository } from './setup.ts'
import { syncStateRepository } from './sync.ts'
import { syncMirrorRepository } from './sync-mirror.ts'
import { throttleRepository } from './throttles.ts'
import { webhookRepository } from './webhooks.ts'

export function postgresRepositories(ctx: PgContext): Repositories {
  return {
    orgs: orgRepository(ctx),
    admins: adminRepository(ctx),
    apiKeys: apiKeyRepository(ctx),
    integrations: integrationRepository(ctx),
    secrets: storeSecretsRepository(ctx),
    audit: auditRepository(ctx),
    syncState: syncStateRepository(ctx),
    accounts: accountRepository(ctx),
    sessions: sessionRepository(ctx),
    linkedIdentities: linkedIdentityRepository(ctx),
    events: eventRepository(ctx),
    roles: roleRepository(ctx),
    duplicates: duplicateRepository(ctx),
    leases: leaseRepository(ctx),
    directoryRead: directoryReadRepository(ctx),
    syncMirror: syncMirrorRepository(ctx),
    removal: removalRepository(ctx),
    oauth: oauthRepository(ctx),
    saml: samlRepository(ctx),
    samlAttempts: samlAttemptRepository(ctx),
    directory: directoryRepository(ctx),
    throttles: throttleRepository(ctx),
    webhooks: webhookRepository(ctx),
    setup: setupRepository(ctx),
    idpMetadata: idpMetadataRepository(ctx),
  }
}
