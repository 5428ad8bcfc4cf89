/**
 * Membership events are keyed by the directory change that caused them instead of a mirror of
 * every announced membership: `events.change_seq` with a unique index makes re-applying a change
 * a no-op (INSERT OR IGNORE), at the cost of one sequential index entry instead of two random-key
 * B-tree inserts per membership — the difference between keeping up with a million-membership push
 * and falling minutes behind. Roles are always computed from the directory itself.
 */
export const up = `
DROP TABLE sync_memberships;
ALTER TABLE events ADD COLUMN change_seq INTEGER;
CREATE UNIQUE INDEX events_change ON events (org_id, change_seq) WHERE change_seq IS NOT NULL;
`
