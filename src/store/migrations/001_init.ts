/**
 * The first schema. Every row carries its org (`org_id`), every secret is stored as a SHA-256 hash,
 * times are Unix milliseconds (INTEGER) so comparisons stay cheap and portable to PostgreSQL BIGINT.
 *
 * Two layers live side by side:
 * - the *directory*: what the identity provider said over SCIM (scim_users, scim_groups,
 *   scim_memberships), written by the SCIM API, plus an ordered per-org `directory_changes` feed
 *   appended in the same transaction;
 * - the *org state*: accounts, roles, sessions, events and audit, written by the sync scheduler
 *   (and by admins for local accounts).
 */
export const up = `
CREATE TABLE orgs (
  id TEXT PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  url TEXT UNIQUE,
  settings TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL
);

CREATE TABLE admins (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  email TEXT NOT NULL,
  email_lower TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (org_id, email_lower)
);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER
);
CREATE INDEX api_keys_org ON api_keys (org_id);

CREATE TABLE integrations (
  org_id TEXT PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,
  sso_url TEXT NOT NULL,
  issuer TEXT NOT NULL,
  certificate TEXT NOT NULL,
  next_certificate TEXT,
  scim_token_hash TEXT NOT NULL UNIQUE,
  settings TEXT NOT NULL DEFAULT '{}',
  sp_private_key TEXT,
  sp_certificate TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- Directory: what the IdP pushed over SCIM.
CREATE TABLE scim_users (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  user_name TEXT NOT NULL,
  user_name_lower TEXT NOT NULL,
  external_id TEXT,
  email_lower TEXT,
  display_name TEXT,
  given_name TEXT,
  family_name TEXT,
  active INTEGER NOT NULL DEFAULT 1,
  resource TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (org_id, user_name_lower)
);
CREATE INDEX scim_users_email ON scim_users (org_id, email_lower);
CREATE INDEX scim_users_external ON scim_users (org_id, external_id);
CREATE INDEX scim_users_org_created ON scim_users (org_id, created_at, id);

CREATE TABLE scim_groups (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  display_name TEXT NOT NULL,
  display_name_lower TEXT NOT NULL,
  external_id TEXT,
  resource TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (org_id, display_name_lower)
);
CREATE INDEX scim_groups_external ON scim_groups (org_id, external_id);
CREATE INDEX scim_groups_org_created ON scim_groups (org_id, created_at, id);

CREATE TABLE scim_memberships (
  org_id TEXT NOT NULL,
  group_id TEXT NOT NULL REFERENCES scim_groups(id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES scim_users(id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX scim_memberships_user ON scim_memberships (user_id, group_id);

-- Ordered per-org feed of directory writes, consumed by the sync scheduler.
-- kind: 'user' | 'group' | 'membership'; op: 'upsert' | 'delete' | 'add' | 'remove'.
CREATE TABLE directory_changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  org_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  op TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  related_id TEXT,
  at INTEGER NOT NULL
);
CREATE INDEX directory_changes_org ON directory_changes (org_id, seq);

-- Org state, derived by the sync scheduler (or created locally by admins).
CREATE TABLE accounts (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  email TEXT NOT NULL,
  email_lower TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 1,
  role TEXT NOT NULL DEFAULT 'member',
  scim_user_id TEXT UNIQUE,
  created_via_integration INTEGER NOT NULL DEFAULT 0,
  last_sign_in_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (org_id, email_lower)
);
CREATE INDEX accounts_org_created ON accounts (org_id, created_at, id);

CREATE TABLE linked_identities (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  provider TEXT NOT NULL,
  login TEXT NOT NULL,
  email TEXT NOT NULL,
  email_lower TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (account_id, provider)
);
CREATE INDEX linked_identities_email ON linked_identities (org_id, email_lower);

CREATE TABLE role_mappings (
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  group_name_lower TEXT NOT NULL,
  group_name TEXT NOT NULL,
  role TEXT NOT NULL,
  PRIMARY KEY (org_id, group_name_lower)
);

CREATE TABLE duplicates (
  org_id TEXT NOT NULL,
  scim_user_id TEXT NOT NULL REFERENCES scim_users(id) ON DELETE CASCADE,
  account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  matched_on TEXT NOT NULL,
  detected_at INTEGER NOT NULL,
  PRIMARY KEY (org_id, scim_user_id)
);

CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  csrf_token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_subject ON sessions (org_id, subject_id);

-- Change feed for downstream apps (written by the sync scheduler).
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  org_id TEXT NOT NULL,
  type TEXT NOT NULL,
  at INTEGER NOT NULL,
  account_id TEXT,
  group_id TEXT,
  data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_org ON events (org_id, id);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  org_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  action TEXT NOT NULL,
  outcome TEXT NOT NULL,
  actor TEXT,
  subject TEXT,
  reason TEXT,
  data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_org ON audit_log (org_id, id);
CREATE INDEX audit_log_org_kind ON audit_log (org_id, kind, id);

-- Scheduler state per org (checkpoint of the change feed, full reconcile and removal progress).
CREATE TABLE sync_state (
  org_id TEXT PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,
  applied_seq INTEGER NOT NULL DEFAULT 0,
  reconcile_running INTEGER NOT NULL DEFAULT 0,
  reconcile_cursor TEXT,
  reconcile_processed INTEGER NOT NULL DEFAULT 0,
  reconcile_total INTEGER NOT NULL DEFAULT 0,
  reconcile_started_at INTEGER,
  reconcile_finished_at INTEGER,
  last_full_reconcile_at INTEGER,
  removal_running INTEGER NOT NULL DEFAULT 0,
  removal_deleted INTEGER NOT NULL DEFAULT 0,
  removal_total INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  updated_at INTEGER NOT NULL DEFAULT 0
);

-- Leases make sure one worker acts per name (e.g. 'sync:<org_id>') across processes.
CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);

-- SAML: assertion IDs already used (until they expire) and outstanding AuthnRequests.
CREATE TABLE saml_replay (
  org_id TEXT NOT NULL,
  assertion_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (org_id, assertion_id)
) WITHOUT ROWID;

CREATE TABLE saml_requests (
  org_id TEXT NOT NULL,
  request_id TEXT NOT NULL,
  browser_hash TEXT NOT NULL,
  next_path TEXT,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (org_id, request_id)
) WITHOUT ROWID;
`
