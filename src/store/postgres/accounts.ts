/**
 * Accounts on PostgreSQL: the twin of `../accounts.ts`. The filtered list is built from the same
 * few conditions as on SQLite, with numbered parameters; `LIKE` is case-sensitive here, so the
 * search compares `lower(…)` on both columns (SQLite's email_lower already is).
 *
 * The lookups by many keys probe the unique index once per key (a `LATERAL` subquery with
 * `LIMIT 1`, which the planner cannot turn into a join): `org_id = $1 AND scim_user_id = ANY($2)`
 * left the choice to the statistics, and while a first push fills the table they are stale — the
 * planner then read every account of the org through accounts_linked, once per sync batch.
 */
import type { AccountRow } from '../accounts.ts'
import type { Repositories } from '../contract.ts'
import { changed, first, type PgContext, rows } from './executor.ts'

type Row<T> = T & Record<string, unknown>

/** Escapes LIKE wildcards so a search for `a_b` finds exactly that. */
const likePattern = (text: string) => `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`

export function accountRepository(ctx: PgContext): Repositories['accounts'] {
  const { sql } = ctx
  return {
    async insert(row) {
      await sql`
        INSERT INTO accounts (id, org_id, email, email_lower, name, source, active, role, scim_user_id,
          created_via_integration, last_sign_in_at, created_at, updated_at)
        VALUES (${row.id}, ${row.org_id}, ${row.email}, ${row.email_lower}, ${row.name}, ${row.source},
          ${row.active}, ${row.role}, ${row.scim_user_id}, ${row.created_via_integration}, ${row.last_sign_in_at},
          ${row.created_at}, ${row.updated_at})`
    },
    async insertMany(list) {
      if (list.length === 0) return
      const column = <T>(pick: (row: AccountRow) => T) => list.map(pick)
      // One parameter per column whatever the row count (see docs/store.md, "Bulk insert").
      await sql`
        INSERT INTO accounts (id, org_id, email, email_lower, name, source, active, role, scim_user_id,
          created_via_integration, last_sign_in_at, created_at, updated_at)
        SELECT * FROM unnest(${column((r) => r.id)}::text[], ${column((r) => r.org_id)}::text[],
          ${column((r) => r.email)}::text[], ${column((r) => r.email_lower)}::text[], ${column((r) => r.name)}::text[],
          ${column((r) => r.source)}::text[], ${column((r) => r.active)}::smallint[], ${column((r) => r.role)}::text[],
          ${column((r) => r.scim_user_id)}::text[], ${column((r) => r.created_via_integration)}::smallint[],
          ${column((r) => r.last_sign_in_at)}::bigint[], ${column((r) => r.created_at)}::bigint[],
          ${column((r) => r.updated_at)}::bigint[])`
    },
    byId: (orgId, id) =>
      first<Row<AccountRow>>(sql`SELECT * FROM accounts WHERE org_id = ${orgId} AND id = ${id}`),
    byEmail: (orgId, emailLower) =>
      first<Row<AccountRow>>(
        sql`SELECT * FROM accounts WHERE org_id = ${orgId} AND email_lower = ${emailLower}`,
      ),
    byScimUser: (orgId, scimUserId) =>
      first<Row<AccountRow>>(
        sql`SELECT * FROM accounts WHERE org_id = ${orgId} AND scim_user_id = ${scimUserId}`,
      ),
    // One index probe per key (see the file's comment): a batch's prefetch of a few hundred
    // accounts reads a few hundred rows, however many accounts the org has.
    byScimUsers: (orgId, scimUserIds) =>
      scimUserIds.length === 0
        ? Promise.resolve([])
        : rows<Row<AccountRow>>(sql`
            SELECT a.* FROM (SELECT DISTINCT unnest(${scimUserIds}::text[])) AS k(id)
            CROSS JOIN LATERAL (
              SELECT * FROM accounts WHERE scim_user_id = k.id AND org_id = ${orgId} LIMIT 1) AS a`),
    byEmails: (orgId, emailLowers) =>
      emailLowers.length === 0
        ? Promise.resolve([])
        : rows<Row<AccountRow>>(sql`
            SELECT a.* FROM (SELECT DISTINCT unnest(${emailLowers}::text[])) AS k(email)
            CROSS JOIN LATERAL (
              SELECT * FROM accounts WHERE org_id = ${orgId} AND email_lower = k.email LIMIT 1) AS a`),
    async recordSignIn(orgId, id, at) {
      await sql`UPDATE accounts SET last_sign_in_at = ${at} WHERE org_id = ${orgId} AND id = ${id}`
    },
    async setProfile(orgId, id, email, name, at) {
      await sql`UPDATE accounts SET email = ${email}, email_lower = ${email.toLowerCase()}, name = ${name},
                updated_at = ${at} WHERE org_id = ${orgId} AND id = ${id}`
    },
    async setActive(orgId, id, active, at) {
      await sql`UPDATE accounts SET active = ${active ? 1 : 0}, updated_at = ${at} WHERE org_id = ${orgId} AND id = ${id}`
    },
    async setRole(orgId, id, role, at) {
      await sql`UPDATE accounts SET role = ${role}, updated_at = ${at} WHERE org_id = ${orgId} AND id = ${id}`
    },
    async setScimUser(orgId, id, scimUserId, at) {
      await sql`UPDATE accounts SET scim_user_id = ${scimUserId}, updated_at = ${at}
                WHERE org_id = ${orgId} AND id = ${id}`
    },
    remove: (orgId, id) => changed(sql`DELETE FROM accounts WHERE org_id = ${orgId} AND id = ${id}`),
    linkedPage: (orgId, afterScimUserId, limit) =>
      rows<Row<AccountRow>>(sql`
        SELECT * FROM accounts WHERE org_id = ${orgId} AND scim_user_id IS NOT NULL AND scim_user_id > ${afterScimUserId}
        ORDER BY scim_user_id LIMIT ${limit}`),
    countLinked: async (orgId) =>
      (
        await first<{ n: number }>(
          sql`SELECT count(*)::int AS n FROM accounts WHERE org_id = ${orgId} AND scim_user_id IS NOT NULL`,
        )
      )?.n ?? 0,
    list(orgId, filter) {
      const where = ['org_id = $1']
      const args: Array<string | number> = [orgId]
      const param = (value: string | number) => {
        args.push(value)
        return `$${args.length}`
      }
      if (filter.emailLower !== undefined) where.push(`email_lower = ${param(filter.emailLower)}`)
      if (filter.source !== undefined) where.push(`source = ${param(filter.source)}`)
      if (filter.active !== undefined) where.push(`active = ${param(filter.active ? 1 : 0)}`)
      if (filter.search !== undefined) {
        const pattern = param(likePattern(filter.search))
        where.push(`(email_lower LIKE ${pattern} ESCAPE '\\' OR lower(name) LIKE ${pattern} ESCAPE '\\')`)
      }
      if (filter.after) {
        const at = param(filter.after.createdAt)
        where.push(`(created_at > ${at} OR (created_at = ${at} AND id > ${param(filter.after.id)}))`)
      }
      const limit = param(filter.limit)
      return rows<Row<AccountRow>>(
        sql.unsafe(
          `SELECT * FROM accounts WHERE ${where.join(' AND ')} ORDER BY created_at, id LIMIT ${limit}`,
          args,
        ),
      )
    },
  }
}
