/**
 * The first schema on PostgreSQL: the same tables, columns and index names as the SQLite 001
 * (src/store/migrations/001_init.ts), so repositories can share SQL wherever the dialects agree and a
 * row reads the same from either engine. Types, chosen for that:
 * - times are Unix milliseconds in BIGINT (SQLite's INTEGER), ids and secrets' hashes TEXT, JSON TEXT;
 * - flags stay 0/1 integers (SMALLINT), not BOOLEAN: Bun.sql returns a SMALLINT as a number, like
 *   bun:sqlite, so `active: 1` means the same row on both engines, and the partial indexes and
 *   filters that say `= 1` need no second spelling;
 * - counts and versions are INTEGER; feed numbers and times BIGINT (Bun.sql returns those as strings,
 *   which the engine decodes: see ../rows.ts and docs/store.md);
 * - every text column is `COLLATE "C"`: text compares and sorts by code point, as SQLite's BINARY
 *   does, whatever collation the operator's database was created with, so keyset pages
 *   (`ORDER BY id`, `WHERE id > ?`) are the same on both engines and served by the plain indexes.
 *
 * The one real difference is the feed ordering. SQLite numbers `directory_changes.seq` and
 * `events.id` with AUTOINCREMENT and has one writer, so a reader following `seq > cursor` never skips
 * a row that commits later with a smaller number. PostgreSQL sequences hand out numbers at INSERT and
 * commit out of order, so here both feeds are numbered per org from a counter row in `feed_counters`
 * that the writing transaction takes with `INSERT … ON CONFLICT DO UPDATE … RETURNING` (no function,
 * no sequence): the row lock it holds until commit makes the writers of one org's feed take turns, so
 * numbers commit in order and without gaps. The numbers are per org, hence the primary keys
 * (org_id, seq) and (org_id, id), which also serve the `WHERE org_id = ? AND seq > ?` reads (the
 * SQLite indexes directory_changes_org and events_org are that primary key here).
 *
 * PostgreSQL-specific or non-standard: `ON CONFLICT` (SQLite has it too; standard SQL would be
 * MERGE), partial indexes (`WHERE` on CREATE INDEX, SQLite too). `WITHOUT ROWID` (SQLite-only) is
 * left out: every PostgreSQL table is a heap with separate indexes.
 */
