/**
 * Webhook endpoints and their delivery log. An endpoint follows its org's `events` feed with its own
 * cursor (`cursor_event_id`, the last event acknowledged or filtered out); the delivery loop moves
 * it forward with compare-and-set updates (`WHERE cursor_event_id = <what the sender read>`), so a
 * sender that lost its lease, or an admin's replay in between, never has its stale result written.
 *
 * The signing secrets must be read back to sign, so they cannot be hashed: with SECRET_KEY they are
 * sealed here on the way in (`secret-box.ts`, bound to the org and the endpoint) and opened only by
 * `signingSecrets`, the one read that signs; every other read leaves them sealed.
 */
import { isSealed, type SecretBinding, type SecretBox, SecretKeyError } from '../secrets/secret-box.ts'
import type { Db } from './database.ts'

export interface WebhookRow {
  id: string
  org_id: string
  url: string
  description: string
  /** JSON array of event types; empty: every type. */
  event_types: string
  batch: number
  enabled: number
  /** As stored: `whsec_…`, or `enc:v1:…` when sealed. */
  secret: string
  previous_secret: string | null
  previous_expires_at: number | null
  cursor_event_id: number
  inflight_until: number | null
  attempt: number
  failing_since: number | null
  next_attempt_at: number | null
  last_error: string | null
  disabled_reason: string | null
  created_at: number
  updated_at: number
}

export interface NewWebhook {
  id: string
  orgId: string
  url: string
  description: string
  eventTypes: string[]
  batch: boolean
  secret: string
  /** The feed position the endpoint starts after (the org's latest event when it is created). */
  cursor: number
  at: number
}

export interface WebhookChanges {
  url?: string
  description?: string
  eventTypes?: string[]
  batch?: boolean
}

/** What the sender learnt from one attempt at the head of the endpoint's queue. */
export interface WebhookFailure {
  attempt: number
  failingSince: number
  nextAttemptAt: number
  error: string
}

export interface DeliveryRow {
  id: number
  org_id: string
  endpoint_id: string
  message_id: string
  /** JSON array of event ids. */
  event_ids: string
  attempt: number
  status: string
  response_status: number | null
  response_body: string | null
  duration_ms: number | null
  error: string | null
  at: number
  next_attempt_at: number | null
}

export type NewDelivery = Omit<DeliveryRow, 'id'>

/** The additional data of an endpoint's sealed secret: another endpoint's row does not open it. */
export const webhookSecretBinding = (orgId: string, endpointId: string): SecretBinding => ({
  purpose: `webhook secret ${endpointId}`,
  orgId,
})

/** Seals `secret` when there is a key; the store refuses a clear secret into an encrypted store. */
export function sealWebhookSecret(
  secrets: SecretBox | null,
  encrypted: boolean,
  orgId: string,
  endpointId: string,
  secret: string,
): string {
  if (!secrets && encrypted) {
    throw new SecretKeyError(
      'the store is encrypted: set SECRET_KEY or SECRET_KEY_FILE to write webhook secrets',
    )
  }
  return secrets ? secrets.seal(secret, webhookSecretBinding(orgId, endpointId)) : secret
}

/** The secrets that sign right now, current first (the previous one until it expires). */
export function openWebhookSecrets(
  secrets: SecretBox | null,
  row: Pick<WebhookRow, 'id' | 'org_id' | 'secret' | 'previous_secret' | 'previous_expires_at'>,
  now: number,
): string[] {
  const open = (stored: string) => {
    if (!isSealed(stored)) return stored
    if (!secrets) throw new SecretKeyError('the webhook secret is sealed: set SECRET_KEY or SECRET_KEY_FILE')
    return secrets.open(stored, webhookSecretBinding(row.org_id, row.id))
  }
  const out = [open(row.secret)]
  if (row.previous_secret !== null && (row.previous_expires_at ?? 0) > now)
    out.push(open(row.previous_secret))
  return out
}

