/**
 * First run and setup links (issue 13). `setup_codes`: the one-time codes that guard the first-run
 * page (hashed; a code is deleted when used, and reads as absent once expired). `setup_links`: the
 * links an org admin gives the customer's IT admin (hashed token, idp, expiry, revocation, last
 * use). `integrations.first_scim_request_at`: when the integration's token first authenticated a
 * SCIM request, one of the link page's live checks (reset with the integration's row).
 * 070 belongs to webhooks.
 */
export const up = `
CREATE TABLE setup_codes (
  code_hash TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE TABLE setup_links (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  idp TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_by TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER,
  last_used_at INTEGER
);
CREATE INDEX setup_links_org ON setup_links (org_id, created_at);
ALTER TABLE integrations ADD COLUMN first_scim_request_at INTEGER;
`
