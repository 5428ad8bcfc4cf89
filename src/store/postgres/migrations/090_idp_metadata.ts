/** PostgreSQL twin of src/store/migrations/090_idp_metadata.ts: IdP metadata and certificate notices. */
export const up = `
CREATE TABLE idp_metadata (
  org_id TEXT COLLATE "C" PRIMARY KEY REFERENCES integrations(org_id) ON DELETE CASCADE,
  url TEXT COLLATE "C",
  entity_id TEXT COLLATE "C" NOT NULL,
  slo_url TEXT COLLATE "C",
  slo_binding TEXT COLLATE "C",
  fetched_at BIGINT NOT NULL,
  error TEXT COLLATE "C",
  error_at BIGINT,
  next_refresh_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX idp_metadata_due ON idp_metadata (next_refresh_at);
CREATE TABLE idp_certificate_notices (
  org_id TEXT COLLATE "C" NOT NULL REFERENCES integrations(org_id) ON DELETE CASCADE,
  fingerprint TEXT COLLATE "C" NOT NULL,
  threshold_days INTEGER NOT NULL,
  at BIGINT NOT NULL,
  PRIMARY KEY (org_id, fingerprint, threshold_days)
);
`
