/**
 * The directory repository on PostgreSQL: the twin of `../scim.ts` (what the identity provider
 * pushed over SCIM, and the per-org `directory_changes` feed), answering the same rows in the same
 * order. What differs from SQLite, and why:
 * - Uniqueness (userName, group displayName per org) is the unique index's decision, also between
 *   instances: an insert that meets a committed or concurrent duplicate does nothing
 *   (`ON CONFLICT … DO NOTHING` waits for the other transaction, then skips) and answers false, as
 *   SQLite's does. An UPDATE has no `ON CONFLICT`, so it runs in a savepoint: a duplicate would
 *   otherwise abort the caller's whole transaction (25P02), where SQLite lets it go on.
 * - Ids and names order with `COLLATE "C"`, byte by byte as SQLite orders TEXT, so a page lists the
 *   same rows in the same order on both engines whatever the database's collation.
 * - Filtered lists compile the SCIM filter for PostgreSQL (`../filter/postgres.ts`), which refuses
 *   what cannot be filtered before any SQL runs. Bun keeps the statements each connection used last
 *   (1,024 of them), so filters from the wire do not grow memory without limit.
 * The feed and the member statements are in ./directory-members.ts.
 */
import type { SQL, TransactionSQL } from 'bun'
import type { FilterNode } from '../../scim/filter.ts'
import type { Repositories } from '../contract.ts'
import { postgresFilter } from '../filter/postgres.ts'
import type { TargetName } from '../filter/targets.ts'
import type { Page, ScimGroupRow, ScimUserRow } from '../scim.ts'
import { directoryMembers } from './directory-members.ts'
import { changed, first, type PgContext, rows } from './executor.ts'

/** A row interface as the executor's helpers take it (they require an index signature). */
type Row<T> = T & Record<string, unknown>

type Value = string | number | null

/** True when `error` is PostgreSQL's unique violation (SQLSTATE 23505). */
function isUniqueViolation(error: unknown): boolean {
  return (error as { errno?: unknown } | null)?.errno === '23505'
}

/**
 * Runs a write that may hit a unique index; false when it did. Inside a transaction the write gets
 * a savepoint of its own, so the refused write leaves the transaction usable, as on SQLite.
 */
async function unlessDuplicate(ctx: PgContext, write: (sql: SQL) => Promise<unknown>): Promise<boolean> {
  try {
    if (ctx.inTransaction) await (ctx.sql as TransactionSQL).savepoint((savepoint) => write(savepoint))
    else await write(ctx.sql)
    return true
  } catch (error) {
    if (isUniqueViolation(error)) return false
    throw error
  }
}

const TABLES: Record<TargetName, { table: string; alias: string }> = {
  users: { table: 'scim_users', alias: 'u' },
  groups: { table: 'scim_groups', alias: 'g' },
}

/** The SELECT of a page and its COUNT, with the filter's placeholders after `$1` (the org). */
function pageSql(target: TargetName, filter: FilterNode | null) {
  const { table, alias } = TABLES[target]
  const compiled = filter ? postgresFilter(target, filter, 2) : null
  const where = `${alias}.org_id = $1${compiled ? ` AND (${compiled.where})` : ''}`
  const next = 2 + (compiled?.params.length ?? 0)
  return {
    params: compiled?.params ?? [],
    select: `SELECT ${alias}.* FROM ${table} ${alias} WHERE ${where}
      ORDER BY ${alias}.created_at, ${alias}.id COLLATE "C" LIMIT $${next} OFFSET $${next + 1}`,
    count: `SELECT count(*) AS n FROM ${table} ${alias} WHERE ${where}`,
  }
}

