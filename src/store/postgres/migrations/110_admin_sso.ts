/** PostgreSQL twin of src/store/migrations/110_admin_sso.ts: SSO and break-glass admins, console requests. */
export const up = `
ALTER TABLE admins ADD COLUMN source TEXT COLLATE "C" NOT NULL DEFAULT 'password';
ALTER TABLE admins ADD COLUMN break_glass SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE admins ADD COLUMN account_id TEXT COLLATE "C";
CREATE INDEX admins_account ON admins (org_id, account_id);
ALTER TABLE sessions ADD COLUMN account_id TEXT COLLATE "C";
ALTER TABLE saml_requests ADD COLUMN purpose TEXT COLLATE "C" NOT NULL DEFAULT 'account';
`
