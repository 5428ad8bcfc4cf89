/**
 * The groups the sync scheduler has already announced (`sync_groups`) on PostgreSQL: the twin of
 * `../sync-mirror.ts`. The reconcile walks them in keyset pages by group id, compared and ordered
 * byte by byte (`COLLATE "C"`) as SQLite compares TEXT, so both engines walk the same pages.
 * Written only by the lease holder, inside the transaction of the events it emits.
 */
import type { Repositories } from '../contract.ts'
import type { MirrorGroupRow } from '../sync-mirror.ts'
import { changed, first, type PgContext, rows } from './executor.ts'

/** A row interface as the executor's helpers take it (they require an index signature). */
type Row<T> = T & Record<string, unknown>

export function syncMirrorRepository(ctx: PgContext): Repositories['syncMirror'] {
  const { sql } = ctx
  return {
    group: (orgId, groupId) =>
      first<Row<MirrorGroupRow>>(
        sql`SELECT * FROM sync_groups WHERE org_id = ${orgId} AND group_id = ${groupId}`,
      ),
    groupsByIds: (orgId, groupIds) =>
      groupIds.length === 0
        ? Promise.resolve([])
        : rows<Row<MirrorGroupRow>>(
            sql`SELECT * FROM sync_groups WHERE org_id = ${orgId} AND group_id = ANY(${groupIds}::text[])`,
          ),
    async putGroup(orgId, groupId, displayName, at) {
      await sql`
        INSERT INTO sync_groups (org_id, group_id, display_name, display_name_lower, applied_at)
        VALUES (${orgId}, ${groupId}, ${displayName}, ${displayName.toLowerCase()}, ${at})
        ON CONFLICT (org_id, group_id) DO UPDATE SET display_name = excluded.display_name,
          display_name_lower = excluded.display_name_lower, applied_at = excluded.applied_at`
    },
    async removeGroup(orgId, groupId) {
      await sql`DELETE FROM sync_groups WHERE org_id = ${orgId} AND group_id = ${groupId}`
    },
    groupsPage: (orgId, after, limit) =>
      rows<Row<MirrorGroupRow>>(sql`
        SELECT * FROM sync_groups WHERE org_id = ${orgId} AND group_id COLLATE "C" > ${after}
        ORDER BY group_id COLLATE "C" LIMIT ${limit}`),
    countGroups: async (orgId) =>
      (await first<{ n: number }>(sql`SELECT count(*) AS n FROM sync_groups WHERE org_id = ${orgId}`))?.n ??
      0,
    clearGroups: (orgId) => changed(sql`DELETE FROM sync_groups WHERE org_id = ${orgId}`),
  }
}