export function directoryRepository(ctx: PgContext): Repositories['directory'] {
  const { sql } = ctx

  /** One page in stable creation order; the count query runs only when the page cannot tell. */
  async function page<T extends Record<string, unknown>>(
    target: TargetName,
    orgId: string,
    filter: FilterNode | null,
    offset: number,
    limit: number,
  ): Promise<Page<T>> {
    const statement = pageSql(target, filter)
    const params: Value[] = [orgId, ...statement.params]
    let found: T[] = []
    if (limit > 0) {
      found = await rows<T>(sql.unsafe(statement.select, [...params, limit, offset]))
      if (offset === 0 && found.length < limit) return { rows: found, total: found.length }
    }
    const counted = await first<{ n: number }>(sql.unsafe(statement.count, params))
    return { rows: found, total: counted?.n ?? 0 }
  }

  return {
    userById: (orgId, id) =>
      first<Row<ScimUserRow>>(sql`SELECT * FROM scim_users WHERE id = ${id} AND org_id = ${orgId}`),
    userIdByUserName: async (orgId, userNameLower) =>
      (
        await first<{ id: string }>(
          sql`SELECT id FROM scim_users WHERE org_id = ${orgId} AND user_name_lower = ${userNameLower}`,
        )
      )?.id ?? null,
    userExists: async (orgId, id) =>
      (await first(sql`SELECT id FROM scim_users WHERE id = ${id} AND org_id = ${orgId}`)) !== null,
    insertUser: async (row) =>
      (await changed(sql`
        INSERT INTO scim_users (id, org_id, user_name, user_name_lower, external_id, email_lower,
          display_name, given_name, family_name, active, resource, version, created_at, updated_at)
        VALUES (${row.id}, ${row.org_id}, ${row.user_name}, ${row.user_name_lower}, ${row.external_id},
          ${row.email_lower}, ${row.display_name}, ${row.given_name}, ${row.family_name}, ${row.active},
          ${row.resource}, ${row.version}, ${row.created_at}, ${row.updated_at})
        ON CONFLICT (org_id, user_name_lower) DO NOTHING`)) === 1,
    // One statement: atomic without a transaction, and the org's feed counter is locked only while
    // the server runs it, never across a round trip to us (see ./directory-members.ts).
    createUser: async (row) =>
      (await changed(sql`
        WITH inserted AS (
          INSERT INTO scim_users (id, org_id, user_name, user_name_lower, external_id, email_lower,
            display_name, given_name, family_name, active, resource, version, created_at, updated_at)
          VALUES (${row.id}, ${row.org_id}, ${row.user_name}, ${row.user_name_lower}, ${row.external_id},
            ${row.email_lower}, ${row.display_name}, ${row.given_name}, ${row.family_name}, ${row.active},
            ${row.resource}, ${row.version}, ${row.created_at}, ${row.updated_at})
          ON CONFLICT (org_id, user_name_lower) DO NOTHING
          RETURNING id
        ), counter AS (
          INSERT INTO feed_counters (org_id, feed, last_seq)
          SELECT ${row.org_id}, 'directory_changes', 1 FROM inserted
          ON CONFLICT (org_id, feed) DO UPDATE SET last_seq = feed_counters.last_seq + excluded.last_seq
          RETURNING last_seq
        )
        INSERT INTO directory_changes (seq, org_id, kind, op, resource_id, related_id, at)
        SELECT last_seq, ${row.org_id}, 'user', 'upsert', ${row.id}, NULL, ${row.created_at} FROM counter`)) ===
      1,
    updateUser: (row) =>
      unlessDuplicate(
        ctx,
        (client) => client`
          UPDATE scim_users SET user_name = ${row.user_name}, user_name_lower = ${row.user_name_lower},
            external_id = ${row.external_id}, email_lower = ${row.email_lower},
            display_name = ${row.display_name}, given_name = ${row.given_name},
            family_name = ${row.family_name}, active = ${row.active}, resource = ${row.resource},
            version = ${row.version}, updated_at = ${row.updated_at}
          WHERE id = ${row.id} AND org_id = ${row.org_id}`,
      ),
    deleteUser: async (orgId, id) =>
      (await changed(sql`DELETE FROM scim_users WHERE id = ${id} AND org_id = ${orgId}`)) > 0,
    listUsers: (orgId, filter, offset, limit) =>
      page<Row<ScimUserRow>>('users', orgId, filter, offset, limit),
    explainListUsers: async (filter) => {
      const statement = pageSql('users', filter)
      const plan = await sql.unsafe<Array<{ 'QUERY PLAN': string }>>(`EXPLAIN ${statement.select}`, [
        '',
        ...statement.params,
        1,
        0,
      ])
      return plan.map((line) => line['QUERY PLAN'])
    },

    groupById: (orgId, id) =>
      first<Row<ScimGroupRow>>(sql`SELECT * FROM scim_groups WHERE id = ${id} AND org_id = ${orgId}`),
    groupIdByDisplayName: async (orgId, displayNameLower) =>
      (
        await first<{ id: string }>(
          sql`SELECT id FROM scim_groups WHERE org_id = ${orgId} AND display_name_lower = ${displayNameLower}`,
        )
      )?.id ?? null,
    insertGroup: async (row) =>
      (await changed(sql`
        INSERT INTO scim_groups (id, org_id, display_name, display_name_lower, external_id, resource,
          version, created_at, updated_at)
        VALUES (${row.id}, ${row.org_id}, ${row.display_name}, ${row.display_name_lower},
          ${row.external_id}, ${row.resource}, ${row.version}, ${row.created_at}, ${row.updated_at})
        ON CONFLICT (org_id, display_name_lower) DO NOTHING`)) === 1,
    updateGroup: (row) =>
      unlessDuplicate(
        ctx,
        (client) => client`
          UPDATE scim_groups SET display_name = ${row.display_name},
            display_name_lower = ${row.display_name_lower}, external_id = ${row.external_id},
            resource = ${row.resource}, version = ${row.version}, updated_at = ${row.updated_at}
          WHERE id = ${row.id} AND org_id = ${row.org_id}`,
      ),
    deleteGroup: async (orgId, id) =>
      (await changed(sql`DELETE FROM scim_groups WHERE id = ${id} AND org_id = ${orgId}`)) > 0,
    listGroups: (orgId, filter, offset, limit) =>
      page<Row<ScimGroupRow>>('groups', orgId, filter, offset, limit),

    ...directoryMembers(ctx),
  }
}
