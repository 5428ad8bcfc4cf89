/**
 * GitHub / Bitbucket identities linked to an account. Their emails take part in duplicate detection:
 * a provisioned user whose email matches a linked identity's email is the same person.
 */
import type { Db } from './database.ts'

export type LinkedProvider = 'github' | 'bitbucket'

export interface LinkedIdentityRow {
  id: string
  org_id: string
  account_id: string
  provider: LinkedProvider
  login: string
  email: string
  email_lower: string
  created_at: number
}

export function linkedIdentityRepository(db: Db) {
  const insert = db.query(
    `INSERT INTO linked_identities (id, org_id, account_id, provider, login, email, email_lower, created_at)
     VALUES ($id, $org_id, $account_id, $provider, $login, $email, $email_lower, $created_at)`,
  )
  const ofAccount = db.query<LinkedIdentityRow, [string, string]>(
    'SELECT * FROM linked_identities WHERE org_id = ? AND account_id = ? ORDER BY provider',
  )
  const byEmail = db.query<LinkedIdentityRow, [string, string]>(
    'SELECT * FROM linked_identities WHERE org_id = ? AND email_lower = ? ORDER BY created_at, id',
  )
  const byEmails = db.query<LinkedIdentityRow, [string, string]>(
    `SELECT * FROM linked_identities WHERE org_id = ? AND email_lower IN (SELECT value FROM json_each(?))
     ORDER BY created_at, id`,
  )
  const removeOfAccount = db.query('DELETE FROM linked_identities WHERE org_id = ? AND account_id = ?')
  return {
    insert(row: LinkedIdentityRow): void {
      insert.run(row as unknown as Record<string, string | number>)
    },
    ofAccount: (orgId: string, accountId: string) => ofAccount.all(orgId, accountId),
    byEmail: (orgId: string, emailLower: string) => byEmail.all(orgId, emailLower),
    /** The identities with any of these (lower-cased) emails, oldest first (as `byEmail`). */
    byEmails: (orgId: string, emailLowers: string[]): LinkedIdentityRow[] =>
      emailLowers.length === 0 ? [] : byEmails.all(orgId, JSON.stringify(emailLowers)),
    removeOfAccount: (orgId: string, accountId: string) => removeOfAccount.run(orgId, accountId).changes,
  }
}
