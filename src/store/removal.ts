/**
 * Statements of the integration removal: the only place where the sync scheduler deletes directory
 * rows (the SCIM token is already gone, so nothing writes them any more). Each works on a bounded
 * chunk so a removal of a large org is a series of short transactions, and each deletes its chunk
 * as a set — a handful of statements per batch instead of a handful per account: the next accounts
 * by id are read once, and the same key range (`id <= last`) then names them to every statement.
 */
import type { Db } from './database.ts'

export interface RemovedAccount {
  id: string
  email: string
  scim_user_id: string | null
}

/** The chunk's accounts: created via the integration, or pre-existing ones merged with a user. */
const CREATED = 'org_id = ?1 AND created_via_integration = 1 AND id <= ?2'
const MERGED = 'org_id = ?1 AND created_via_integration = 0 AND scim_user_id IS NOT NULL AND id <= ?2'

export function removalRepository(db: Db) {
  const createdChunk = db.query<RemovedAccount, [string, number]>(
    `SELECT id, email, scim_user_id FROM accounts WHERE org_id = ? AND created_via_integration = 1
     ORDER BY id LIMIT ?`,
  )
  const mergedChunk = db.query<RemovedAccount, [string, number]>(
    `SELECT id, email, scim_user_id FROM accounts
     WHERE org_id = ? AND created_via_integration = 0 AND scim_user_id IS NOT NULL ORDER BY id LIMIT ?`,
  )
  const chunkStatements = (where: string) => ({
    endSessions: db.query(
      `DELETE FROM sessions WHERE org_id = ?1 AND kind = 'user' AND subject_id IN
         (SELECT id FROM accounts WHERE ${where})`,
    ),
    // Their memberships and duplicate records go with them (ON DELETE CASCADE).
    deleteUsers: db.query(
      `DELETE FROM scim_users WHERE org_id = ?1 AND id IN (SELECT scim_user_id FROM accounts WHERE ${where})`,
    ),
  })
  const created = chunkStatements(CREATED)
  const merged = chunkStatements(MERGED)
  // Linked identities and OAuth states go with the accounts (ON DELETE CASCADE).
  const deleteCreated = db.query(`DELETE FROM accounts WHERE ${CREATED}`)
  const unlinkMerged = db.query(`UPDATE accounts SET scim_user_id = NULL, updated_at = ?3 WHERE ${MERGED}`)
  const deleteWaiting = db.query(
    `DELETE FROM scim_users WHERE org_id = ?1 AND id IN
       (SELECT scim_user_id FROM duplicates WHERE org_id = ?1 LIMIT ?2)`,
  )
  // Provisioned users that never became an account and are not waiting as a duplicate: the dry run
  // counts them as deleted users (integrations.countRemovableUsers), so the removal counts them too.
  const deleteOrphans = db.query(
    `DELETE FROM scim_users WHERE org_id = ?1 AND id IN
       (SELECT u.id FROM scim_users u WHERE u.org_id = ?1
          AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.scim_user_id = u.id)
          AND NOT EXISTS (SELECT 1 FROM duplicates d WHERE d.scim_user_id = u.id)
        LIMIT ?2)`,
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
    /**
     * Deletes the next `limit` accounts created via the integration, with their sessions and SCIM
     * users; returns them (for their events) and the sessions ended.
     */
    deleteCreatedAccounts(
      orgId: string,
      limit: number,
    ): { accounts: RemovedAccount[]; sessionsEnded: number } {
      const accounts = createdChunk.all(orgId, limit)
      const last = accounts.at(-1)
      if (!last) return { accounts, sessionsEnded: 0 }
      const sessionsEnded = created.endSessions.run(orgId, last.id).changes
      created.deleteUsers.run(orgId, last.id)
      deleteCreated.run(orgId, last.id)
      return { accounts, sessionsEnded }
    },
    /**
     * Unlinks the next `limit` pre-existing accounts merged with a provisioned user (they stay),
     * ending their sessions and deleting their SCIM users; returns them as they were.
     */
    unlinkMergedAccounts(
      orgId: string,
      limit: number,
      now: number,
    ): { accounts: RemovedAccount[]; sessionsEnded: number } {
      const accounts = mergedChunk.all(orgId, limit)
      const last = accounts.at(-1)
      if (!last) return { accounts, sessionsEnded: 0 }
      const sessionsEnded = merged.endSessions.run(orgId, last.id).changes
      merged.deleteUsers.run(orgId, last.id)
      unlinkMerged.run(orgId, last.id, now)
      return { accounts, sessionsEnded }
    },
    /** Deletes up to `limit` provisioned users waiting as duplicates; returns how many. */
    deleteWaitingDuplicates: (orgId: string, limit: number) => deleteWaiting.run(orgId, limit).changes,
    /** Deletes up to `limit` provisioned users that never became an account; returns how many. */
    deleteOrphanUsers: (orgId: string, limit: number) => deleteOrphans.run(orgId, limit).changes,
    groups: (orgId: string, limit: number) => groups.all(orgId, limit).map((r) => r.id),
    /** Deletes up to `limit` memberships of one group; returns how many. */
    deleteGroupMembers: (groupId: string, limit: number) => groupMembersChunk.run(groupId, limit).changes,
    deleteGroup: (orgId: string, id: string) => deleteGroup.run(orgId, id).changes,
    deleteChanges: (orgId: string, limit: number) => changesChunk.run(orgId, limit).changes,
    lastSeq: (orgId: string) => lastSeq.get(orgId)?.seq ?? 0,
  }
}
