/**
 * What the sync scheduler has already announced about groups and memberships (see migration 030).
 * Written only by the scheduler, in the same transaction as the events it emits.
 */
import type { Db } from './database.ts'

export interface MirrorGroupRow {
  org_id: string
  group_id: string
  display_name: string
  display_name_lower: string
  applied_at: number
}

export function syncMirrorRepository(db: Db) {
  const group = db.query<MirrorGroupRow, [string, string]>(
    'SELECT * FROM sync_groups WHERE org_id = ? AND group_id = ?',
  )
  const upsertGroup = db.query(
    `INSERT INTO sync_groups (org_id, group_id, display_name, display_name_lower, applied_at)
     VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (org_id, group_id) DO UPDATE SET display_name = excluded.display_name,
       display_name_lower = excluded.display_name_lower, applied_at = excluded.applied_at`,
  )
  const removeGroup = db.query('DELETE FROM sync_groups WHERE org_id = ? AND group_id = ?')
  const groupsPage = db.query<MirrorGroupRow, [string, string, number]>(
    'SELECT * FROM sync_groups WHERE org_id = ? AND group_id > ? ORDER BY group_id LIMIT ?',
  )
  const countGroups = db.query<{ n: number }, [string]>(
    'SELECT count(*) AS n FROM sync_groups WHERE org_id = ?',
  )
  const hasMembership = db.query<{ n: number }, [string, string, string]>(
    'SELECT count(*) AS n FROM sync_memberships WHERE org_id = ? AND user_id = ? AND group_id = ?',
  )
  const addMembership = db.query(
    'INSERT OR IGNORE INTO sync_memberships (org_id, user_id, group_id) VALUES (?, ?, ?)',
  )
  const removeMembership = db.query(
    'DELETE FROM sync_memberships WHERE org_id = ? AND user_id = ? AND group_id = ?',
  )
  const groupIdsOfUser = db.query<{ group_id: string }, [string, string]>(
    'SELECT group_id FROM sync_memberships WHERE org_id = ? AND user_id = ?',
  )
  const removeUser = db.query('DELETE FROM sync_memberships WHERE org_id = ? AND user_id = ?')
  const membersOfGroup = db.query<{ user_id: string }, [string, string, number]>(
    'SELECT user_id FROM sync_memberships WHERE org_id = ? AND group_id = ? LIMIT ?',
  )
  const memberCount = db.query<{ n: number }, [string, string]>(
    'SELECT count(*) AS n FROM sync_memberships WHERE org_id = ? AND group_id = ?',
  )
  const removeGroupMembersChunk = db.query(
    `DELETE FROM sync_memberships WHERE org_id = ?1 AND group_id = ?2 AND user_id IN
       (SELECT user_id FROM sync_memberships WHERE org_id = ?1 AND group_id = ?2 LIMIT ?3)`,
  )
  const usersPage = db.query<{ user_id: string }, [string, string, number]>(
    `SELECT DISTINCT user_id FROM sync_memberships WHERE org_id = ? AND user_id > ?
     ORDER BY user_id LIMIT ?`,
  )
  const countUsers = db.query<{ n: number }, [string]>(
    'SELECT count(DISTINCT user_id) AS n FROM sync_memberships WHERE org_id = ?',
  )
  const clearChunk = db.query(
    `DELETE FROM sync_memberships WHERE org_id = ?1 AND user_id IN
       (SELECT DISTINCT user_id FROM sync_memberships WHERE org_id = ?1 LIMIT ?2)`,
  )
  const clearGroups = db.query('DELETE FROM sync_groups WHERE org_id = ?')
  return {
    group: (orgId: string, groupId: string) => group.get(orgId, groupId),
    putGroup: (orgId: string, groupId: string, displayName: string, at: number) =>
      upsertGroup.run(orgId, groupId, displayName, displayName.toLowerCase(), at),
    removeGroup: (orgId: string, groupId: string) => removeGroup.run(orgId, groupId),
    groupsPage: (orgId: string, after: string, limit: number) => groupsPage.all(orgId, after, limit),
    countGroups: (orgId: string) => countGroups.get(orgId)?.n ?? 0,
    hasMembership: (orgId: string, userId: string, groupId: string) =>
      (hasMembership.get(orgId, userId, groupId)?.n ?? 0) > 0,
    addMembership: (orgId: string, userId: string, groupId: string) =>
      addMembership.run(orgId, userId, groupId).changes > 0,
    removeMembership: (orgId: string, userId: string, groupId: string) =>
      removeMembership.run(orgId, userId, groupId).changes > 0,
    groupIdsOfUser: (orgId: string, userId: string) =>
      groupIdsOfUser.all(orgId, userId).map((row) => row.group_id),
    removeUser: (orgId: string, userId: string) => removeUser.run(orgId, userId).changes,
    membersOfGroup: (orgId: string, groupId: string, limit: number) =>
      membersOfGroup.all(orgId, groupId, limit).map((row) => row.user_id),
    memberCount: (orgId: string, groupId: string) => memberCount.get(orgId, groupId)?.n ?? 0,
    /** Deletes up to `limit` memberships of a group; returns how many (callers loop until 0). */
    removeGroupMembers: (orgId: string, groupId: string, limit: number) =>
      removeGroupMembersChunk.run(orgId, groupId, limit).changes,
    usersPage: (orgId: string, after: string, limit: number) =>
      usersPage.all(orgId, after, limit).map((row) => row.user_id),
    countUsers: (orgId: string) => countUsers.get(orgId)?.n ?? 0,
    /** Removal: forgets up to `limit` users' memberships of the org; returns rows deleted. */
    clearMembershipsChunk: (orgId: string, limit: number) => clearChunk.run(orgId, limit).changes,
    clearGroups: (orgId: string) => clearGroups.run(orgId).changes,
  }
}
