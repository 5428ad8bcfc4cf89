/**
 * Role mappings on PostgreSQL: the twin of `../roles.ts`. The key is lowered by JavaScript, as on
 * SQLite and as the SCIM layer lowers a group's `display_name_lower`: PostgreSQL's lower() follows
 * the collation (ASCII only under "C", more under others), and a key lowered differently from the
 * group's never matches it.
 */
import type { Repositories } from '../contract.ts'
import type { Role, RoleMappingRow } from '../roles.ts'
import { atomic, first, type PgContext, rows } from './executor.ts'

type Row<T> = T & Record<string, unknown>

export function roleRepository(ctx: PgContext): Repositories['roles'] {
  const { sql } = ctx
  return {
    list: (orgId) =>
      rows<Row<RoleMappingRow>>(
        sql`SELECT * FROM role_mappings WHERE org_id = ${orgId} ORDER BY group_name_lower`,
      ),
    replace: (orgId, mappings) =>
      atomic(ctx, async (tx) => {
        await tx`DELETE FROM role_mappings WHERE org_id = ${orgId}`
        if (mappings.length === 0) return
        await tx`
          INSERT INTO role_mappings (org_id, group_name_lower, group_name, role)
          SELECT ${orgId}, m.name_lower, m.name, m.role
          FROM unnest(${mappings.map((m) => m.group.toLowerCase())}::text[], ${mappings.map((m) => m.group)}::text[],
                      ${mappings.map((m) => m.role)}::text[]) AS m(name_lower, name, role)`
      }),
    hasAdminMapping: async (orgId) =>
      (await first<{ n: number }>(
        sql`SELECT count(*)::int AS n FROM role_mappings WHERE org_id = ${orgId} AND role = 'admin'`,
      ))!.n > 0,
    roleOf: async (orgId, scimUserId): Promise<Role> => {
      const row = await first<{ admin: boolean }>(sql`
        SELECT EXISTS (
          SELECT 1 FROM scim_memberships m
          JOIN scim_groups g ON g.id = m.group_id AND g.org_id = m.org_id
          JOIN role_mappings r ON r.org_id = g.org_id AND r.group_name_lower = g.display_name_lower
          WHERE m.user_id = ${scimUserId} AND r.org_id = ${orgId} AND r.role = 'admin') AS admin`)
      return row?.admin ? 'admin' : 'member'
    },
    adminsAmong: async (orgId, scimUserIds) =>
      scimUserIds.length === 0
        ? []
        : (
            await rows<{ user_id: string }>(sql`
              SELECT DISTINCT m.user_id FROM scim_memberships m
              JOIN scim_groups g ON g.id = m.group_id AND g.org_id = m.org_id
              JOIN role_mappings r ON r.org_id = g.org_id AND r.group_name_lower = g.display_name_lower
              WHERE m.user_id = ANY(${scimUserIds}::text[]) AND r.org_id = ${orgId} AND r.role = 'admin'`)
          ).map((row) => row.user_id),
    roleOfGroup: async (orgId, groupNameLower) =>
      (
        await first<{ role: Role }>(
          sql`SELECT role FROM role_mappings WHERE org_id = ${orgId} AND group_name_lower = ${groupNameLower}`,
        )
      )?.role ?? null,
  }
}
