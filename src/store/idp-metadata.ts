/**
 * IdP metadata of an org's integration: where it is refreshed from, the last good fetch and the last
 * failure, when the next refresh is due, the IdP's SingleLogoutService; and the certificate expiry
 * notices already given (one per certificate and threshold). The integration's own columns (SSO
 * URL, issuer, certificate, next certificate) stay in `integrations`; this row says where they came
 * from. Both tables go with the integration's row (ON DELETE CASCADE).
 */
import type { Db } from './database.ts'

export interface IdpMetadataRow {
  org_id: string
  /** The metadata URL refreshed on a schedule; null when the XML was pasted. */
  url: string | null
  entity_id: string
  slo_url: string | null
  slo_binding: string | null
  /** The last good fetch (or the paste). */
  fetched_at: number
  /** The last refresh's failure, cleared by the next good one. */
  error: string | null
  error_at: number | null
  /** When the refresh loop next fetches `url` (null: never, pasted XML). */
  next_refresh_at: number | null
  created_at: number
  updated_at: number
}

/** What a good fetch (or paste) records. */
export type IdpMetadataSuccess = Pick<
  IdpMetadataRow,
  'org_id' | 'url' | 'entity_id' | 'slo_url' | 'slo_binding' | 'fetched_at' | 'next_refresh_at'
>

/** An integration's certificates, for the expiry check and the expiry metric. */
export interface IntegrationCertificatesRow {
  org_id: string
  slug: string
  certificate: string
  next_certificate: string | null
}

export function idpMetadataRepository(db: Db) {
  const get = db.query<IdpMetadataRow, [string]>('SELECT * FROM idp_metadata WHERE org_id = ?')
  const upsert = db.query(
    `INSERT INTO idp_metadata (org_id, url, entity_id, slo_url, slo_binding, fetched_at, error, error_at,
       next_refresh_at, created_at, updated_at)
     VALUES ($org_id, $url, $entity_id, $slo_url, $slo_binding, $fetched_at, NULL, NULL,
       $next_refresh_at, $fetched_at, $fetched_at)
     ON CONFLICT (org_id) DO UPDATE SET url = excluded.url, entity_id = excluded.entity_id,
       slo_url = excluded.slo_url, slo_binding = excluded.slo_binding, fetched_at = excluded.fetched_at,
       error = NULL, error_at = NULL, next_refresh_at = excluded.next_refresh_at,
       updated_at = excluded.updated_at`,
  )
  const failure = db.query(
    `UPDATE idp_metadata SET error = ?1, error_at = ?2, next_refresh_at = ?3, updated_at = ?2
     WHERE org_id = ?4`,
  )
  const remove = db.query('DELETE FROM idp_metadata WHERE org_id = ?')
  const due = db.query<IdpMetadataRow, [number, number]>(
    `SELECT * FROM idp_metadata WHERE url IS NOT NULL AND next_refresh_at <= ?
     ORDER BY next_refresh_at, org_id LIMIT ?`,
  )
  const note = db.query(
    `INSERT INTO idp_certificate_notices (org_id, fingerprint, threshold_days, at) VALUES (?, ?, ?, ?)
     ON CONFLICT DO NOTHING`,
  )
  const certificates = db.query<IntegrationCertificatesRow, [string, number]>(
    `SELECT i.org_id, o.slug, i.certificate, i.next_certificate FROM integrations i
     JOIN orgs o ON o.id = i.org_id WHERE i.org_id > ? ORDER BY i.org_id LIMIT ?`,
  )
  return {
    get: (orgId: string) => get.get(orgId),
    /** Records a good fetch or paste (creating the row): clears the error. */
    recordSuccess: (row: IdpMetadataSuccess) =>
      void upsert.run(row as unknown as Record<string, string | number | null>),
    /** Records a failed refresh; the last good values stay. */
    recordFailure: (orgId: string, error: string, at: number, nextRefreshAt: number | null) =>
      void failure.run(error, at, nextRefreshAt, orgId),
    /** The integration is set up by hand again: no metadata any more. */
    remove: (orgId: string) => void remove.run(orgId),
    /** Rows with a URL whose refresh is due at `now`, the most overdue first. */
    due: (now: number, limit: number) => due.all(now, limit),
    /** Remembers that `thresholdDays` was announced for this certificate; false when it was before. */
    noteExpiry: (orgId: string, fingerprint: string, thresholdDays: number, at: number) =>
      note.run(orgId, fingerprint, thresholdDays, at).changes > 0,
    /** Every integration's certificates, by org id after `afterOrgId` (keyset pages). */
    integrationCertificates: (afterOrgId: string, limit: number) => certificates.all(afterOrgId, limit),
  }
}
