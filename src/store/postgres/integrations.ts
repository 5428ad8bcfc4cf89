/**
 * The Okta integration of an org on PostgreSQL: the twin of `../integrations.ts`. With a SECRET_KEY
 * the SP private key is sealed on its way in and opened only by `spPrivateKey`, exactly as there
 * (same SecretBox, same binding, so a row sealed by one engine opens on the other after a
 * `store copy`). The counts behind the removal's dry run name the same rows the removal deletes
 * (./removal.ts).
 */
import { isSealed, SecretKeyError } from '../../secrets/secret-box.ts'
import type { Repositories } from '../contract.ts'
import { type IntegrationRow, spKeyBinding } from '../integrations.ts'
import { atomic, first, type PgContext } from './executor.ts'

/** A row interface as the executor's helpers take it (they require an index signature). */
type Row<T> = T & Record<string, unknown>

export function integrationRepository(ctx: PgContext): Repositories['integrations'] {
  const { sql, secrets } = ctx
  const count = async (query: Promise<Array<{ n: number }>>) => (await first(query))?.n ?? 0

  return {
    countActiveScimUsers: (orgId) =>
      count(sql`SELECT count(*) AS n FROM scim_users WHERE org_id = ${orgId} AND active = 1`),
    // Accounts the integration created, plus provisioned users not turned into accounts yet (and not
    // waiting as duplicates of a pre-existing account): exactly who a removal deletes.
    countRemovableUsers: (orgId) =>
      count(sql`
        SELECT
          (SELECT count(*) FROM accounts WHERE org_id = ${orgId} AND created_via_integration = 1)
        + (SELECT count(*) FROM scim_users u WHERE u.org_id = ${orgId}
             AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.scim_user_id = u.id)
             AND NOT EXISTS (SELECT 1 FROM duplicates d WHERE d.scim_user_id = u.id)) AS n`),
    countGroups: (orgId) => count(sql`SELECT count(*) AS n FROM scim_groups WHERE org_id = ${orgId}`),
    get: (orgId) => first<Row<IntegrationRow>>(sql`SELECT * FROM integrations WHERE org_id = ${orgId}`),
    byTokenHash: (hash) =>
      first<Row<IntegrationRow>>(sql`SELECT * FROM integrations WHERE scim_token_hash = ${hash}`),
    async insert(row) {
      await sql`
        INSERT INTO integrations (org_id, sso_url, issuer, certificate, next_certificate, scim_token_hash,
          settings, sp_private_key, sp_certificate, created_at, updated_at)
        VALUES (${row.org_id}, ${row.sso_url}, ${row.issuer}, ${row.certificate}, ${row.next_certificate ?? null},
          ${row.scim_token_hash}, ${row.settings}, ${row.sp_private_key ?? null}, ${row.sp_certificate ?? null},
          ${row.created_at}, ${row.updated_at})`
    },
    async update(row) {
      await sql`
        UPDATE integrations SET sso_url = ${row.sso_url}, issuer = ${row.issuer},
          certificate = ${row.certificate}, next_certificate = ${row.next_certificate ?? null},
          settings = ${row.settings}, updated_at = ${row.updated_at}
        WHERE org_id = ${row.org_id}`
    },
    async setTokenHash(orgId, hash, at) {
      await sql`UPDATE integrations SET scim_token_hash = ${hash}, updated_at = ${at} WHERE org_id = ${orgId}`
    },
    setSpKeys: (orgId, privateKey, certificate, at) =>
      atomic(ctx, async (tx) => {
        // A process without the key (a CLI run) must not write a clear key into an encrypted store.
        if (!secrets) {
          const check = await first(tx`SELECT 1 AS one FROM store_meta WHERE key = 'secret_key_check'`)
          if (check) {
            throw new SecretKeyError(
              'the store is encrypted: set SECRET_KEY or SECRET_KEY_FILE to write SP keys',
            )
          }
        }
        const stored = secrets ? secrets.seal(privateKey, spKeyBinding(orgId)) : privateKey
        await tx`
          UPDATE integrations SET sp_private_key = ${stored}, sp_certificate = ${certificate}, updated_at = ${at}
          WHERE org_id = ${orgId}`
      }),
    async spPrivateKey(row) {
      const stored = row.sp_private_key
      if (stored === null || !isSealed(stored)) return stored
      if (!secrets)
        throw new SecretKeyError('the SP private key is sealed: set SECRET_KEY or SECRET_KEY_FILE')
      return secrets.open(stored, spKeyBinding(row.org_id))
    },
    async remove(orgId) {
      await sql`DELETE FROM integrations WHERE org_id = ${orgId}`
    },
    async markFirstScimRequest(orgId, at) {
      await sql`
        UPDATE integrations SET first_scim_request_at = ${at}
        WHERE org_id = ${orgId} AND first_scim_request_at IS NULL`
    },
  }
}
