/**
 * The Okta integration of an org: IdP settings, certificates, the hashed SCIM token and the SP
 * encryption key pair. With a SECRET_KEY the SP private key is sealed here, on its way in, and opened
 * only by `spPrivateKey` — the one reader that needs it (the ACS decrypting an assertion); every
 * other read (each SCIM request finds its integration by token) leaves it sealed and costs nothing.
 */
import { isSealed, type SecretBinding, type SecretBox, SecretKeyError } from '../secrets/secret-box.ts'
import type { Db } from './database.ts'

/** The additional data of an org's sealed SP private key. */
export const spKeyBinding = (orgId: string): SecretBinding => ({
  purpose: 'integrations.sp_private_key',
  orgId,
})

export interface IntegrationRow {
  org_id: string
  sso_url: string
  issuer: string
  certificate: string
  next_certificate: string | null
  scim_token_hash: string
  settings: string
  /** As stored: PEM, or `enc:v1:…` when sealed. Read the PEM with `spPrivateKey(row)`. */
  sp_private_key: string | null
  sp_certificate: string | null
  created_at: number
  updated_at: number
  /** When the SCIM token first authenticated a request (null: not yet); set by `markFirstScimRequest`. */
  first_scim_request_at?: number | null
}

export function integrationRepository(db: Db, secrets: SecretBox | null = null) {
  const get = db.query<IntegrationRow, [string]>('SELECT * FROM integrations WHERE org_id = ?')
  const byToken = db.query<IntegrationRow, [string]>('SELECT * FROM integrations WHERE scim_token_hash = ?')
  const insert = db.query(
    `INSERT INTO integrations (org_id, sso_url, issuer, certificate, next_certificate, scim_token_hash,
       settings, sp_private_key, sp_certificate, created_at, updated_at)
     VALUES ($org_id, $sso_url, $issuer, $certificate, $next_certificate, $scim_token_hash,
       $settings, $sp_private_key, $sp_certificate, $created_at, $updated_at)`,
  )
  const update = db.query(
    `UPDATE integrations SET sso_url = $sso_url, issuer = $issuer, certificate = $certificate,
       next_certificate = $next_certificate, settings = $settings, updated_at = $updated_at
     WHERE org_id = $org_id`,
  )
  const setToken = db.query('UPDATE integrations SET scim_token_hash = ?, updated_at = ? WHERE org_id = ?')
  const setSpKeys = db.query(
    'UPDATE integrations SET sp_private_key = ?, sp_certificate = ?, updated_at = ? WHERE org_id = ?',
  )
  const encrypted = db.query<{ n: number }, []>(
    "SELECT count(*) AS n FROM store_meta WHERE key = 'secret_key_check'",
  )
  const remove = db.query('DELETE FROM integrations WHERE org_id = ?')
  const firstScim = db.query(
    'UPDATE integrations SET first_scim_request_at = ? WHERE org_id = ? AND first_scim_request_at IS NULL',
  )
  const activeScimUsers = db.query<{ n: number }, [string]>(
    'SELECT count(*) AS n FROM scim_users WHERE org_id = ? AND active = 1',
  )
  // Accounts the integration created, plus provisioned users not turned into accounts yet (and not
  // waiting as duplicates of a pre-existing account): exactly who a removal deletes.
  const removableUsers = db.query<{ n: number }, [string, string, string]>(
    `SELECT
       (SELECT count(*) FROM accounts WHERE org_id = ? AND created_via_integration = 1)
     + (SELECT count(*) FROM scim_users u WHERE u.org_id = ?
          AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.scim_user_id = u.id)
          AND NOT EXISTS (SELECT 1 FROM duplicates d WHERE d.scim_user_id = u.id)) AS n
     FROM (SELECT ? AS unused)`,
  )
  const groups = db.query<{ n: number }, [string]>('SELECT count(*) AS n FROM scim_groups WHERE org_id = ?')
  return {
    countActiveScimUsers: (orgId: string) => activeScimUsers.get(orgId)?.n ?? 0,
    countRemovableUsers: (orgId: string) => removableUsers.get(orgId, orgId, orgId)?.n ?? 0,
    countGroups: (orgId: string) => groups.get(orgId)?.n ?? 0,
    get: (orgId: string) => get.get(orgId),
    byTokenHash: (hash: string) => byToken.get(hash),
    insert(row: IntegrationRow): void {
      insert.run(row as unknown as Record<string, string | number | null>)
    },
    update(
      row: Pick<
        IntegrationRow,
        'org_id' | 'sso_url' | 'issuer' | 'certificate' | 'next_certificate' | 'settings' | 'updated_at'
      >,
    ): void {
      update.run(row as unknown as Record<string, string | number | null>)
    },
    setTokenHash: (orgId: string, hash: string, at: number) => void setToken.run(hash, at, orgId),
    setSpKeys(orgId: string, privateKey: string, certificate: string, at: number): void {
      // A process without the key (a CLI run) must not write a clear key into an encrypted store.
      if (!secrets && (encrypted.get()?.n ?? 0) > 0) {
        throw new SecretKeyError('the store is encrypted: set SECRET_KEY or SECRET_KEY_FILE to write SP keys')
      }
      const stored = secrets ? secrets.seal(privateKey, spKeyBinding(orgId)) : privateKey
      setSpKeys.run(stored, certificate, at, orgId)
    },
    /** The SP private key's PEM, opened if sealed; null when the org has none. */
    spPrivateKey(row: Pick<IntegrationRow, 'org_id' | 'sp_private_key'>): string | null {
      const stored = row.sp_private_key
      if (stored === null || !isSealed(stored)) return stored
      if (!secrets)
        throw new SecretKeyError('the SP private key is sealed: set SECRET_KEY or SECRET_KEY_FILE')
      return secrets.open(stored, spKeyBinding(row.org_id))
    },
    remove: (orgId: string) => void remove.run(orgId),
    /** Records the first authenticated SCIM request (later calls change nothing). */
    markFirstScimRequest: (orgId: string, at: number) => void firstScim.run(at, orgId),
  }
}
