/**
 * Webhooks (issue 11): an org's endpoints, each following the org's `events` feed with its own
 * cursor, and the log of delivery attempts.
 *
 * `webhook_endpoints.cursor_event_id` is the last event the endpoint acknowledged (or that its
 * `event_types` filtered out): delivery resumes after it, so a crash never skips an event.
 * `inflight_until` pins the last event of a batch while it is being retried, so a retry sends the
 * same events under the same `webhook-id`. `attempt`, `failing_since` and `next_attempt_at` are the
 * retry state of the event at the head. Secrets are `whsec_…` (sealed `enc:v1:…` with SECRET_KEY);
 * `previous_secret` keeps signing until `previous_expires_at` after a rotation.
 */
export const up = `
CREATE TABLE webhook_endpoints (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  url TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  event_types TEXT NOT NULL DEFAULT '[]',
  batch INTEGER NOT NULL DEFAULT 0,
  enabled INTEGER NOT NULL DEFAULT 1,
  secret TEXT NOT NULL,
  previous_secret TEXT,
  previous_expires_at INTEGER,
  cursor_event_id INTEGER NOT NULL DEFAULT 0,
  inflight_until INTEGER,
  attempt INTEGER NOT NULL DEFAULT 0,
  failing_since INTEGER,
  next_attempt_at INTEGER,
  last_error TEXT,
  disabled_reason TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_org ON webhook_endpoints (org_id, created_at, id);
CREATE INDEX webhook_endpoints_due ON webhook_endpoints (enabled, next_attempt_at);

CREATE TABLE webhook_deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
  message_id TEXT NOT NULL,
  event_ids TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  status TEXT NOT NULL,
  response_status INTEGER,
  response_body TEXT,
  duration_ms INTEGER,
  error TEXT,
  at INTEGER NOT NULL,
  next_attempt_at INTEGER
);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);
`