export function webhookRepository(db: Db, secrets: SecretBox | null) {
  const encrypted = db.query<{ n: number }, []>(
    "SELECT count(*) AS n FROM store_meta WHERE key = 'secret_key_check'",
  )
  const insert = db.query(
    `INSERT INTO webhook_endpoints (id, org_id, url, description, event_types, batch, enabled, secret,
       cursor_event_id, created_at, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8, ?9, ?9)`,
  )
  const get = db.query<WebhookRow, [string, string]>(
    'SELECT * FROM webhook_endpoints WHERE org_id = ? AND id = ?',
  )
  const byId = db.query<WebhookRow, [string]>('SELECT * FROM webhook_endpoints WHERE id = ?')
  const page = db.query<WebhookRow, [string, string, number]>(
    `SELECT * FROM webhook_endpoints WHERE org_id = ?1
       AND (?2 = '' OR (created_at, id) > (SELECT created_at, id FROM webhook_endpoints WHERE org_id = ?1 AND id = ?2))
     ORDER BY created_at, id LIMIT ?3`,
  )
  const due = db.query<WebhookRow, [number, string, number]>(
    `SELECT * FROM webhook_endpoints
     WHERE enabled = 1 AND (next_attempt_at IS NULL OR next_attempt_at <= ?1) AND id > ?2
     ORDER BY id LIMIT ?3`,
  )
  const update = db.query(
    `UPDATE webhook_endpoints SET url = ?3, description = ?4, event_types = ?5, batch = ?6,
       inflight_until = CASE WHEN batch = ?6 AND event_types = ?5 THEN inflight_until ELSE NULL END,
       updated_at = ?7
     WHERE org_id = ?1 AND id = ?2`,
  )
  const setEnabled = db.query(
    `UPDATE webhook_endpoints SET enabled = ?3, disabled_reason = ?4, attempt = 0, failing_since = NULL,
       next_attempt_at = NULL, updated_at = ?5
     WHERE org_id = ?1 AND id = ?2`,
  )
  const remove = db.query('DELETE FROM webhook_endpoints WHERE org_id = ? AND id = ?')
  const setSecrets = db.query(
    `UPDATE webhook_endpoints SET secret = ?3, previous_secret = ?4, previous_expires_at = ?5, updated_at = ?6
     WHERE org_id = ?1 AND id = ?2`,
  )
  const replay = db.query(
    `UPDATE webhook_endpoints SET cursor_event_id = ?3, inflight_until = NULL, attempt = 0, failing_since = NULL,
       next_attempt_at = NULL, last_error = NULL, updated_at = ?4
     WHERE org_id = ?1 AND id = ?2`,
  )
  const advance = db.query(
    `UPDATE webhook_endpoints SET cursor_event_id = ?3, inflight_until = NULL, attempt = 0, failing_since = NULL,
       next_attempt_at = NULL, last_error = NULL
     WHERE id = ?1 AND cursor_event_id = ?2`,
  )
  const pin = db.query(
    'UPDATE webhook_endpoints SET inflight_until = ?3 WHERE id = ?1 AND cursor_event_id = ?2 AND enabled = 1',
  )
  const fail = db.query(
    `UPDATE webhook_endpoints SET attempt = ?3, failing_since = ?4, next_attempt_at = ?5, last_error = ?6
     WHERE id = ?1 AND cursor_event_id = ?2 AND enabled = 1`,
  )
  const disable = db.query(
    `UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ?3, next_attempt_at = NULL, last_error = ?3, updated_at = ?4
     WHERE id = ?1 AND cursor_event_id = ?2 AND enabled = 1`,
  )
  const record = db.query(
    `INSERT INTO webhook_deliveries (org_id, endpoint_id, message_id, event_ids, attempt, status, response_status,
       response_body, duration_ms, error, at, next_attempt_at)
     VALUES ($org_id, $endpoint_id, $message_id, $event_ids, $attempt, $status, $response_status, $response_body,
       $duration_ms, $error, $at, $next_attempt_at)`,
  )
  const deliveries = db.query<DeliveryRow, [string, string, number, number]>(
    `SELECT * FROM webhook_deliveries WHERE org_id = ? AND endpoint_id = ? AND id < ? ORDER BY id DESC LIMIT ?`,
  )
  const pruneDeliveries = db.query(
    `DELETE FROM webhook_deliveries WHERE id IN (
       SELECT id FROM webhook_deliveries WHERE at < ?1 ORDER BY id LIMIT ?2)`,
  )

  return {
    create(hook: NewWebhook): void {
      const stored = sealWebhookSecret(
        secrets,
        (encrypted.get()?.n ?? 0) > 0,
        hook.orgId,
        hook.id,
        hook.secret,
      )
      insert.run(
        hook.id,
        hook.orgId,
        hook.url,
        hook.description,
        JSON.stringify(hook.eventTypes),
        hook.batch ? 1 : 0,
        stored,
        hook.cursor,
        hook.at,
      )
    },
    get: (orgId: string, id: string) => get.get(orgId, id),
    /** Oldest first; `after` is the id of the last endpoint of the previous page ('' for the first). */
    list: (orgId: string, after: string, limit: number) => page.all(orgId, after, limit),
    /** Enabled endpoints of every org whose next attempt is due, by id after `afterId` (keyset pages). */
    due: (now: number, afterId: string, limit: number) => due.all(now, afterId, limit),
    /** The endpoint as it is now, whatever its org (the sender re-reads it under its lease). */
    byId: (id: string) => byId.get(id),
    update(orgId: string, id: string, changes: WebhookChanges, at: number): boolean {
      const row = get.get(orgId, id)
      if (!row) return false
      update.run(
        orgId,
        id,
        changes.url ?? row.url,
        changes.description ?? row.description,
        changes.eventTypes ? JSON.stringify(changes.eventTypes) : row.event_types,
        changes.batch === undefined ? row.batch : changes.batch ? 1 : 0,
        at,
      )
      return true
    },
    /** Enabling resumes from the first undelivered event with a clean retry state. */
    setEnabled: (orgId: string, id: string, enabled: boolean, reason: string | null, at: number) =>
      setEnabled.run(orgId, id, enabled ? 1 : 0, enabled ? null : reason, at).changes > 0,
    remove: (orgId: string, id: string) => remove.run(orgId, id).changes > 0,
    /** A rotation: `secret` signs from now on, `previous` alongside it until `previousExpiresAt`. */
    rotateSecret(
      orgId: string,
      id: string,
      secret: string,
      previous: string,
      previousExpiresAt: number,
      at: number,
    ) {
      const sealed = (value: string) =>
        sealWebhookSecret(secrets, (encrypted.get()?.n ?? 0) > 0, orgId, id, value)
      return setSecrets.run(orgId, id, sealed(secret), sealed(previous), previousExpiresAt, at).changes > 0
    },
    /** The clear secrets that sign now, current first. */
    signingSecrets: (row: WebhookRow, now: number) => openWebhookSecrets(secrets, row, now),
    /** Moves the cursor (and clears the retry state) to `after`; every later event is sent again. */
    replay: (orgId: string, id: string, after: number, at: number) =>
      replay.run(orgId, id, after, at).changes > 0,
    /** The head was acknowledged (or filtered out): the cursor moves from `from` to `to`. */
    advance: (id: string, from: number, to: number) => advance.run(id, from, to).changes > 0,
    /** Pins the batch being sent from `cursor`, so that its retries send the same events. */
    pinBatch: (id: string, cursor: number, until: number) => pin.run(id, cursor, until).changes > 0,
    fail: (id: string, cursor: number, failure: WebhookFailure) =>
      fail.run(id, cursor, failure.attempt, failure.failingSince, failure.nextAttemptAt, failure.error)
        .changes > 0,
    /** The failure window ran out: the endpoint stops until an admin enables it again. */
    disable: (id: string, cursor: number, reason: string, at: number) =>
      disable.run(id, cursor, reason, at).changes > 0,
    /** Appends one attempt to the log; returns its id. */
    recordDelivery: (row: NewDelivery): number =>
      Number(record.run(row as unknown as Record<string, string | number | null>).lastInsertRowid),
    /** Newest first; `before` is an exclusive id cursor. */
    deliveries: (orgId: string, endpointId: string, before: number, limit: number) =>
      deliveries.all(orgId, endpointId, before, limit),
    /** Deletes up to `limit` log rows older than `before`; returns how many. */
    pruneDeliveries: (before: number, limit: number) => pruneDeliveries.run(before, limit).changes,
  }
}
