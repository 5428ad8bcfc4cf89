/**
 * Server-side sessions (SSO users and admins). Only the SHA-256 of the cookie value is stored. A
 * session opened by a SAML sign-in keeps the subject the IdP named (NameID, its Format, the
 * SessionIndex) so that single logout can find it again; null for admins and older sessions.
 */
import type { Db } from './database.ts'

export type SessionKind = 'user' | 'admin'

export interface SessionRow {
  token_hash: string
  org_id: string
  kind: SessionKind
  subject_id: string
  csrf_token: string
  created_at: number
  last_seen_at: number
  expires_at: number
  /** An admin session opened through Okta: the account it came from (null otherwise). */
  account_id: string | null
  /** A user session opened by a SAML sign-in: its NameID (+Format) and SessionIndex, for single logout. */
  name_id: string | null
  name_id_format: string | null
  session_index: string | null
}

/**
 * A session as a request checks it, in one read: the row, the org's integration settings (the
 * session lifetime lives there) and, for an admin session opened through Okta, its account's state.
 */
export interface SessionForRequest extends SessionRow {
  integration_settings: string | null
  account_active: number | null
  account_role: string | null
}

export function sessionRepository(db: Db) {
  const insert = db.query(
    `INSERT INTO sessions (token_hash, org_id, kind, subject_id, csrf_token, created_at, last_seen_at, expires_at,
                           account_id, name_id, name_id_format, session_index)
     VALUES ($token_hash, $org_id, $kind, $subject_id, $csrf_token, $created_at, $last_seen_at, $expires_at,
             $account_id, $name_id, $name_id_format, $session_index)`,
  )
  const byHash = db.query<SessionRow, [string]>('SELECT * FROM sessions WHERE token_hash = ?')
  const forRequest = db.query<SessionForRequest, [string]>(
    `SELECT s.*, i.settings AS integration_settings, a.active AS account_active, a.role AS account_role
     FROM sessions s
       LEFT JOIN integrations i ON i.org_id = s.org_id
       LEFT JOIN accounts a ON s.account_id IS NOT NULL AND a.org_id = s.org_id AND a.id = s.account_id
     WHERE s.token_hash = ?`,
  )
  const touch = db.query('UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?')
  const remove = db.query('DELETE FROM sessions WHERE token_hash = ?')
  const removeSubject = db.query('DELETE FROM sessions WHERE org_id = ? AND subject_id = ? AND kind = ?')
  const removeSubjectExcept = db.query(
    'DELETE FROM sessions WHERE org_id = ? AND subject_id = ? AND kind = ? AND token_hash <> ?',
  )
  const removeExpired = db.query('DELETE FROM sessions WHERE expires_at <= ?')
  const removeNameId = db.query<{ subject_id: string }, [string, string]>(
    `DELETE FROM sessions WHERE org_id = ? AND name_id = ? AND kind = 'user' RETURNING subject_id`,
  )
  const removeNameIdIndexes = db.query<{ subject_id: string }, [string, string, string]>(
    `DELETE FROM sessions WHERE org_id = ?1 AND name_id = ?2 AND kind = 'user'
       AND session_index IN (SELECT value FROM json_each(?3)) RETURNING subject_id`,
  )
  return {
    insert(row: SessionRow): void {
      insert.run(row as unknown as Record<string, string | number | null>)
    },
    byHash: (hash: string) => byHash.get(hash),
    /** The session with what checking it needs (settings, Okta account), in one read; see `SessionForRequest`. */
    forRequest: (hash: string) => forRequest.get(hash),
    touch: (hash: string, at: number) => void touch.run(at, hash),
    remove: (hash: string) => void remove.run(hash),
    /** Ends every session of one account (or admin) of one org; returns how many. */
    removeForSubject: (orgId: string, subjectId: string, kind: SessionKind = 'user') =>
      removeSubject.run(orgId, subjectId, kind).changes,
    /** Like removeForSubject, but keeps the one session whose hash is given (the caller's own). */
    removeForSubjectExcept: (orgId: string, subjectId: string, kind: SessionKind, keepHash: string) =>
      removeSubjectExcept.run(orgId, subjectId, kind, keepHash).changes,
    removeExpired: (now: number) => removeExpired.run(now).changes,
    /**
     * Ends the user sessions of one org opened for this SAML NameID (exact match), only those with
     * one of `sessionIndexes` when that list is given (an IdP's LogoutRequest names them); answers
     * the account id of every ended session.
     */
    removeForNameId(orgId: string, nameId: string, sessionIndexes: string[] | null): string[] {
      const ended =
        sessionIndexes === null
          ? removeNameId.all(orgId, nameId)
          : removeNameIdIndexes.all(orgId, nameId, JSON.stringify(sessionIndexes))
      return ended.map((row) => row.subject_id)
    },
  }
}