export const up = `
CREATE TABLE orgs (
  id TEXT COLLATE "C" PRIMARY KEY,
  slug TEXT COLLATE "C" NOT NULL UNIQUE,
  name TEXT COLLATE "C" NOT NULL,
  url TEXT COLLATE "C" UNIQUE,
  settings TEXT COLLATE "C" NOT NULL DEFAULT '{}',
  created_at BIGINT NOT NULL
);

CREATE TABLE admins (
  id TEXT COLLATE "C" PRIMARY KEY,
  org_id TEXT COLLATE "C" NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  email TEXT COLLATE "C" NOT NULL,
  email_lower TEXT COLLATE "C" NOT NULL,
  password_hash TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (org_id, email_lower)
);

CREATE TABLE api_keys (
  id TEXT COLLATE "C" PRIMARY KEY,
  org_id TEXT COLLATE "C" NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  name TEXT COLLATE "C" NOT NULL,
  key_hash TEXT COLLATE "C" NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT
);
CREATE INDEX api_keys_org ON api_keys (org_id);

CREATE TABLE integrations (
  org_id TEXT COLLATE "C" PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,
  sso_url TEXT COLLATE "C" NOT NULL,
  issuer TEXT COLLATE "C" NOT NULL,
  certificate TEXT COLLATE "C" NOT NULL,
  next_certificate TEXT COLLATE "C",
  scim_token_hash TEXT COLLATE "C" NOT NULL UNIQUE,
  settings TEXT COLLATE "C" NOT NULL DEFAULT '{}',
  sp_private_key TEXT COLLATE "C",
  sp_certificate TEXT COLLATE "C",
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

-- Directory: what the IdP pushed over SCIM.
CREATE TABLE scim_users (
  id TEXT COLLATE "C" PRIMARY KEY,
  org_id TEXT COLLATE "C" NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  user_name TEXT COLLATE "C" NOT NULL,
  user_name_lower TEXT COLLATE "C" NOT NULL,
  external_id TEXT COLLATE "C",
  email_lower TEXT COLLATE "C",
  display_name TEXT COLLATE "C",
  given_name TEXT COLLATE "C",
  family_name TEXT COLLATE "C",
  active SMALLINT NOT NULL DEFAULT 1,
  resource TEXT COLLATE "C" NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (org_id, user_name_lower)
);
CREATE INDEX scim_users_email ON scim_users (org_id, email_lower);
CREATE INDEX scim_users_external ON scim_users (org_id, external_id);
CREATE INDEX scim_users_org_created ON scim_users (org_id, created_at, id);

CREATE TABLE scim_groups (
  id TEXT COLLATE "C" PRIMARY KEY,
  org_id TEXT COLLATE "C" NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  display_name TEXT COLLATE "C" NOT NULL,
  display_name_lower TEXT COLLATE "C" NOT NULL,
  external_id TEXT COLLATE "C",
  resource TEXT COLLATE "C" NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (org_id, display_name_lower)
);
CREATE INDEX scim_groups_external ON scim_groups (org_id, external_id);
CREATE INDEX scim_groups_org_created ON scim_groups (org_id, created_at, id);

CREATE TABLE scim_memberships (
  org_id TEXT COLLATE "C" NOT NULL,
  group_id TEXT COLLATE "C" NOT NULL REFERENCES scim_groups(id) ON DELETE CASCADE,
  user_id TEXT COLLATE "C" NOT NULL REFERENCES scim_users(id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, user_id)
);
CREATE INDEX scim_memberships_user ON scim_memberships (user_id, group_id);

-- Per-org feed counters: last_seq is the highest number handed out for (org_id, feed). A writer
-- takes n numbers with
--   INSERT INTO feed_counters (org_id, feed, last_seq) VALUES (?, ?, n)
--   ON CONFLICT (org_id, feed) DO UPDATE SET last_seq = feed_counters.last_seq + excluded.last_seq
--   RETURNING last_seq
-- (its rows are last_seq - n + 1 … last_seq) as late in its transaction as it can, since the row
-- stays locked until commit. A transaction that numbers both feeds takes 'directory_changes' before
-- 'events' (and orgs in id order), so two writers never wait on each other in a circle. Numbers are
-- never handed out twice: the counter is not reset when feed rows are deleted.
CREATE TABLE feed_counters (
  org_id TEXT COLLATE "C" NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  feed TEXT COLLATE "C" NOT NULL CHECK (feed IN ('directory_changes', 'events')),
  last_seq BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (org_id, feed)
);

-- Ordered per-org feed of directory writes, consumed by the sync scheduler.
-- kind: 'user' | 'group' | 'membership'; op: 'upsert' | 'delete' | 'add' | 'remove'.
CREATE TABLE directory_changes (
  seq BIGINT NOT NULL,
  org_id TEXT COLLATE "C" NOT NULL,
  kind TEXT COLLATE "C" NOT NULL,
  op TEXT COLLATE "C" NOT NULL,
  resource_id TEXT COLLATE "C" NOT NULL,
  related_id TEXT COLLATE "C",
  at BIGINT NOT NULL,
  PRIMARY KEY (org_id, seq)
);

-- Org state, derived by the sync scheduler (or created locally by admins).
CREATE TABLE accounts (
  id TEXT COLLATE "C" PRIMARY KEY,
  org_id TEXT COLLATE "C" NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  email TEXT COLLATE "C" NOT NULL,
  email_lower TEXT COLLATE "C" NOT NULL,
  name TEXT COLLATE "C" NOT NULL DEFAULT '',
  source TEXT COLLATE "C" NOT NULL,
  active SMALLINT NOT NULL DEFAULT 1,
  role TEXT COLLATE "C" NOT NULL DEFAULT 'member',
  scim_user_id TEXT COLLATE "C" UNIQUE,
  created_via_integration SMALLINT NOT NULL DEFAULT 0,
  last_sign_in_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (org_id, email_lower)
);
CREATE INDEX accounts_org_created ON accounts (org_id, created_at, id);

CREATE TABLE linked_identities (
  id TEXT COLLATE "C" PRIMARY KEY,
  org_id TEXT COLLATE "C" NOT NULL,
  account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  provider TEXT COLLATE "C" NOT NULL,
  login TEXT COLLATE "C" NOT NULL,
  email TEXT COLLATE "C" NOT NULL,
  email_lower TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (account_id, provider)
);
CREATE INDEX linked_identities_email ON linked_identities (org_id, email_lower);

CREATE TABLE role_mappings (
  org_id TEXT COLLATE "C" NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  group_name_lower TEXT COLLATE "C" NOT NULL,
  group_name TEXT COLLATE "C" NOT NULL,
  role TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (org_id, group_name_lower)
);

CREATE TABLE duplicates (
  org_id TEXT COLLATE "C" NOT NULL,
  scim_user_id TEXT COLLATE "C" NOT NULL REFERENCES scim_users(id) ON DELETE CASCADE,
  account_id TEXT COLLATE "C" NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  matched_on TEXT COLLATE "C" NOT NULL,
  detected_at BIGINT NOT NULL,
  PRIMARY KEY (org_id, scim_user_id)
);

CREATE TABLE sessions (
  token_hash TEXT COLLATE "C" PRIMARY KEY,
  org_id TEXT COLLATE "C" NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  kind TEXT COLLATE "C" NOT NULL,
  subject_id TEXT COLLATE "C" NOT NULL,
  csrf_token TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_subject ON sessions (org_id, subject_id);

-- Change feed for downstream apps (written by the sync scheduler), numbered per org from
-- feed_counters like directory_changes.
CREATE TABLE events (
  id BIGINT NOT NULL,
  org_id TEXT COLLATE "C" NOT NULL,
  type TEXT COLLATE "C" NOT NULL,
  at BIGINT NOT NULL,
  account_id TEXT COLLATE "C",
  group_id TEXT COLLATE "C",
  data TEXT COLLATE "C" NOT NULL DEFAULT '{}',
  PRIMARY KEY (org_id, id)
);

-- Audit entries are read newest first in pages, never followed by a cursor that must not skip, so
-- an identity column will do (standard SQL; BY DEFAULT so a copy from SQLite can keep its ids, after
-- which the identity must be moved past them with ALTER TABLE … ALTER COLUMN id RESTART WITH …).
CREATE TABLE audit_log (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  org_id TEXT COLLATE "C" NOT NULL,
  at BIGINT NOT NULL,
  kind TEXT COLLATE "C" NOT NULL,
  action TEXT COLLATE "C" NOT NULL,
  outcome TEXT COLLATE "C" NOT NULL,
  actor TEXT COLLATE "C",
  subject TEXT COLLATE "C",
  reason TEXT COLLATE "C",
  data TEXT COLLATE "C" NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_org ON audit_log (org_id, id);
CREATE INDEX audit_log_org_kind ON audit_log (org_id, kind, id);

-- Scheduler state per org (checkpoint of the change feed, full reconcile and removal progress).
CREATE TABLE sync_state (
  org_id TEXT COLLATE "C" PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,
  applied_seq BIGINT NOT NULL DEFAULT 0,
  reconcile_running SMALLINT NOT NULL DEFAULT 0,
  reconcile_cursor TEXT COLLATE "C",
  reconcile_processed INTEGER NOT NULL DEFAULT 0,
  reconcile_total INTEGER NOT NULL DEFAULT 0,
  reconcile_started_at BIGINT,
  reconcile_finished_at BIGINT,
  last_full_reconcile_at BIGINT,
  removal_running SMALLINT NOT NULL DEFAULT 0,
  removal_deleted INTEGER NOT NULL DEFAULT 0,
  removal_total INTEGER NOT NULL DEFAULT 0,
  last_error TEXT COLLATE "C",
  updated_at BIGINT NOT NULL DEFAULT 0
);

-- Leases make sure one worker acts per name (e.g. 'sync:<org_id>') across processes.
CREATE TABLE leases (
  name TEXT COLLATE "C" PRIMARY KEY,
  holder TEXT COLLATE "C" NOT NULL,
  expires_at BIGINT NOT NULL
);

-- SAML: assertion IDs already used (until they expire) and outstanding AuthnRequests.
CREATE TABLE saml_replay (
  org_id TEXT COLLATE "C" NOT NULL,
  assertion_id TEXT COLLATE "C" NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (org_id, assertion_id)
);

CREATE TABLE saml_requests (
  org_id TEXT COLLATE "C" NOT NULL,
  request_id TEXT COLLATE "C" NOT NULL,
  browser_hash TEXT COLLATE "C" NOT NULL,
  next_path TEXT COLLATE "C",
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (org_id, request_id)
);
`
