/**
 * PostgreSQL twin of src/store/migrations/060_throttles.ts: shared throttle state, one row per
 * (throttle, key), read and written under a row lock so two instances never lose a count.
 */
export const up = `
CREATE TABLE throttle_state (
  name TEXT NOT NULL,
  key TEXT NOT NULL,
  state TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (name, key)
);
CREATE INDEX throttle_state_expiry ON throttle_state (expires_at);
`
