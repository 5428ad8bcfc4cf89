/**
 * SAML state: the replay cache (assertion IDs already used, kept until they expire, so a restart
 * does not reopen the window; LogoutRequest IDs too), outstanding AuthnRequests bound to one
 * browser, the LogoutRequests we sent and await an answer to, the SP key pair,
 * and the read-only query the account page needs (the groups of an account).
 */
import type { Db } from './database.ts'

/** What an SP-initiated sign-in is for: the person's account pages, or the admin console. */
export type SamlRequestPurpose = 'account' | 'console'

export interface SamlRequestRow {
  org_id: string
  request_id: string
  browser_hash: string
  next_path: string | null
  expires_at: number
  purpose: SamlRequestPurpose
}

/** A LogoutRequest we sent to the IdP, outstanding until its LogoutResponse comes back (or it expires). */
export interface SamlLogoutRequestRow {
  org_id: string
  request_id: string
  /** The account whose sign-out it carries (null when unknown). */
  subject_id: string | null
  expires_at: number
}

export function samlRepository(db: Db) {
  // Inserts the ID, or takes over an expired entry; `changes` is 0 only for a live duplicate.
  const remember = db.query(
    `INSERT INTO saml_replay (org_id, assertion_id, expires_at) VALUES (?1, ?2, ?3)
     ON CONFLICT (org_id, assertion_id) DO UPDATE SET expires_at = excluded.expires_at
     WHERE saml_replay.expires_at <= ?4`,
  )
  const remembered = db.query<{ n: number }, [string, string, number]>(
    'SELECT count(*) AS n FROM saml_replay WHERE org_id = ? AND assertion_id = ? AND expires_at > ?',
  )
  const outstanding = db.query<{ n: number }, [string, string, number]>(
    'SELECT count(*) AS n FROM saml_requests WHERE org_id = ? AND request_id = ? AND expires_at > ?',
  )
  const pruneReplay = db.query('DELETE FROM saml_replay WHERE expires_at <= ?')
  const insertRequest = db.query(
    `INSERT INTO saml_requests (org_id, request_id, browser_hash, next_path, expires_at, purpose)
     VALUES ($org_id, $request_id, $browser_hash, $next_path, $expires_at, $purpose)`,
  )
  const takeRequest = db.query<SamlRequestRow, [string, string, string, number]>(
    `DELETE FROM saml_requests WHERE org_id = ? AND request_id = ? AND browser_hash = ? AND expires_at > ?
     RETURNING *`,
  )
  const pruneRequests = db.query('DELETE FROM saml_requests WHERE expires_at <= ?')
  const insertLogoutRequest = db.query(
    `INSERT INTO saml_logout_requests (org_id, request_id, subject_id, expires_at)
     VALUES ($org_id, $request_id, $subject_id, $expires_at)`,
  )
  const takeLogoutRequest = db.query<SamlLogoutRequestRow, [string, string, number]>(
    `DELETE FROM saml_logout_requests WHERE org_id = ? AND request_id = ? AND expires_at > ? RETURNING *`,
  )
  const pruneLogoutRequests = db.query('DELETE FROM saml_logout_requests WHERE expires_at <= ?')
  const clearSpKeys = db.query(
    'UPDATE integrations SET sp_private_key = NULL, sp_certificate = NULL, updated_at = ? WHERE org_id = ?',
  )
  const groupsOf = db.query<{ display_name: string }, [string, string]>(
    `SELECT g.display_name FROM accounts a
       JOIN scim_memberships m ON m.user_id = a.scim_user_id AND m.org_id = a.org_id
       JOIN scim_groups g ON g.id = m.group_id AND g.org_id = a.org_id
     WHERE a.org_id = ? AND a.id = ? ORDER BY g.display_name_lower`,
  )
  return {
    /** True when the assertion ID was not in use (and is now remembered until `expiresAt`). */
    rememberAssertion(orgId: string, assertionId: string, expiresAt: number, now: number): boolean {
      return remember.run(orgId, assertionId, expiresAt, now).changes === 1
    },
    /** Read-only (the checker's dry run): true when the assertion ID is in the live replay cache. */
    isRemembered: (orgId: string, assertionId: string, now: number): boolean =>
      (remembered.get(orgId, assertionId, now)?.n ?? 0) > 0,
    /** Read-only (the checker's dry run): true when some browser has this request outstanding. */
    requestOutstanding: (orgId: string, requestId: string, now: number): boolean =>
      (outstanding.get(orgId, requestId, now)?.n ?? 0) > 0,
    /** Removes expired replay entries and requests of every org; returns how many. */
    prune: (now: number) =>
      pruneReplay.run(now).changes + pruneRequests.run(now).changes + pruneLogoutRequests.run(now).changes,
    insertRequest(row: SamlRequestRow): void {
      insertRequest.run(row as unknown as Record<string, string | number | null>)
    },
    /** Consumes the outstanding request of this browser; null when unknown, expired or used. */
    takeRequest: (orgId: string, requestId: string, browserHash: string, now: number) =>
      takeRequest.get(orgId, requestId, browserHash, now),
    insertLogoutRequest(row: SamlLogoutRequestRow): void {
      insertLogoutRequest.run(row as unknown as Record<string, string | number | null>)
    },
    /** Consumes a LogoutRequest we sent; null when unknown, expired or already answered. */
    takeLogoutRequest: (orgId: string, requestId: string, now: number) =>
      takeLogoutRequest.get(orgId, requestId, now),
    clearSpKeys: (orgId: string, at: number) => void clearSpKeys.run(at, orgId),
    groupsOf: (orgId: string, accountId: string) => groupsOf.all(orgId, accountId).map((g) => g.display_name),
  }
}
