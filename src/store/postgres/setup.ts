/** Setup codes, setup links and the setup progress read on PostgreSQL: the twin of `../setup.ts`. */
import type { Repositories } from '../contract.ts'
import type { SetupCodeRow, SetupLinkRow, SetupProgressRow } from '../setup.ts'
import { changed, first, type PgContext, rows } from './executor.ts'

type Row<T> = T & Record<string, unknown>

/**
 * The advisory lock of first runs (two keys: clear of the migration lock's one). Two instances that
 * each print their own set-up code would otherwise both count no org under READ COMMITTED, both
 * take their own code and both make a "first" org.
 */
const FIRST_RUN_LOCK = [42, 1] as const

export function setupRepository(ctx: PgContext): Repositories['setup'] {
  const { sql } = ctx
  return {
    async insertCode(row) {
      await sql`INSERT INTO setup_codes (code_hash, created_at, expires_at)
        VALUES (${row.code_hash}, ${row.created_at}, ${row.expires_at})`
    },
    findCode: (hash, now) =>
      first<Row<SetupCodeRow>>(
        sql`SELECT * FROM setup_codes WHERE code_hash = ${hash} AND expires_at > ${now}`,
      ),
    takeCode: async (hash, now) =>
      (await changed(sql`DELETE FROM setup_codes WHERE code_hash = ${hash} AND expires_at > ${now}`)) > 0,
    async clearCodes() {
      await sql`DELETE FROM setup_codes`
    },
    purgeExpiredCodes: (now) => changed(sql`DELETE FROM setup_codes WHERE expires_at <= ${now}`),
    orgCountUpTo2: async () =>
      Number(
        (await first<{ n: number }>(sql`SELECT count(*) AS n FROM (SELECT 1 FROM orgs LIMIT 2) AS o`))?.n ??
          0,
      ),
    async lockFirstRun() {
      if (!ctx.inTransaction) throw new Error('lockFirstRun belongs inside store.transaction')
      await sql`SELECT pg_advisory_xact_lock(${FIRST_RUN_LOCK[0]}, ${FIRST_RUN_LOCK[1]})`
    },
    async insertLink(row) {
      await sql`
        INSERT INTO setup_links (id, org_id, idp, token_hash, created_by, created_at, expires_at)
        VALUES (${row.id}, ${row.org_id}, ${row.idp}, ${row.token_hash}, ${row.created_by ?? null},
          ${row.created_at}, ${row.expires_at})`
    },
    linkByTokenHash: (hash) =>
      first<Row<SetupLinkRow>>(sql`SELECT * FROM setup_links WHERE token_hash = ${hash}`),
    linkById: (orgId, id) =>
      first<Row<SetupLinkRow>>(sql`SELECT * FROM setup_links WHERE org_id = ${orgId} AND id = ${id}`),
    listLinks: (orgId, limit) =>
      rows<Row<SetupLinkRow>>(sql`
        SELECT * FROM setup_links WHERE org_id = ${orgId}
        ORDER BY created_at DESC, id COLLATE "C" DESC LIMIT ${limit}`),
    revokeLink: async (orgId, id, at) =>
      (await changed(sql`
        UPDATE setup_links SET revoked_at = ${at}
        WHERE org_id = ${orgId} AND id = ${id} AND revoked_at IS NULL`)) > 0,
    async touchLink(id, at) {
      await sql`UPDATE setup_links SET last_used_at = ${at} WHERE id = ${id}`
    },
    async progress(orgId) {
      const row = await first<Row<SetupProgressRow>>(sql`
        SELECT
          (SELECT count(*) FROM integrations WHERE org_id = ${orgId}) AS configured,
          (SELECT first_scim_request_at FROM integrations WHERE org_id = ${orgId}) AS first_scim_request_at,
          (EXISTS (SELECT 1 FROM accounts WHERE org_id = ${orgId} AND scim_user_id IS NOT NULL))::int AS provisioned,
          (EXISTS (SELECT 1 FROM audit_log WHERE org_id = ${orgId} AND kind = 'saml' AND action = 'sign_in'
            AND outcome = 'success'))::int AS signed_in,
          (SELECT CASE WHEN outcome = 'failure' THEN reason END FROM audit_log
            WHERE org_id = ${orgId} AND kind = 'saml' AND action = 'sign_in' ORDER BY id DESC LIMIT 1) AS last_failure`)
      return {
        configured: Number(row?.configured ?? 0),
        first_scim_request_at: row?.first_scim_request_at ?? null,
        provisioned: Number(row?.provisioned ?? 0),
        signed_in: Number(row?.signed_in ?? 0),
        last_failure: row?.last_failure ?? null,
      }
    },
  }
}
