/**
 * Throttle state (sign-in backoff, per-client token buckets) in the store, so several instances on
 * one database count against the same limits (issue 10). One row per (throttle, key): the
 * algorithm's small JSON state and the time after which it carries no information (a refilled
 * bucket, a forgotten failure streak). An expired row reads as absent, so purging it in batches
 * (housekeeping, by the `expires_at` index) never changes a decision. Keys are hashes, so their
 * size does not depend on what a client sends.
 */
export const up = `
CREATE TABLE throttle_state (
  name TEXT NOT NULL,
  key TEXT NOT NULL,
  state TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (name, key)
) WITHOUT ROWID;
CREATE INDEX throttle_state_expiry ON throttle_state (expires_at);
`
