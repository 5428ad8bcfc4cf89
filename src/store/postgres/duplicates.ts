/** Duplicate pairs on PostgreSQL: the twin of `../duplicates.ts`. */
import type { Repositories } from '../contract.ts'
import type { DuplicateRow } from '../duplicates.ts'
import { changed, first, type PgContext, rows } from './executor.ts'

type Row<T> = T & Record<string, unknown>

export function duplicateRepository(ctx: PgContext): Repositories['duplicates'] {
  const { sql } = ctx
  return {
    record: async (orgId, scimUserId, accountId, matchedOn, at) =>
      (await changed(sql`
        INSERT INTO duplicates (org_id, scim_user_id, account_id, matched_on, detected_at)
        VALUES (${orgId}, ${scimUserId}, ${accountId}, ${matchedOn}, ${at})
        ON CONFLICT (org_id, scim_user_id) DO UPDATE SET account_id = excluded.account_id,
          matched_on = excluded.matched_on, detected_at = excluded.detected_at
        WHERE duplicates.account_id <> excluded.account_id OR duplicates.matched_on <> excluded.matched_on`)) >
      0,
    get: (orgId, scimUserId) =>
      first<Row<DuplicateRow>>(
        sql`SELECT * FROM duplicates WHERE org_id = ${orgId} AND scim_user_id = ${scimUserId}`,
      ),
    ofScimUsers: (orgId, scimUserIds) =>
      scimUserIds.length === 0
        ? Promise.resolve([])
        : rows<Row<DuplicateRow>>(
            sql`SELECT * FROM duplicates WHERE org_id = ${orgId} AND scim_user_id = ANY(${scimUserIds}::text[])`,
          ),
    remove: (orgId, scimUserId) =>
      changed(sql`DELETE FROM duplicates WHERE org_id = ${orgId} AND scim_user_id = ${scimUserId}`),
    page: (orgId, after, limit) =>
      rows<Row<DuplicateRow>>(sql`
        SELECT * FROM duplicates WHERE org_id = ${orgId} AND scim_user_id > ${after}
        ORDER BY scim_user_id LIMIT ${limit}`),
    count: async (orgId) =>
      (await first<{ n: number }>(sql`SELECT count(*)::int AS n FROM duplicates WHERE org_id = ${orgId}`))
        ?.n ?? 0,
  }
}
