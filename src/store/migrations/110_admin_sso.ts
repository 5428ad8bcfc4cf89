/**
 * Console sign-in with Okta and break-glass admins (issue 12, enforcement).
 * - `admins.source`: 'password' (created by the CLI, the API or the console) or 'sso' (created on
 *   the first console sign-in through Okta, with no password: `password_hash` is '').
 * - `admins.break_glass`: 1 for an admin who may still sign in with a password while the org's
 *   `requireSsoForAdmins` is on (`okta-bridge admin create --break-glass`).
 * - `admins.account_id`: the org account this admin signs in with through Okta (set on the first
 *   such sign-in; an existing admin with the account's email is linked, not duplicated).
 * - `sessions.account_id`: for an admin session opened through Okta, the account it came from; the
 *   session lives only while that account is active and mapped to the admin role.
 * - `saml_requests.purpose`: 'account' (the account page, `{orgURL}/okta/login`) or 'console'
 *   (`{orgURL}/admin/sso`): the ACS opens a console session only for a request that says so.
 */
export const up = `
ALTER TABLE admins ADD COLUMN source TEXT NOT NULL DEFAULT 'password';
ALTER TABLE admins ADD COLUMN break_glass INTEGER NOT NULL DEFAULT 0;
ALTER TABLE admins ADD COLUMN account_id TEXT;
CREATE INDEX admins_account ON admins (org_id, account_id);
ALTER TABLE sessions ADD COLUMN account_id TEXT;
ALTER TABLE saml_requests ADD COLUMN purpose TEXT NOT NULL DEFAULT 'account';
`
