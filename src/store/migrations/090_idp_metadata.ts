/**
 * IdP metadata lifecycle (issue 12). `idp_metadata`: how an org's integration was set up from the
 * IdP's metadata — the URL it is refreshed from (null when the XML was pasted), the last good fetch,
 * the last failure (shown, never applied), when the next refresh is due, and what the metadata says
 * beyond the integration's own columns (the SingleLogoutService). `idp_certificate_notices`: which
 * expiry thresholds (30, 7, 1 days) have been announced for which IdP certificate, so each one is
 * announced once. Both go with their integration (ON DELETE CASCADE). 080 belongs to setup links.
 */
export const up = `
CREATE TABLE idp_metadata (
  org_id TEXT PRIMARY KEY REFERENCES integrations(org_id) ON DELETE CASCADE,
  url TEXT,
  entity_id TEXT NOT NULL,
  slo_url TEXT,
  slo_binding TEXT,
  fetched_at INTEGER NOT NULL,
  error TEXT,
  error_at INTEGER,
  next_refresh_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX idp_metadata_due ON idp_metadata (next_refresh_at);
CREATE TABLE idp_certificate_notices (
  org_id TEXT NOT NULL REFERENCES integrations(org_id) ON DELETE CASCADE,
  fingerprint TEXT NOT NULL,
  threshold_days INTEGER NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (org_id, fingerprint, threshold_days)
);
`
