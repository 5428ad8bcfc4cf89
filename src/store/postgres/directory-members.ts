/**
 * Memberships and the change feed of the PostgreSQL directory repository (./directory.ts).
 *
 * Member lists are handled as sets, one statement per step, with the ids as one array parameter
 * (`= ANY($n::text[])`, `unnest`), whatever their number — the twin of SQLite's `json_each`. Lists
 * that SQLite answers in index order (a group's member ids, a user's group ids: its
 * `WITHOUT ROWID` keys) are ordered here explicitly, byte by byte (`COLLATE "C"`), so both engines
 * answer the same order. Users looked up by many ids are probed one id at a time (a `LATERAL`
 * subquery with `LIMIT 1`; see ./directory-read.ts for why).
 *
 * Feed numbers: `directory_changes.seq` is numbered per org from the org's `feed_counters` row, in
 * the same statement that inserts the rows. The counter row stays locked until the transaction
 * commits, so an org's writers take turns from there and commit their numbers in order, without
 * gaps: a reader following `seq > cursor` never skips a row (docs/store.md, "Feed numbering"). The
 * callers append last in their transactions, which keeps that turn short. The data-modifying `WITH`
 * that takes the numbers is PostgreSQL-specific.
 */
import type { Repositories } from '../contract.ts'
import type { GroupRefRow, MemberRow } from '../scim.ts'
import { type PgContext, rows } from './executor.ts'

/** A row interface as the executor's helpers take it (they require an index signature). */
type Row<T> = T & Record<string, unknown>

type Members = Pick<
  Repositories['directory'],
  | 'members'
  | 'memberIds'
  | 'groupsOfUser'
  | 'groupIdsOfUser'
  | 'existingUserIds'
  | 'usersByIds'
  | 'addMembers'
  | 'removeMembers'
  | 'appendChange'
  | 'appendChanges'
>

export function directoryMembers(ctx: PgContext): Members {
  const { sql } = ctx
  return {
    members: (groupId) =>
      rows<Row<MemberRow>>(sql`
        SELECT u.id, u.user_name, u.display_name FROM scim_memberships m JOIN scim_users u ON u.id = m.user_id
        WHERE m.group_id = ${groupId} ORDER BY u.created_at, u.id COLLATE "C"`),
    memberIds: async (groupId) =>
      (
        await rows<{ user_id: string }>(sql`
          SELECT user_id FROM scim_memberships WHERE group_id = ${groupId} ORDER BY user_id COLLATE "C"`)
      ).map((row) => row.user_id),
    groupsOfUser: (userId) =>
      rows<Row<GroupRefRow>>(sql`
        SELECT g.id, g.display_name FROM scim_memberships m JOIN scim_groups g ON g.id = m.group_id
        WHERE m.user_id = ${userId} ORDER BY g.display_name_lower COLLATE "C"`),
    groupIdsOfUser: async (userId) =>
      (
        await rows<{ group_id: string }>(sql`
          SELECT group_id FROM scim_memberships WHERE user_id = ${userId} ORDER BY group_id COLLATE "C"`)
      ).map((row) => row.group_id),
    existingUserIds: async (orgId, ids) =>
      new Set(
        (
          await rows<{ id: string }>(
            sql`SELECT u.id FROM (SELECT DISTINCT unnest(${ids}::text[])) AS k(id)
                CROSS JOIN LATERAL (SELECT id FROM scim_users WHERE id = k.id AND org_id = ${orgId} LIMIT 1) AS u`,
          )
        ).map((row) => row.id),
      ),
    usersByIds: (orgId, ids) =>
      rows<Row<MemberRow>>(sql`
        SELECT u.* FROM (SELECT DISTINCT unnest(${ids}::text[])) AS k(id)
        CROSS JOIN LATERAL (
          SELECT id, user_name, display_name FROM scim_users WHERE id = k.id AND org_id = ${orgId} LIMIT 1) AS u
        ORDER BY u.id COLLATE "C"`),
    addMembers: async (orgId, groupId, userIds) =>
      new Set(
        (
          await rows<{ user_id: string }>(sql`
            INSERT INTO scim_memberships (org_id, group_id, user_id)
            SELECT ${orgId}, ${groupId}, id FROM unnest(${userIds}::text[]) AS ids(id)
            ON CONFLICT DO NOTHING RETURNING user_id`)
        ).map((row) => row.user_id),
      ),
    removeMembers: async (groupId, userIds) =>
      new Set(
        (
          await rows<{ user_id: string }>(sql`
            DELETE FROM scim_memberships WHERE group_id = ${groupId} AND user_id = ANY(${userIds}::text[])
            RETURNING user_id`)
        ).map((row) => row.user_id),
      ),

    async appendChange(orgId, kind, op, resourceId, relatedId, at) {
      await sql`
        WITH counter AS (
          INSERT INTO feed_counters (org_id, feed, last_seq) VALUES (${orgId}, 'directory_changes', 1)
          ON CONFLICT (org_id, feed) DO UPDATE SET last_seq = feed_counters.last_seq + excluded.last_seq
          RETURNING last_seq)
        INSERT INTO directory_changes (seq, org_id, kind, op, resource_id, related_id, at)
        SELECT last_seq, ${orgId}, ${kind}, ${op}, ${resourceId}, ${relatedId}, ${at} FROM counter`
    },
    /** One entry per related id, numbered in the given order (membership deltas of one group). */
    async appendChanges(orgId, kind, op, resourceId, relatedIds, at) {
      if (relatedIds.length === 0) return
      await sql`
        WITH counter AS (
          INSERT INTO feed_counters (org_id, feed, last_seq)
          VALUES (${orgId}, 'directory_changes', ${relatedIds.length})
          ON CONFLICT (org_id, feed) DO UPDATE SET last_seq = feed_counters.last_seq + excluded.last_seq
          RETURNING last_seq)
        INSERT INTO directory_changes (seq, org_id, kind, op, resource_id, related_id, at)
        SELECT counter.last_seq - ${relatedIds.length} + related.n, ${orgId}, ${kind}, ${op}, ${resourceId},
          related.id, ${at}
        FROM counter, unnest(${relatedIds}::text[]) WITH ORDINALITY AS related(id, n)`
    },
  }
}
