/** PostgreSQL twin of src/store/migrations/100_saml_logout.ts: session subjects, sent LogoutRequests. */
export const up = `
ALTER TABLE sessions ADD COLUMN name_id TEXT COLLATE "C";
ALTER TABLE sessions ADD COLUMN name_id_format TEXT COLLATE "C";
ALTER TABLE sessions ADD COLUMN session_index TEXT COLLATE "C";
CREATE INDEX sessions_name_id ON sessions (org_id, name_id);
CREATE TABLE saml_logout_requests (
  org_id TEXT COLLATE "C" NOT NULL,
  request_id TEXT COLLATE "C" NOT NULL,
  subject_id TEXT COLLATE "C",
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (org_id, request_id)
);
`
