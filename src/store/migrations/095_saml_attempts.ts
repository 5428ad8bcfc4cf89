/**
 * Sign-in attempts you can debug (issue 12): `saml_attempts` keeps one row per SAML sign-in attempt
 * at the ACS, accepted or not, for SAML_ATTEMPT_RETENTION_DAYS (default 30), as a trace an admin can
 * read: the outcome and reason, the flow, the values read from the response (`signed` says whether
 * they came from verified content or, before the signature step passed, from the posted document),
 * a capped copy of the attributes and the steps run (`steps`: JSON `[{step, ok, detail}]`). Never
 * the raw response nor signature bytes. The id is the short reference the person's failure page
 * shows. Dry runs (`POST …/saml/check`) are not stored. A rate-limited burst is one row.
 * Indexes: newest first per org (optionally by outcome), and by time for retention.
 */
export const up = `
CREATE TABLE saml_attempts (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  at INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  reason TEXT,
  flow TEXT,
  issuer TEXT,
  name_id TEXT,
  audience TEXT,
  destination TEXT,
  in_response_to TEXT,
  signed INTEGER NOT NULL DEFAULT 0,
  attributes TEXT NOT NULL DEFAULT '{}',
  client_address TEXT,
  steps TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX saml_attempts_org ON saml_attempts (org_id, at, id);
CREATE INDEX saml_attempts_outcome ON saml_attempts (org_id, outcome, at, id);
CREATE INDEX saml_attempts_at ON saml_attempts (at);
`
