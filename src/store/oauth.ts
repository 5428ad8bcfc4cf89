/**
 * Storage for connecting GitHub / Bitbucket accounts: outstanding OAuth states (used once) and the
 * per-provider reads and deletes of `linked_identities` that connecting and disconnecting need.
 */
import type { Db } from './database.ts'
import type { LinkedIdentityRow, LinkedProvider } from './linked-identities.ts'

export interface OAuthStateRow {
  state_hash: string
  org_id: string
  account_id: string
  session_hash: string
  provider: LinkedProvider
  code_verifier: string
  expires_at: number
}

export function oauthRepository(db: Db) {
  const insertState = db.query(
    `INSERT INTO oauth_states (state_hash, org_id, account_id, session_hash, provider, code_verifier, expires_at)
     VALUES ($state_hash, $org_id, $account_id, $session_hash, $provider, $code_verifier, $expires_at)`,
  )
  const takeState = db.query<OAuthStateRow, [string]>(
    'DELETE FROM oauth_states WHERE state_hash = ? RETURNING *',
  )
  const removeExpired = db.query('DELETE FROM oauth_states WHERE expires_at <= ?')
  const byLogin = db.query<LinkedIdentityRow, [string, string, string]>(
    'SELECT * FROM linked_identities WHERE org_id = ? AND provider = ? AND lower(login) = lower(?) LIMIT 1',
  )
  const removeProvider = db.query(
    'DELETE FROM linked_identities WHERE org_id = ? AND account_id = ? AND provider = ?',
  )
  return {
    insertState(row: OAuthStateRow): void {
      insertState.run(row as unknown as Record<string, string | number>)
    },
    /** Deletes and returns the state: a state can be redeemed once only. */
    takeState: (stateHash: string) => takeState.get(stateHash),
    removeExpiredStates: (now: number) => removeExpired.run(now).changes,
    identityByLogin: (orgId: string, provider: LinkedProvider, login: string) =>
      byLogin.get(orgId, provider, login),
    removeIdentity: (orgId: string, accountId: string, provider: LinkedProvider) =>
      removeProvider.run(orgId, accountId, provider).changes,
  }
}
