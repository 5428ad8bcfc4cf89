/** IdP metadata and certificate expiry notices on PostgreSQL: the twin of `../idp-metadata.ts`. */
import type { Repositories } from '../contract.ts'
import type { IdpMetadataRow, IntegrationCertificatesRow } from '../idp-metadata.ts'
import { changed, first, type PgContext, rows } from './executor.ts'

type Row<T> = T & Record<string, unknown>

export function idpMetadataRepository(ctx: PgContext): Repositories['idpMetadata'] {
  const { sql } = ctx
  return {
    get: (orgId) => first<Row<IdpMetadataRow>>(sql`SELECT * FROM idp_metadata WHERE org_id = ${orgId}`),
    async recordSuccess(row) {
      await sql`
        INSERT INTO idp_metadata (org_id, url, entity_id, slo_url, slo_binding, fetched_at, error, error_at,
          next_refresh_at, created_at, updated_at)
        VALUES (${row.org_id}, ${row.url ?? null}, ${row.entity_id}, ${row.slo_url ?? null},
          ${row.slo_binding ?? null}, ${row.fetched_at}, NULL, NULL, ${row.next_refresh_at ?? null},
          ${row.fetched_at}, ${row.fetched_at})
        ON CONFLICT (org_id) DO UPDATE SET url = excluded.url, entity_id = excluded.entity_id,
          slo_url = excluded.slo_url, slo_binding = excluded.slo_binding, fetched_at = excluded.fetched_at,
          error = NULL, error_at = NULL, next_refresh_at = excluded.next_refresh_at,
          updated_at = excluded.updated_at`
    },
    async recordFailure(orgId, error, at, nextRefreshAt) {
      await sql`
        UPDATE idp_metadata SET error = ${error}, error_at = ${at}, next_refresh_at = ${nextRefreshAt},
          updated_at = ${at}
        WHERE org_id = ${orgId}`
    },
    async remove(orgId) {
      await sql`DELETE FROM idp_metadata WHERE org_id = ${orgId}`
    },
    due: (now, limit) =>
      rows<Row<IdpMetadataRow>>(sql`
        SELECT * FROM idp_metadata WHERE url IS NOT NULL AND next_refresh_at <= ${now}
        ORDER BY next_refresh_at, org_id COLLATE "C" LIMIT ${limit}`),
    noteExpiry: async (orgId, fingerprint, thresholdDays, at) =>
      (await changed(sql`
        INSERT INTO idp_certificate_notices (org_id, fingerprint, threshold_days, at)
        VALUES (${orgId}, ${fingerprint}, ${thresholdDays}, ${at})
        ON CONFLICT DO NOTHING`)) > 0,
    integrationCertificates: (afterOrgId, limit) =>
      rows<Row<IntegrationCertificatesRow>>(sql`
        SELECT i.org_id, o.slug, i.certificate, i.next_certificate FROM integrations i
        JOIN orgs o ON o.id = i.org_id WHERE i.org_id COLLATE "C" > ${afterOrgId}
        ORDER BY i.org_id COLLATE "C" LIMIT ${limit}`),
  }
}
