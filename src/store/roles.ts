/**
 * Role mappings (SCIM group displayName → role) and the role they give a provisioned user: the
 * highest role of any mapped group the user belongs to in the directory, `member` by default.
 */
import type { Db } from './database.ts'

export type Role = 'admin' | 'member'

export interface RoleMappingRow {
  org_id: string
  group_name_lower: string
  group_name: string
  role: Role
}

export function roleRepository(db: Db) {
  const list = db.query<RoleMappingRow, [string]>(
    'SELECT * FROM role_mappings WHERE org_id = ? ORDER BY group_name_lower',
  )
  const clear = db.query('DELETE FROM role_mappings WHERE org_id = ?')
  const insert = db.query(
    'INSERT INTO role_mappings (org_id, group_name_lower, group_name, role) VALUES (?, ?, ?, ?)',
  )
  const adminMappings = db.query<{ n: number }, [string]>(
    "SELECT count(*) AS n FROM role_mappings WHERE org_id = ? AND role = 'admin'",
  )
  const isAdmin = db.query<{ admin: number }, [string, string]>(
    `SELECT EXISTS (
       SELECT 1 FROM scim_memberships m
       JOIN scim_groups g ON g.id = m.group_id
       JOIN role_mappings r ON r.org_id = g.org_id AND r.group_name_lower = g.display_name_lower
       WHERE m.user_id = ? AND r.org_id = ? AND r.role = 'admin') AS admin`,
  )
  const adminsAmong = db.query<{ user_id: string }, [string, string]>(
    `SELECT DISTINCT m.user_id FROM scim_memberships m
       JOIN scim_groups g ON g.id = m.group_id
       JOIN role_mappings r ON r.org_id = g.org_id AND r.group_name_lower = g.display_name_lower
       WHERE m.user_id IN (SELECT value FROM json_each(?)) AND r.org_id = ? AND r.role = 'admin'`,
  )
  const roleOfGroup = db.query<{ role: Role }, [string, string]>(
    'SELECT role FROM role_mappings WHERE org_id = ? AND group_name_lower = ?',
  )
  return {
    list: (orgId: string) => list.all(orgId),
    /** Swaps the org's mappings as a whole: on a refused row nothing changes (a savepoint in a transaction). */
    replace: db.transaction((orgId: string, mappings: Array<{ group: string; role: Role }>): void => {
      clear.run(orgId)
      for (const m of mappings) insert.run(orgId, m.group.toLowerCase(), m.group, m.role)
    }),
    hasAdminMapping: (orgId: string) => (adminMappings.get(orgId)?.n ?? 0) > 0,
    /** The role the directory gives one SCIM user of the org (highest wins, default member). */
    roleOf(orgId: string, scimUserId: string): Role {
      return isAdmin.get(scimUserId, orgId)?.admin === 1 ? 'admin' : 'member'
    },
    /** Which of these SCIM users the directory makes admins (`roleOf` for many, in one query). */
    adminsAmong: (orgId: string, scimUserIds: string[]): string[] =>
      scimUserIds.length === 0
        ? []
        : adminsAmong.all(JSON.stringify(scimUserIds), orgId).map((row) => row.user_id),
    roleOfGroup: (orgId: string, groupNameLower: string) =>
      roleOfGroup.get(orgId, groupNameLower)?.role ?? null,
  }
}
