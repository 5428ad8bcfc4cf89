/** PostgreSQL twin of src/store/migrations/080_setup.ts: setup codes, setup links, first SCIM request. */
export const up = `
CREATE TABLE setup_codes (
  code_hash TEXT PRIMARY KEY,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE TABLE setup_links (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  idp TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_by TEXT,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked_at BIGINT,
  last_used_at BIGINT
);
CREATE INDEX setup_links_org ON setup_links (org_id, created_at);
ALTER TABLE integrations ADD COLUMN first_scim_request_at BIGINT;
`
