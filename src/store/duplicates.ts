/**
 * Duplicate pairs: a provisioned SCIM user whose email matches an account that existed before the
 * integration (by its email or a linked identity's). The pair waits here until an admin's resync
 * merges it; the SCIM user gets no second account meanwhile.
 */
import type { Db } from './database.ts'

export type MatchedOn = 'email' | 'linked:github' | 'linked:bitbucket'

export interface DuplicateRow {
  org_id: string
  scim_user_id: string
  account_id: string
  matched_on: MatchedOn
  detected_at: number
}

export function duplicateRepository(db: Db) {
  const upsert = db.query(
    `INSERT INTO duplicates (org_id, scim_user_id, account_id, matched_on, detected_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (org_id, scim_user_id) DO UPDATE SET account_id = excluded.account_id,
       matched_on = excluded.matched_on, detected_at = excluded.detected_at
     WHERE duplicates.account_id <> excluded.account_id OR duplicates.matched_on <> excluded.matched_on`,
  )
  const get = db.query<DuplicateRow, [string, string]>(
    'SELECT * FROM duplicates WHERE org_id = ? AND scim_user_id = ?',
  )
  const ofScimUsers = db.query<DuplicateRow, [string, string]>(
    'SELECT * FROM duplicates WHERE org_id = ? AND scim_user_id IN (SELECT value FROM json_each(?))',
  )
  const remove = db.query('DELETE FROM duplicates WHERE org_id = ? AND scim_user_id = ?')
  const page = db.query<DuplicateRow, [string, string, number]>(
    'SELECT * FROM duplicates WHERE org_id = ? AND scim_user_id > ? ORDER BY scim_user_id LIMIT ?',
  )
  const count = db.query<{ n: number }, [string]>('SELECT count(*) AS n FROM duplicates WHERE org_id = ?')
  return {
    /** Records the pair; returns true when it is new or changed. */
    record: (orgId: string, scimUserId: string, accountId: string, matchedOn: MatchedOn, at: number) =>
      upsert.run(orgId, scimUserId, accountId, matchedOn, at).changes > 0,
    get: (orgId: string, scimUserId: string) => get.get(orgId, scimUserId),
    /** The pairs of any of these SCIM users, in no particular order. */
    ofScimUsers: (orgId: string, scimUserIds: string[]): DuplicateRow[] =>
      scimUserIds.length === 0 ? [] : ofScimUsers.all(orgId, JSON.stringify(scimUserIds)),
    remove: (orgId: string, scimUserId: string) => remove.run(orgId, scimUserId).changes,
    /** Keyset page by SCIM user id (exclusive `after`). */
    page: (orgId: string, after: string, limit: number) => page.all(orgId, after, limit),
    count: (orgId: string) => count.get(orgId)?.n ?? 0,
  }
}
