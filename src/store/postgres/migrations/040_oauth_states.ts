/**
 * PostgreSQL twin of src/store/migrations/040_oauth_states.ts: outstanding GitHub / Bitbucket
 * authorizations, and the index for finding a linked identity by login without regard to case.
 * `lower(login)` is an expression index (not standard SQL; SQLite and PostgreSQL both have them).
 * With the database's collation `C` it lowers ASCII only, as SQLite's lower() does; other
 * collations lower more of Unicode (see docs/store.md).
 */
export const up = `
CREATE TABLE oauth_states (
  state_hash TEXT COLLATE "C" PRIMARY KEY,
  org_id TEXT COLLATE "C" NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  session_hash TEXT COLLATE "C" NOT NULL,
  provider TEXT COLLATE "C" NOT NULL,
  code_verifier TEXT COLLATE "C" NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX oauth_states_expiry ON oauth_states (expires_at);
CREATE INDEX linked_identities_login ON linked_identities (org_id, provider, lower(login));
`
