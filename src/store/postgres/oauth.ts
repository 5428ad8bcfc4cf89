/**
 * OAuth states and the per-provider identity reads on PostgreSQL: the twin of `../oauth.ts`. A
 * state is taken with `DELETE … RETURNING`, so of two instances redeeming the same state at once
 * exactly one gets the row (the other's delete finds it gone once the first commits).
 */
import type { Repositories } from '../contract.ts'
import type { LinkedIdentityRow } from '../linked-identities.ts'
import type { OAuthStateRow } from '../oauth.ts'
import { changed, first, type PgContext } from './executor.ts'

type Row<T> = T & Record<string, unknown>

export function oauthRepository(ctx: PgContext): Repositories['oauth'] {
  const { sql } = ctx
  return {
    async insertState(row) {
      await sql`
        INSERT INTO oauth_states (state_hash, org_id, account_id, session_hash, provider, code_verifier, expires_at)
        VALUES (${row.state_hash}, ${row.org_id}, ${row.account_id}, ${row.session_hash}, ${row.provider},
                ${row.code_verifier}, ${row.expires_at})`
    },
    takeState: (stateHash) =>
      first<Row<OAuthStateRow>>(sql`DELETE FROM oauth_states WHERE state_hash = ${stateHash} RETURNING *`),
    removeExpiredStates: (now) => changed(sql`DELETE FROM oauth_states WHERE expires_at <= ${now}`),
    identityByLogin: (orgId, provider, login) =>
      first<Row<LinkedIdentityRow>>(sql`
        SELECT * FROM linked_identities
        WHERE org_id = ${orgId} AND provider = ${provider} AND lower(login) = lower(${login}) LIMIT 1`),
    removeIdentity: (orgId, accountId, provider) =>
      changed(sql`
        DELETE FROM linked_identities WHERE org_id = ${orgId} AND account_id = ${accountId}
          AND provider = ${provider}`),
  }
}
