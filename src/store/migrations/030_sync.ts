/**
 * Sync scheduler tables and indexes.
 *
 * (`sync_memberships` was replaced by event keys in 031 and is dropped there.)
 *
 * `sync_groups` / `sync_memberships` record which groups and memberships the scheduler has already
 * announced in the org's change feed (`events`). They are not a second source of truth (the
 * directory is): they let applying a change stay idempotent (a membership already announced is not
 * announced twice), let a group's deletion reach its former members after the directory rows are
 * gone, and give the full reconcile something to compare the directory with.
 *
 * The indexes serve the removal (accounts created via the integration), the foreign-key cascades
 * of `duplicates` (without them every account or SCIM user deletion scans the table), and the
 * keyset pages of the full reconcile.
 */
export const up = `
CREATE TABLE sync_groups (
  org_id TEXT NOT NULL,
  group_id TEXT NOT NULL,
  display_name TEXT NOT NULL,
  display_name_lower TEXT NOT NULL,
  applied_at INTEGER NOT NULL,
  PRIMARY KEY (org_id, group_id)
) WITHOUT ROWID;

CREATE TABLE sync_memberships (
  org_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  group_id TEXT NOT NULL,
  PRIMARY KEY (org_id, user_id, group_id)
) WITHOUT ROWID;
CREATE INDEX sync_memberships_group ON sync_memberships (org_id, group_id, user_id);

CREATE INDEX accounts_integration ON accounts (org_id, id) WHERE created_via_integration = 1;
CREATE INDEX accounts_linked ON accounts (org_id, scim_user_id) WHERE scim_user_id IS NOT NULL;
CREATE INDEX duplicates_account ON duplicates (account_id);
CREATE INDEX duplicates_scim_user ON duplicates (scim_user_id);
`
