/**
 * Outstanding "Connect GitHub / Bitbucket" authorizations: one row per started OAuth flow, keyed by
 * the SHA-256 of its `state`, bound to the account and the browser session that started it, with
 * the PKCE code verifier the token request needs. Rows are used once and expire after minutes.
 */
export const up = `
CREATE TABLE oauth_states (
  state_hash TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  session_hash TEXT NOT NULL,
  provider TEXT NOT NULL,
  code_verifier TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX oauth_states_expiry ON oauth_states (expires_at);
CREATE INDEX linked_identities_login ON linked_identities (org_id, provider, lower(login));
`
