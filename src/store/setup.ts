/**
 * First run and setup links: the one-time setup codes that guard the first-run page, the setup
 * links an org admin hands to the customer's IT admin, and the read of an org's progress that the
 * link page's live checks show. Codes and link tokens are stored as SHA-256 hashes only; callers
 * compare the hash they looked up with `sameDigest` (src/store/ids.ts).
 */
import type { Db } from './database.ts'

export interface SetupCodeRow {
  code_hash: string
  created_at: number
  expires_at: number
}

export interface SetupLinkRow {
  id: string
  org_id: string
  idp: string
  token_hash: string
  created_by: string | null
  created_at: number
  expires_at: number
  revoked_at: number | null
  last_used_at: number | null
}

/** What has happened in an org's integration so far (the live checks of a setup link). */
export interface SetupProgressRow {
  configured: number
  first_scim_request_at: number | null
  provisioned: number
  signed_in: number
  /** The newest SAML sign-in failure's reason, when there is one and no success came after it. */
  last_failure: string | null
}

export function setupRepository(db: Db) {
  const insertCode = db.query(
    'INSERT INTO setup_codes (code_hash, created_at, expires_at) VALUES ($code_hash, $created_at, $expires_at)',
  )
  const codeByHash = db.query<SetupCodeRow, [string, number]>(
    'SELECT * FROM setup_codes WHERE code_hash = ? AND expires_at > ?',
  )
  const takeCode = db.query('DELETE FROM setup_codes WHERE code_hash = ? AND expires_at > ?')
  const clearCodes = db.query('DELETE FROM setup_codes')
  const purgeCodes = db.query('DELETE FROM setup_codes WHERE expires_at <= ?')
  const anyOrg = db.query<{ n: number }, []>('SELECT count(*) AS n FROM (SELECT 1 FROM orgs LIMIT 2)')
  const insertLink = db.query(
    `INSERT INTO setup_links (id, org_id, idp, token_hash, created_by, created_at, expires_at)
     VALUES ($id, $org_id, $idp, $token_hash, $created_by, $created_at, $expires_at)`,
  )
  const linkByHash = db.query<SetupLinkRow, [string]>('SELECT * FROM setup_links WHERE token_hash = ?')
  const linkById = db.query<SetupLinkRow, [string, string]>(
    'SELECT * FROM setup_links WHERE org_id = ? AND id = ?',
  )
  const links = db.query<SetupLinkRow, [string, number]>(
    'SELECT * FROM setup_links WHERE org_id = ? ORDER BY created_at DESC, id DESC LIMIT ?',
  )
  const revoke = db.query(
    'UPDATE setup_links SET revoked_at = ? WHERE org_id = ? AND id = ? AND revoked_at IS NULL',
  )
  const touch = db.query('UPDATE setup_links SET last_used_at = ? WHERE id = ?')
  const progress = db.query<SetupProgressRow, [string, string, string, string, string]>(
    `SELECT
       (SELECT count(*) FROM integrations WHERE org_id = ?1) AS configured,
       (SELECT first_scim_request_at FROM integrations WHERE org_id = ?2) AS first_scim_request_at,
       EXISTS (SELECT 1 FROM accounts WHERE org_id = ?3 AND scim_user_id IS NOT NULL) AS provisioned,
       EXISTS (SELECT 1 FROM audit_log WHERE org_id = ?4 AND kind = 'saml' AND action = 'sign_in'
         AND outcome = 'success') AS signed_in,
       (SELECT CASE WHEN outcome = 'failure' THEN reason END FROM audit_log
         WHERE org_id = ?5 AND kind = 'saml' AND action = 'sign_in' ORDER BY id DESC LIMIT 1) AS last_failure`,
  )
  return {
    insertCode: (row: SetupCodeRow) => void insertCode.run(row as unknown as Record<string, string | number>),
    /** The code's row while it is live (not used, not expired at `now`), or null. */
    findCode: (hash: string, now: number) => codeByHash.get(hash, now),
    /** Uses the code up; true when it was live. Atomic: of two takers only one gets true. */
    takeCode: (hash: string, now: number) => takeCode.run(hash, now).changes > 0,
    /** Every code goes (the first org exists: first run is over). */
    clearCodes: () => void clearCodes.run(),
    purgeExpiredCodes: (now: number) => purgeCodes.run(now).changes,
    /** How many orgs exist, counted up to 2 (first run: 0; a single-org instance: 1). */
    orgCountUpTo2: () => anyOrg.get()?.n ?? 0,
    /**
     * Inside a transaction: holds off every other first run until this one ends, so that the org
     * count it reads next stays true until it commits. SQLite's transactions are serialised already.
     */
    lockFirstRun: () => undefined,
    insertLink: (row: Omit<SetupLinkRow, 'revoked_at' | 'last_used_at'>) =>
      void insertLink.run(row as unknown as Record<string, string | number | null>),
    linkByTokenHash: (hash: string) => linkByHash.get(hash),
    linkById: (orgId: string, id: string) => linkById.get(orgId, id),
    /** Newest first, at most `limit`. */
    listLinks: (orgId: string, limit: number) => links.all(orgId, limit),
    /** True when a live (not yet revoked) link was revoked now. */
    revokeLink: (orgId: string, id: string, at: number) => revoke.run(at, orgId, id).changes > 0,
    touchLink: (id: string, at: number) => void touch.run(at, id),
    progress: (orgId: string): SetupProgressRow =>
      progress.get(orgId, orgId, orgId, orgId, orgId) ?? {
        configured: 0,
        first_scim_request_at: null,
        provisioned: 0,
        signed_in: 0,
        last_failure: null,
      },
  }
}
