/**
 * PostgreSQL twin of src/store/migrations/031_membership_events.ts: membership events keyed by the
 * directory change that caused them, so re-applying a change writes its event once
 * (`ON CONFLICT DO NOTHING` here, `INSERT OR IGNORE` on SQLite; both engines accept the former).
 * `change_seq` is a per-org feed number, hence BIGINT and the (org_id, change_seq) key.
 */
export const up = `
ALTER TABLE events ADD COLUMN change_seq BIGINT;
CREATE UNIQUE INDEX events_change ON events (org_id, change_seq) WHERE change_seq IS NOT NULL;
`
