/**
 * Read-only queries over the SCIM directory on PostgreSQL: the twin of `../directory-read.ts`, for
 * the sync scheduler and the admin API. Keyset pages follow (created_at, id) with the ids compared
 * and ordered byte by byte (`COLLATE "C"`), as SQLite compares TEXT, so a reconcile walks the same
 * pages in the same order on both engines whatever the database's collation. The redundant
 * `created_at >= $k` lets the (org_id, created_at, id) index bound the scan.
 *
 * The reads by many ids probe the primary key once per id (a `LATERAL` subquery with `LIMIT 1`,
 * which the planner cannot turn into a join): as `org_id = $1 AND id = ANY($2)`, on the stale
 * statistics of a table a push is filling, the planner ANDed in a bitmap of the org's every row.
 */
import type { Repositories } from '../contract.ts'
import type { DirectoryGroupRow, DirectoryUserRow, Keyset } from '../directory-read.ts'
import { first, type PgContext, rows } from './executor.ts'

/** A row interface as the executor's helpers take it (they require an index signature). */
type Row<T> = T & Record<string, unknown>

const start: Keyset = { createdAt: -1, id: '' }

export function directoryReadRepository(ctx: PgContext): Repositories['directoryRead'] {
  const { sql } = ctx
  return {
    user: (orgId, id) =>
      first<Row<DirectoryUserRow>>(sql`
        SELECT id, org_id, user_name, external_id, email_lower, display_name, given_name, family_name,
          active, resource, created_at, updated_at
        FROM scim_users WHERE org_id = ${orgId} AND id = ${id}`),
    group: (orgId, id) =>
      first<Row<DirectoryGroupRow>>(sql`
        SELECT id, org_id, display_name, display_name_lower, external_id, created_at, updated_at
        FROM scim_groups WHERE org_id = ${orgId} AND id = ${id}`),
    usersByIds: (orgId, ids) =>
      ids.length === 0
        ? Promise.resolve([])
        : rows<Row<DirectoryUserRow>>(sql`
            SELECT u.* FROM (SELECT DISTINCT unnest(${ids}::text[])) AS k(id)
            CROSS JOIN LATERAL (
              SELECT id, org_id, user_name, external_id, email_lower, display_name, given_name, family_name,
                active, resource, created_at, updated_at
              FROM scim_users WHERE id = k.id AND org_id = ${orgId} LIMIT 1) AS u`),
    groupsByIds: (orgId, ids) =>
      ids.length === 0
        ? Promise.resolve([])
        : rows<Row<DirectoryGroupRow>>(sql`
            SELECT g.* FROM (SELECT DISTINCT unnest(${ids}::text[])) AS k(id)
            CROSS JOIN LATERAL (
              SELECT id, org_id, display_name, display_name_lower, external_id, created_at, updated_at
              FROM scim_groups WHERE id = k.id AND org_id = ${orgId} LIMIT 1) AS g`),
    hasMembership: async (orgId, groupId, userId) =>
      (await first(sql`
          SELECT 1 AS found FROM scim_memberships
          WHERE group_id = ${groupId} AND user_id = ${userId} AND org_id = ${orgId}`)) !== null,
    groupIdsOfUser: async (orgId, userId) =>
      (
        await rows<{ group_id: string }>(sql`
          SELECT group_id FROM scim_memberships WHERE user_id = ${userId} AND org_id = ${orgId}
          ORDER BY group_id COLLATE "C"`)
      ).map((row) => row.group_id),
    groupNamesOfUser: async (orgId, userId) =>
      (
        await rows<{ display_name: string }>(sql`
          SELECT g.display_name FROM scim_memberships m JOIN scim_groups g ON g.id = m.group_id
          WHERE m.user_id = ${userId} AND m.org_id = ${orgId} ORDER BY g.display_name_lower COLLATE "C"`)
      ).map((row) => row.display_name),
    memberIds: async (orgId, groupId, limit) =>
      (
        await rows<{ user_id: string }>(sql`
          SELECT user_id FROM scim_memberships WHERE group_id = ${groupId} AND org_id = ${orgId}
          ORDER BY user_id COLLATE "C" LIMIT ${limit}`)
      ).map((row) => row.user_id),
    memberCount: async (groupId) =>
      (
        await first<{ n: number }>(
          sql`SELECT count(*) AS n FROM scim_memberships WHERE group_id = ${groupId}`,
        )
      )?.n ?? 0,
    usersPage: (orgId, after, limit) => {
      const k = after ?? start
      return rows<Row<DirectoryUserRow>>(sql`
        SELECT id, org_id, user_name, external_id, email_lower, display_name, given_name, family_name,
          active, resource, created_at, updated_at
        FROM scim_users WHERE org_id = ${orgId} AND created_at >= ${k.createdAt}
          AND (created_at > ${k.createdAt} OR id COLLATE "C" > ${k.id})
        ORDER BY created_at, id COLLATE "C" LIMIT ${limit}`)
    },
    groupsPage: (orgId, after, limit) => {
      const k = after ?? start
      return rows<Row<DirectoryGroupRow>>(sql`
        SELECT id, org_id, display_name, display_name_lower, external_id, created_at, updated_at
        FROM scim_groups WHERE org_id = ${orgId} AND created_at >= ${k.createdAt}
          AND (created_at > ${k.createdAt} OR id COLLATE "C" > ${k.id})
        ORDER BY created_at, id COLLATE "C" LIMIT ${limit}`)
    },
    countUsers: async (orgId) =>
      (await first<{ n: number }>(sql`SELECT count(*) AS n FROM scim_users WHERE org_id = ${orgId}`))?.n ?? 0,
    countGroups: async (orgId) =>
      (await first<{ n: number }>(sql`SELECT count(*) AS n FROM scim_groups WHERE org_id = ${orgId}`))?.n ??
      0,
  }
}
