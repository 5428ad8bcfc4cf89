/** Server-side sessions on PostgreSQL: the twin of `../sessions.ts` (only token hashes are stored). */
import type { Repositories } from '../contract.ts'
import type { SessionForRequest, SessionRow } from '../sessions.ts'
import { changed, first, type PgContext, rows } from './executor.ts'

type Row<T> = T & Record<string, unknown>

export function sessionRepository(ctx: PgContext): Repositories['sessions'] {
  const { sql } = ctx
  return {
    async insert(row) {
      await sql`
        INSERT INTO sessions (token_hash, org_id, kind, subject_id, csrf_token, created_at, last_seen_at, expires_at,
                              account_id, name_id, name_id_format, session_index)
        VALUES (${row.token_hash}, ${row.org_id}, ${row.kind}, ${row.subject_id}, ${row.csrf_token},
                ${row.created_at}, ${row.last_seen_at}, ${row.expires_at}, ${row.account_id},
                ${row.name_id}, ${row.name_id_format}, ${row.session_index})`
    },
    byHash: (hash) => first<Row<SessionRow>>(sql`SELECT * FROM sessions WHERE token_hash = ${hash}`),
    forRequest: (hash) =>
      first<Row<SessionForRequest>>(sql`
        SELECT s.*, i.settings AS integration_settings, a.active AS account_active, a.role AS account_role
        FROM sessions s
          LEFT JOIN integrations i ON i.org_id = s.org_id
          LEFT JOIN accounts a ON s.account_id IS NOT NULL AND a.org_id = s.org_id AND a.id = s.account_id
        WHERE s.token_hash = ${hash}`),
    async touch(hash, at) {
      await sql`UPDATE sessions SET last_seen_at = ${at} WHERE token_hash = ${hash}`
    },
    async remove(hash) {
      await sql`DELETE FROM sessions WHERE token_hash = ${hash}`
    },
    removeForSubject: (orgId, subjectId, kind = 'user') =>
      changed(
        sql`DELETE FROM sessions WHERE org_id = ${orgId} AND subject_id = ${subjectId} AND kind = ${kind}`,
      ),
    removeForSubjectExcept: (orgId, subjectId, kind, keepHash) =>
      changed(sql`
        DELETE FROM sessions WHERE org_id = ${orgId} AND subject_id = ${subjectId} AND kind = ${kind}
          AND token_hash <> ${keepHash}`),
    removeExpired: (now) => changed(sql`DELETE FROM sessions WHERE expires_at <= ${now}`),
    removeForNameId: async (orgId, nameId, sessionIndexes) =>
      (
        await rows<{ subject_id: string }>(
          sessionIndexes === null
            ? sql`DELETE FROM sessions WHERE org_id = ${orgId} AND name_id = ${nameId} AND kind = 'user'
                  RETURNING subject_id`
            : sql`DELETE FROM sessions WHERE org_id = ${orgId} AND name_id = ${nameId} AND kind = 'user'
                    AND session_index = ANY(${sessionIndexes}::text[])
                  RETURNING subject_id`,
        )
      ).map((row) => row.subject_id),
  }
}
