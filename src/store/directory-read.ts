/**
 * Read-only queries over the SCIM directory (scim_users, scim_groups, scim_memberships) for the sync
 * scheduler and the admin API. The SCIM API owns the writes (`store/scim.ts`); this module never
 * writes, except the removal statements in `store/removal.ts`.
 */
import type { Db } from './database.ts'

export interface DirectoryUserRow {
  id: string
  org_id: string
  user_name: string
  external_id: string | null
  email_lower: string | null
  display_name: string | null
  given_name: string | null
  family_name: string | null
  active: number
  resource: string
  created_at: number
  updated_at: number
}

export interface DirectoryGroupRow {
  id: string
  org_id: string
  display_name: string
  display_name_lower: string
  external_id: string | null
  created_at: number
  updated_at: number
}

export interface Keyset {
  createdAt: number
  id: string
}

const USER_COLUMNS =
  'id, org_id, user_name, external_id, email_lower, display_name, given_name, family_name, active, resource, created_at, updated_at'
const GROUP_COLUMNS = 'id, org_id, display_name, display_name_lower, external_id, created_at, updated_at'

export function directoryReadRepository(db: Db) {
  const user = db.query<DirectoryUserRow, [string, string]>(
    `SELECT ${USER_COLUMNS} FROM scim_users WHERE org_id = ? AND id = ?`,
  )
  const group = db.query<DirectoryGroupRow, [string, string]>(
    `SELECT ${GROUP_COLUMNS} FROM scim_groups WHERE org_id = ? AND id = ?`,
  )
  const hasMembership = db.query<{ n: number }, [string, string, string]>(
    'SELECT count(*) AS n FROM scim_memberships WHERE group_id = ? AND user_id = ? AND org_id = ?',
  )
  const groupIdsOfUser = db.query<{ group_id: string }, [string, string]>(
    'SELECT group_id FROM scim_memberships WHERE user_id = ? AND org_id = ?',
  )
  const groupNamesOfUser = db.query<{ display_name: string }, [string, string]>(
    `SELECT g.display_name FROM scim_memberships m JOIN scim_groups g ON g.id = m.group_id
     WHERE m.user_id = ? AND m.org_id = ? ORDER BY g.display_name_lower`,
  )
  const memberIds = db.query<{ user_id: string }, [string, string, number]>(
    'SELECT user_id FROM scim_memberships WHERE group_id = ? AND org_id = ? LIMIT ?',
  )
  const memberCount = db.query<{ n: number }, [string]>(
    'SELECT count(*) AS n FROM scim_memberships WHERE group_id = ?',
  )
  const usersPage = db.query<DirectoryUserRow, [string, number, number, string, number]>(
    `SELECT ${USER_COLUMNS} FROM scim_users WHERE org_id = ?
       AND (created_at > ? OR (created_at = ? AND id > ?)) ORDER BY created_at, id LIMIT ?`,
  )
  const groupsPage = db.query<DirectoryGroupRow, [string, number, number, string, number]>(
    `SELECT ${GROUP_COLUMNS} FROM scim_groups WHERE org_id = ?
       AND (created_at > ? OR (created_at = ? AND id > ?)) ORDER BY created_at, id LIMIT ?`,
  )
  const countUsers = db.query<{ n: number }, [string]>(
    'SELECT count(*) AS n FROM scim_users WHERE org_id = ?',
  )
  const countGroups = db.query<{ n: number }, [string]>(
    'SELECT count(*) AS n FROM scim_groups WHERE org_id = ?',
  )
  // Batch reads take the ids as one JSON array (json_each), whatever their number: one statement.
  const usersByIds = db.query<DirectoryUserRow, [string, string]>(
    `SELECT ${USER_COLUMNS} FROM scim_users WHERE org_id = ? AND id IN (SELECT value FROM json_each(?))`,
  )
  const groupsByIds = db.query<DirectoryGroupRow, [string, string]>(
    `SELECT ${GROUP_COLUMNS} FROM scim_groups WHERE org_id = ? AND id IN (SELECT value FROM json_each(?))`,
  )
  const start: Keyset = { createdAt: -1, id: '' }
  return {
    user: (orgId: string, id: string) => user.get(orgId, id),
    group: (orgId: string, id: string) => group.get(orgId, id),
    /** The org's users among `ids`, in no particular order (ids it does not have are left out). */
    usersByIds: (orgId: string, ids: string[]): DirectoryUserRow[] =>
      ids.length === 0 ? [] : usersByIds.all(orgId, JSON.stringify(ids)),
    /** The org's groups among `ids`, in no particular order. */
    groupsByIds: (orgId: string, ids: string[]): DirectoryGroupRow[] =>
      ids.length === 0 ? [] : groupsByIds.all(orgId, JSON.stringify(ids)),
    hasMembership: (orgId: string, groupId: string, userId: string) =>
      (hasMembership.get(groupId, userId, orgId)?.n ?? 0) > 0,
    groupIdsOfUser: (orgId: string, userId: string) =>
      groupIdsOfUser.all(userId, orgId).map((row) => row.group_id),
    groupNamesOfUser: (orgId: string, userId: string) =>
      groupNamesOfUser.all(userId, orgId).map((row) => row.display_name),
    memberIds: (orgId: string, groupId: string, limit: number) =>
      memberIds.all(groupId, orgId, limit).map((row) => row.user_id),
    memberCount: (groupId: string) => memberCount.get(groupId)?.n ?? 0,
    usersPage: (orgId: string, after: Keyset | null, limit: number) => {
      const k = after ?? start
      return usersPage.all(orgId, k.createdAt, k.createdAt, k.id, limit)
    },
    groupsPage: (orgId: string, after: Keyset | null, limit: number) => {
      const k = after ?? start
      return groupsPage.all(orgId, k.createdAt, k.createdAt, k.id, limit)
    },
    countUsers: (orgId: string) => countUsers.get(orgId)?.n ?? 0,
    countGroups: (orgId: string) => countGroups.get(orgId)?.n ?? 0,
  }
}
