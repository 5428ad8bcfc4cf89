/**
 * Accounts of an org: the people who can sign in. Local accounts are made by admins; the others by
 * the sync scheduler from the SCIM directory (`scim_user_id`, `created_via_integration`). A local
 * account merged with a provisioned user keeps `created_via_integration = 0` and gains the
 * `scim_user_id` link. Every statement is scoped by `org_id`.
 */
import type { Db } from './database.ts'

export interface AccountRow {
  id: string
  org_id: string
  email: string
  email_lower: string
  name: string
  source: 'okta' | 'local'
  active: number
  role: string
  scim_user_id: string | null
  created_via_integration: number
  last_sign_in_at: number | null
  created_at: number
  updated_at: number
}

export interface AccountFilter {
  emailLower?: string
  source?: 'okta' | 'local'
  active?: boolean
  /** Case-insensitive substring of email or name. */
  search?: string
  /** Keyset: rows strictly after (created_at, id). */
  after?: { createdAt: number; id: string }
  limit: number
}

/** Escapes LIKE wildcards so a search for `a_b` finds exactly that. */
const likePattern = (text: string) => `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`

export function accountRepository(db: Db) {
  const insert = db.query(
    `INSERT INTO accounts (id, org_id, email, email_lower, name, source, active, role, scim_user_id,
       created_via_integration, last_sign_in_at, created_at, updated_at)
     VALUES ($id, $org_id, $email, $email_lower, $name, $source, $active, $role, $scim_user_id,
       $created_via_integration, $last_sign_in_at, $created_at, $updated_at)`,
  )
  const byId = db.query<AccountRow, [string, string]>('SELECT * FROM accounts WHERE org_id = ? AND id = ?')
  const byEmail = db.query<AccountRow, [string, string]>(
    'SELECT * FROM accounts WHERE org_id = ? AND email_lower = ?',
  )
  const byScimUser = db.query<AccountRow, [string, string]>(
    'SELECT * FROM accounts WHERE org_id = ? AND scim_user_id = ?',
  )
  const byScimUsers = db.query<AccountRow, [string, string]>(
    'SELECT * FROM accounts WHERE org_id = ? AND scim_user_id IN (SELECT value FROM json_each(?))',
  )
  const byEmails = db.query<AccountRow, [string, string]>(
    'SELECT * FROM accounts WHERE org_id = ? AND email_lower IN (SELECT value FROM json_each(?))',
  )
  const signedIn = db.query('UPDATE accounts SET last_sign_in_at = ? WHERE org_id = ? AND id = ?')
  const setProfile = db.query(
    'UPDATE accounts SET email = ?, email_lower = ?, name = ?, updated_at = ? WHERE org_id = ? AND id = ?',
  )
  const setActive = db.query('UPDATE accounts SET active = ?, updated_at = ? WHERE org_id = ? AND id = ?')
  const setRole = db.query('UPDATE accounts SET role = ?, updated_at = ? WHERE org_id = ? AND id = ?')
  const setScimUser = db.query(
    'UPDATE accounts SET scim_user_id = ?, updated_at = ? WHERE org_id = ? AND id = ?',
  )
  const remove = db.query('DELETE FROM accounts WHERE org_id = ? AND id = ?')
  const linkedPage = db.query<AccountRow, [string, string, number]>(
    `SELECT * FROM accounts WHERE org_id = ? AND scim_user_id IS NOT NULL AND scim_user_id > ?
     ORDER BY scim_user_id LIMIT ?`,
  )
  const countLinked = db.query<{ n: number }, [string]>(
    'SELECT count(*) AS n FROM accounts WHERE org_id = ? AND scim_user_id IS NOT NULL',
  )
  return {
    insert(row: AccountRow): void {
      insert.run(row as unknown as Record<string, string | number | null>)
    },
    /** Inserts the rows in their order (one call however many). */
    insertMany(rows: AccountRow[]): void {
      for (const row of rows) insert.run(row as unknown as Record<string, string | number | null>)
    },
    byId: (orgId: string, id: string) => byId.get(orgId, id),
    byEmail: (orgId: string, emailLower: string) => byEmail.get(orgId, emailLower),
    byScimUser: (orgId: string, scimUserId: string) => byScimUser.get(orgId, scimUserId),
    /** The accounts linked to any of these SCIM users, in no particular order. */
    byScimUsers: (orgId: string, scimUserIds: string[]): AccountRow[] =>
      scimUserIds.length === 0 ? [] : byScimUsers.all(orgId, JSON.stringify(scimUserIds)),
    /** The accounts with any of these (lower-cased) emails, in no particular order. */
    byEmails: (orgId: string, emailLowers: string[]): AccountRow[] =>
      emailLowers.length === 0 ? [] : byEmails.all(orgId, JSON.stringify(emailLowers)),
    recordSignIn: (orgId: string, id: string, at: number) => void signedIn.run(at, orgId, id),
    setProfile: (orgId: string, id: string, email: string, name: string, at: number) =>
      void setProfile.run(email, email.toLowerCase(), name, at, orgId, id),
    setActive: (orgId: string, id: string, active: boolean, at: number) =>
      void setActive.run(active ? 1 : 0, at, orgId, id),
    setRole: (orgId: string, id: string, role: string, at: number) => void setRole.run(role, at, orgId, id),
    setScimUser: (orgId: string, id: string, scimUserId: string | null, at: number) =>
      void setScimUser.run(scimUserId, at, orgId, id),
    remove: (orgId: string, id: string) => remove.run(orgId, id).changes,
    /** Accounts linked to a SCIM user, by SCIM user id after `afterScimUserId` (full reconcile). */
    linkedPage: (orgId: string, afterScimUserId: string, limit: number) =>
      linkedPage.all(orgId, afterScimUserId, limit),
    countLinked: (orgId: string) => countLinked.get(orgId)?.n ?? 0,
    /** Filtered keyset page ordered by (created_at, id). */
    list(orgId: string, filter: AccountFilter): AccountRow[] {
      const where = ['org_id = ?']
      const args: Array<string | number> = [orgId]
      if (filter.emailLower !== undefined) {
        where.push('email_lower = ?')
        args.push(filter.emailLower)
      }
      if (filter.source !== undefined) {
        where.push('source = ?')
        args.push(filter.source)
      }
      if (filter.active !== undefined) {
        where.push('active = ?')
        args.push(filter.active ? 1 : 0)
      }
      if (filter.search !== undefined) {
        where.push("(email_lower LIKE ? ESCAPE '\\' OR lower(name) LIKE ? ESCAPE '\\')")
        const pattern = likePattern(filter.search)
        args.push(pattern, pattern)
      }
      if (filter.after) {
        where.push('(created_at > ? OR (created_at = ? AND id > ?))')
        args.push(filter.after.createdAt, filter.after.createdAt, filter.after.id)
      }
      args.push(filter.limit)
      // A handful of filter combinations: bun:sqlite caches each distinct statement text.
      return db
        .query<AccountRow, Array<string | number>>(
          `SELECT * FROM accounts WHERE ${where.join(' AND ')} ORDER BY created_at, id LIMIT ?`,
        )
        .all(...args)
    },
  }
}
