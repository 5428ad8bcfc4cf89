/**
 * PostgreSQL twin of src/store/migrations/030_sync.ts: the scheduler's group mirror and the indexes
 * of removal, duplicate cascades and reconcile pages. SQLite's 030 also creates `sync_memberships`,
 * which its 031 drops again; a PostgreSQL store starts after that, so the table never exists here.
 */
export const up = `
CREATE TABLE sync_groups (
  org_id TEXT COLLATE "C" NOT NULL,
  group_id TEXT COLLATE "C" NOT NULL,
  display_name TEXT COLLATE "C" NOT NULL,
  display_name_lower TEXT COLLATE "C" NOT NULL,
  applied_at BIGINT NOT NULL,
  PRIMARY KEY (org_id, group_id)
);

CREATE INDEX accounts_integration ON accounts (org_id, id) WHERE created_via_integration = 1;
CREATE INDEX accounts_linked ON accounts (org_id, scim_user_id) WHERE scim_user_id IS NOT NULL;
CREATE INDEX duplicates_account ON duplicates (account_id);
CREATE INDEX duplicates_scim_user ON duplicates (scim_user_id);
`
