/**
 * Webhook endpoints and their delivery log on PostgreSQL: the twin of `../webhooks.ts`. The
 * delivery loop's writes are the same compare-and-set updates on `cursor_event_id`; under READ
 * COMMITTED a second instance's update waits for the first one's row lock and then re-checks the
 * condition against the committed row, so a stale sender changes nothing.
 */
import type { Repositories } from '../contract.ts'
import { type DeliveryRow, openWebhookSecrets, sealWebhookSecret, type WebhookRow } from '../webhooks.ts'
import { changed, first, type PgContext, rows } from './executor.ts'

type Row<T> = T & Record<string, unknown>

export function webhookRepository(ctx: PgContext): Repositories['webhooks'] {
  const { sql, secrets } = ctx
  const encrypted = async () =>
    (await first(sql`SELECT 1 AS one FROM store_meta WHERE key = 'secret_key_check'`)) !== null
  const get = (orgId: string, id: string) =>
    first<Row<WebhookRow>>(sql`SELECT * FROM webhook_endpoints WHERE org_id = ${orgId} AND id = ${id}`)

  return {
    async create(hook) {
      const stored = sealWebhookSecret(secrets, await encrypted(), hook.orgId, hook.id, hook.secret)
      await sql`
        INSERT INTO webhook_endpoints (id, org_id, url, description, event_types, batch, enabled, secret,
          cursor_event_id, created_at, updated_at)
        VALUES (${hook.id}, ${hook.orgId}, ${hook.url}, ${hook.description}, ${JSON.stringify(hook.eventTypes)},
          ${hook.batch ? 1 : 0}, 1, ${stored}, ${hook.cursor}, ${hook.at}, ${hook.at})`
    },
    get,
    list: (orgId, after, limit) =>
      rows<Row<WebhookRow>>(sql`
        SELECT * FROM webhook_endpoints WHERE org_id = ${orgId}
          AND (${after} = '' OR (created_at, id) > (
            SELECT created_at, id FROM webhook_endpoints WHERE org_id = ${orgId} AND id = ${after}))
        ORDER BY created_at, id LIMIT ${limit}`),
    due: (now, afterId, limit) =>
      rows<Row<WebhookRow>>(sql`
        SELECT * FROM webhook_endpoints
        WHERE enabled = 1 AND (next_attempt_at IS NULL OR next_attempt_at <= ${now}) AND id > ${afterId}
        ORDER BY id LIMIT ${limit}`),
    byId: (id) => first<Row<WebhookRow>>(sql`SELECT * FROM webhook_endpoints WHERE id = ${id}`),
    async update(orgId, id, changes, at) {
      const row = await get(orgId, id)
      if (!row) return false
      const batch = changes.batch === undefined ? row.batch : changes.batch ? 1 : 0
      const types = changes.eventTypes ? JSON.stringify(changes.eventTypes) : row.event_types
      await sql`
        UPDATE webhook_endpoints SET url = ${changes.url ?? row.url},
          description = ${changes.description ?? row.description},
          event_types = ${types},
          batch = ${batch},
          inflight_until = CASE WHEN batch = ${batch} AND event_types = ${types} THEN inflight_until ELSE NULL END,
          updated_at = ${at}
        WHERE org_id = ${orgId} AND id = ${id}`
      return true
    },
    setEnabled: async (orgId, id, enabled, reason, at) =>
      (await changed(sql`
        UPDATE webhook_endpoints SET enabled = ${enabled ? 1 : 0}, disabled_reason = ${enabled ? null : reason},
          attempt = 0, failing_since = NULL, next_attempt_at = NULL, updated_at = ${at}
        WHERE org_id = ${orgId} AND id = ${id}`)) > 0,
    remove: async (orgId, id) =>
      (await changed(sql`DELETE FROM webhook_endpoints WHERE org_id = ${orgId} AND id = ${id}`)) > 0,
    async rotateSecret(orgId, id, secret, previous, previousExpiresAt, at) {
      const isEncrypted = await encrypted()
      const seal = (value: string) => sealWebhookSecret(secrets, isEncrypted, orgId, id, value)
      return (
        (await changed(sql`
          UPDATE webhook_endpoints SET secret = ${seal(secret)}, previous_secret = ${seal(previous)},
            previous_expires_at = ${previousExpiresAt}, updated_at = ${at}
          WHERE org_id = ${orgId} AND id = ${id}`)) > 0
      )
    },
    signingSecrets: async (row, now) => openWebhookSecrets(secrets, row, now),
    replay: async (orgId, id, after, at) =>
      (await changed(sql`
        UPDATE webhook_endpoints SET cursor_event_id = ${after}, inflight_until = NULL, attempt = 0,
          failing_since = NULL, next_attempt_at = NULL, last_error = NULL, updated_at = ${at}
        WHERE org_id = ${orgId} AND id = ${id}`)) > 0,
    advance: async (id, from, to) =>
      (await changed(sql`
        UPDATE webhook_endpoints SET cursor_event_id = ${to}, inflight_until = NULL, attempt = 0,
          failing_since = NULL, next_attempt_at = NULL, last_error = NULL
        WHERE id = ${id} AND cursor_event_id = ${from}`)) > 0,
    pinBatch: async (id, cursor, until) =>
      (await changed(sql`
        UPDATE webhook_endpoints SET inflight_until = ${until}
        WHERE id = ${id} AND cursor_event_id = ${cursor} AND enabled = 1`)) > 0,
    fail: async (id, cursor, failure) =>
      (await changed(sql`
        UPDATE webhook_endpoints SET attempt = ${failure.attempt}, failing_since = ${failure.failingSince},
          next_attempt_at = ${failure.nextAttemptAt}, last_error = ${failure.error}
        WHERE id = ${id} AND cursor_event_id = ${cursor} AND enabled = 1`)) > 0,
    disable: async (id, cursor, reason, at) =>
      (await changed(sql`
        UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ${reason}, next_attempt_at = NULL,
          last_error = ${reason}, updated_at = ${at}
        WHERE id = ${id} AND cursor_event_id = ${cursor} AND enabled = 1`)) > 0,
    async recordDelivery(row) {
      const inserted = await first<{ id: number }>(sql`
        INSERT INTO webhook_deliveries (org_id, endpoint_id, message_id, event_ids, attempt, status,
          response_status, response_body, duration_ms, error, at, next_attempt_at)
        VALUES (${row.org_id}, ${row.endpoint_id}, ${row.message_id}, ${row.event_ids}, ${row.attempt},
          ${row.status}, ${row.response_status}, ${row.response_body}, ${row.duration_ms}, ${row.error},
          ${row.at}, ${row.next_attempt_at})
        RETURNING id`)
      return inserted?.id ?? 0
    },
    deliveries: (orgId, endpointId, before, limit) =>
      rows<Row<DeliveryRow>>(sql`
        SELECT * FROM webhook_deliveries WHERE org_id = ${orgId} AND endpoint_id = ${endpointId} AND id < ${before}
        ORDER BY id DESC LIMIT ${limit}`),
    pruneDeliveries: (before, limit) =>
      changed(sql`
        DELETE FROM webhook_deliveries WHERE id IN (
          SELECT id FROM webhook_deliveries WHERE at < ${before} ORDER BY id LIMIT ${limit})`),
  }
}
