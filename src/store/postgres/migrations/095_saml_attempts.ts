/** PostgreSQL twin of src/store/migrations/095_saml_attempts.ts: the traces of SAML sign-in attempts. */
export const up = `
CREATE TABLE saml_attempts (
  id TEXT COLLATE "C" PRIMARY KEY,
  org_id TEXT COLLATE "C" NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  at BIGINT NOT NULL,
  outcome TEXT COLLATE "C" NOT NULL,
  reason TEXT COLLATE "C",
  flow TEXT COLLATE "C",
  issuer TEXT COLLATE "C",
  name_id TEXT COLLATE "C",
  audience TEXT COLLATE "C",
  destination TEXT COLLATE "C",
  in_response_to TEXT COLLATE "C",
  signed SMALLINT NOT NULL DEFAULT 0,
  attributes TEXT COLLATE "C" NOT NULL DEFAULT '{}',
  client_address TEXT COLLATE "C",
  steps TEXT COLLATE "C" NOT NULL DEFAULT '[]'
);
CREATE INDEX saml_attempts_org ON saml_attempts (org_id, at, id);
CREATE INDEX saml_attempts_outcome ON saml_attempts (org_id, outcome, at, id);
CREATE INDEX saml_attempts_at ON saml_attempts (at);
`
