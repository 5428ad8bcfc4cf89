/**
 * Accounts of an org: the people who can sign in. Local accounts are made by admins; the others by
 * the sync scheduler from the SCIM directory (`scim_user_id`, `created_via_integration`).
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
  const signedIn = db.query('UPDATE accounts SET last_sign_in_at = ? WHERE org_id = ? AND id = ?')
  return {
    insert(row: AccountRow): void {
      insert.run(row as unknown as Record<string, string | number | null>)
    },
    byId: (orgId: string, id: string) => byId.get(orgId, id),
    byEmail: (orgId: string, emailLower: string) => byEmail.get(orgId, emailLower),
    byScimUser: (orgId: string, scimUserId: string) => byScimUser.get(orgId, scimUserId),
    recordSignIn: (orgId: string, id: string, at: number) => signedIn.run(at, orgId, id),
  }
}
