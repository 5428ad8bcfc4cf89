/**
 * OAuth states and the per-provider identity reads on PostgreSQL: the twin of `../oauth.ts`. A
 * state is taken with `DELETE … RETURNING`, so of two instances redeeming the same state at once
 * exactly one gets the row (the other's delete finds it gone once the first commits).
 *
 * Connecting checks `identityByLogin` and then links, in one transaction, so that a login is
 * connected to one account of an org at most. On SQLite transactions take turns, so the check
 * holds until the link commits. Here two instances would both find the login free and both link
 * it, so inside a transaction the lookup first takes a transaction lock on (org, provider, login)
 * (`pg_advisory_xact_lock`, held until commit or rollback). The next instance waits for it, and
 * its lookup, a statement of its own and so with a fresh snapshot, sees the committed link.
 */
import type { Repositories } from '../contract.ts'
import type { LinkedIdentityRow } from '../linked-identities.ts'
import type { OAuthStateRow } from '../oauth.ts'
import { changed, first, type PgContext } from './executor.ts'

type Row<T> = T & Record<string, unknown>

/** The first key of the login locks (advisory locks of this class are logins being connected). */
const LOGIN_LOCK = 41

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
    async identityByLogin(orgId, provider, login) {
      if (ctx.inTransaction) {
        // Lowered by JavaScript, which lowers at least what lower() does: logins that compare
        // equal below always share a lock. The two-key form keeps clear of the migration lock.
        const key = JSON.stringify([orgId, provider, login.toLowerCase()])
        await sql`SELECT pg_advisory_xact_lock(${LOGIN_LOCK}, hashtext(${key}))`
      }
      return first<Row<LinkedIdentityRow>>(sql`
        SELECT * FROM linked_identities
        WHERE org_id = ${orgId} AND provider = ${provider} AND lower(login) = lower(${login}) LIMIT 1`)
    },
    removeIdentity: (orgId, accountId, provider) =>
      changed(sql`
        DELETE FROM linked_identities WHERE org_id = ${orgId} AND account_id = ${accountId}
          AND provider = ${provider}`),
  }
}
