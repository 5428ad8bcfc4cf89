/**
 * SAML single logout (issue 12). A user session remembers the SAML subject it came from — the
 * assertion's NameID (+ Format) and the AuthnStatement's SessionIndex — so that an IdP-initiated
 * LogoutRequest can end exactly that person's sessions and an SP-initiated one can name them
 * (NULL for admin sessions and sessions from before this migration). `saml_logout_requests`: the
 * LogoutRequests we sent to the IdP, so that a LogoutResponse is accepted only in answer to one of
 * them, once (like `saml_requests` for AuthnRequests).
 */
export const up = `
ALTER TABLE sessions ADD COLUMN name_id TEXT;
ALTER TABLE sessions ADD COLUMN name_id_format TEXT;
ALTER TABLE sessions ADD COLUMN session_index TEXT;
CREATE INDEX sessions_name_id ON sessions (org_id, name_id);
CREATE TABLE saml_logout_requests (
  org_id TEXT NOT NULL,
  request_id TEXT NOT NULL,
  subject_id TEXT,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (org_id, request_id)
) WITHOUT ROWID;
`
