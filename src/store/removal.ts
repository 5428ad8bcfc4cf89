/**
 * Statements of the integration removal: the only place where the sync scheduler deletes directory
 * rows (the SCIM token is already gone, so nothing writes them any more). Each works on a bounded
 * chunk so a removal of a large org is a series of short transactions.
 */
import type { Db } from './database.ts'

export function removalRepository(db: Db) {
  const deleteScimUser = db.query('DELETE FROM scim_users WHERE org_id = ? AND id = ?')
  // Provisioned users that never became an account and are not waiting as a duplicate: the dry run
  // counts them as deleted users (integrations.countRemovableUsers), so the removal counts them too.
  const orphanUsers = db.query<{ id: string }, [string, number]>(
    `SELECT u.id FROM scim_users u WHERE u.org_id = ?
       AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.scim_user_id = u.id)
       AND NOT EXISTS (SELECT 1 FROM duplicates d WHERE d.scim_user_id = u.id)
     LIMIT ?`,
  )
  const pendingDuplicates = db.query<{ scim_user_id: string }, [string, number]>(
    'SELECT scim_user_id FROM duplicates WHERE org_id = ? LIMIT ?',
  )
  const groups = db.query<{ id: string }, [string, number]>(
    'SELECT id FROM scim_groups WHERE org_id = ? LIMIT ?',
  )
  const groupMembersChunk = db.query(
    `DELETE FROM scim_memberships WHERE group_id = ?1 AND user_id IN
       (SELECT user_id FROM scim_memberships WHERE group_id = ?1 LIMIT ?2)`,
  )
  const deleteGroup = db.query('DELETE FROM scim_groups WHERE org_id = ? AND id = ?')
  const changesChunk = db.query(
    `DELETE FROM directory_changes WHERE seq IN
       (SELECT seq FROM directory_changes WHERE org_id = ?1 ORDER BY seq LIMIT ?2)`,
  )
  const lastSeq = db.query<{ seq: number | null }, [string]>(
    'SELECT max(seq) AS seq FROM directory_changes WHERE org_id = ?',
  )
  return {
    deleteScimUser: (orgId: string, id: string) => deleteScimUser.run(orgId, id).changes,
    orphanUsers: (orgId: string, limit: number) => orphanUsers.all(orgId, limit).map((r) => r.id),
    pendingDuplicates: (orgId: string, limit: number) =>
      pendingDuplicates.all(orgId, limit).map((r) => r.scim_user_id),
    groups: (orgId: string, limit: number) => groups.all(orgId, limit).map((r) => r.id),
    /** Deletes up to `limit` memberships of one group; returns how many. */
    deleteGroupMembers: (groupId: string, limit: number) => groupMembersChunk.run(groupId, limit).changes,
    deleteGroup: (orgId: string, id: string) => deleteGroup.run(orgId, id).changes,
    deleteChanges: (orgId: string, limit: number) => changesChunk.run(orgId, limit).changes,
    lastSeq: (orgId: string) => lastSeq.get(orgId)?.seq ?? 0,
  }
}
