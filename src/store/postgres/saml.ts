/**
 * SAML state on PostgreSQL: the twin of `../saml.ts`. The replay cache is one upsert that only
 * takes over an expired entry, and an outstanding AuthnRequest is consumed with `DELETE …
 * RETURNING`: of two instances handling the same assertion or request at once, exactly one wins
 * (the other waits for the first's commit on the key, then finds a live entry or nothing).
 */
import type { Repositories } from '../contract.ts'
import type { SamlLogoutRequestRow, SamlRequestRow } from '../saml.ts'
import { changed, first, type PgContext, rows } from './executor.ts'

type Row<T> = T & Record<string, unknown>

export function samlRepository(ctx: PgContext): Repositories['saml'] {
  const { sql } = ctx
  return {
    rememberAssertion: async (orgId, assertionId, expiresAt, now) =>
      (await changed(sql`
        INSERT INTO saml_replay (org_id, assertion_id, expires_at) VALUES (${orgId}, ${assertionId}, ${expiresAt})
        ON CONFLICT (org_id, assertion_id) DO UPDATE SET expires_at = excluded.expires_at
        WHERE saml_replay.expires_at <= ${now}`)) === 1,
    isRemembered: async (orgId, assertionId, now) =>
      Number(
        (
          await first<{ n: number }>(sql`
            SELECT count(*)::int AS n FROM saml_replay
            WHERE org_id = ${orgId} AND assertion_id = ${assertionId} AND expires_at > ${now}`)
        )?.n ?? 0,
      ) > 0,
    requestOutstanding: async (orgId, requestId, now) =>
      Number(
        (
          await first<{ n: number }>(sql`
            SELECT count(*)::int AS n FROM saml_requests
            WHERE org_id = ${orgId} AND request_id = ${requestId} AND expires_at > ${now}`)
        )?.n ?? 0,
      ) > 0,
    prune: async (now) =>
      (await changed(sql`DELETE FROM saml_replay WHERE expires_at <= ${now}`)) +
      (await changed(sql`DELETE FROM saml_requests WHERE expires_at <= ${now}`)) +
      (await changed(sql`DELETE FROM saml_logout_requests WHERE expires_at <= ${now}`)),
    async insertRequest(row) {
      await sql`
        INSERT INTO saml_requests (org_id, request_id, browser_hash, next_path, expires_at, purpose)
        VALUES (${row.org_id}, ${row.request_id}, ${row.browser_hash}, ${row.next_path}, ${row.expires_at},
                ${row.purpose})`
    },
    takeRequest: (orgId, requestId, browserHash, now) =>
      first<Row<SamlRequestRow>>(sql`
        DELETE FROM saml_requests
        WHERE org_id = ${orgId} AND request_id = ${requestId} AND browser_hash = ${browserHash}
          AND expires_at > ${now}
        RETURNING *`),
    async insertLogoutRequest(row) {
      await sql`
        INSERT INTO saml_logout_requests (org_id, request_id, subject_id, expires_at)
        VALUES (${row.org_id}, ${row.request_id}, ${row.subject_id}, ${row.expires_at})`
    },
    takeLogoutRequest: (orgId, requestId, now) =>
      first<Row<SamlLogoutRequestRow>>(sql`
        DELETE FROM saml_logout_requests
        WHERE org_id = ${orgId} AND request_id = ${requestId} AND expires_at > ${now}
        RETURNING *`),
    async clearSpKeys(orgId, at) {
      await sql`UPDATE integrations SET sp_private_key = NULL, sp_certificate = NULL, updated_at = ${at}
                WHERE org_id = ${orgId}`
    },
    groupsOf: async (orgId, accountId) =>
      (
        await rows<{ display_name: string }>(sql`
          SELECT g.display_name FROM accounts a
            JOIN scim_memberships m ON m.user_id = a.scim_user_id AND m.org_id = a.org_id
            JOIN scim_groups g ON g.id = m.group_id AND g.org_id = a.org_id
          WHERE a.org_id = ${orgId} AND a.id = ${accountId} ORDER BY g.display_name_lower`)
      ).map((g) => g.display_name),
  }
}
