/**
 * Webhook endpoints as the admin API and the console use them: create (the `whsec_` secret shown
 * in that answer only), list, get (with the delivery cursor, lag and failure state), patch, delete,
 * rotate the secret (the old one keeps signing for 24 h), send a test event, replay from an event,
 * and the delivery log. Plain typed values in and out; every change is audited; every lookup is by
 * org and id, so one org never reaches another's endpoints.
 */
import { invalid, notFound, ServiceError } from '../errors.ts'
import type { Metrics } from '../observability/metrics.ts'
import type { Org } from '../orgs/service.ts'
import { checkOutboundUrl, type OutboundPolicy, OutboundRefused } from '../outbound/fetch.ts'
import { newId } from '../store/ids.ts'
import type { Repositories, StoreTx } from '../store/index.ts'
import type { DeliveryRow, WebhookRow } from '../store/webhooks.ts'
import { endpointLagSeconds } from './metrics.ts'
import {
  type CreatedWebhook,
  type Delivery,
  type DeliveryList,
  EVENT_TYPES,
  type NewWebhookInput,
  TEST_EVENT_TYPE,
  type Webhook,
  type WebhookList,
  type WebhookPatch,
} from './model.ts'
import { attempt, type SenderDeps } from './sender.ts'
import { newWebhookSecret } from './signing.ts'

/** How long the previous secret keeps signing after a rotation. */
export const PREVIOUS_SECRET_HOURS = 24

/** What the service needs besides the store: the outbound policy and, for tests, a clock. */
export interface WebhookOptions {
  policy: OutboundPolicy
  actor: string
  now?: number
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

async function toWebhook(store: Repositories, row: WebhookRow, now: number): Promise<Webhook> {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    eventTypes: JSON.parse(row.event_types) as string[],
    batch: row.batch === 1,
    enabled: row.enabled === 1,
    createdAt: new Date(row.created_at).toISOString(),
    cursor: row.cursor_event_id,
    lagSeconds: await endpointLagSeconds(store, row, now),
    failingSince: iso(row.failing_since),
    attempt: row.attempt,
    nextAttemptAt: iso(row.next_attempt_at),
    lastError: row.last_error,
    disabledReason: row.enabled === 1 ? null : row.disabled_reason,
  }
}

function toDelivery(row: DeliveryRow): Delivery {
  return {
    id: String(row.id),
    eventIds: JSON.parse(row.event_ids) as number[],
    messageId: row.message_id,
    attempt: row.attempt,
    status: row.status as Delivery['status'],
    responseStatus: row.response_status,
    responseBody: row.response_body,
    durationMs: row.duration_ms,
    at: new Date(row.at).toISOString(),
    nextAttemptAt: iso(row.next_attempt_at),
    error: row.error,
  }
}

async function checkedUrl(raw: string, policy: OutboundPolicy): Promise<string> {
  try {
    return (await checkOutboundUrl(raw.trim(), policy)).toString()
  } catch (error) {
    if (error instanceof OutboundRefused) throw invalid('url', `url is refused: ${error.message}`)
    throw error
  }
}

function checkedTypes(types: string[] | undefined): string[] {
  const list = [...new Set(types ?? [])]
  const unknown = list.find((type) => !(EVENT_TYPES as readonly string[]).includes(type))
  if (unknown !== undefined) {
    throw invalid('eventTypes', `"${unknown}" is not an event type; use any of ${EVENT_TYPES.join(', ')}`)
  }
  return list
}

async function endpointOf(store: Repositories, org: Org, id: string): Promise<WebhookRow> {
  const row = await store.webhooks.get(org.id, id)
  if (!row) throw notFound('Webhook')
  return row
}

async function audit(
  store: StoreTx,
  org: Org,
  action: string,
  actor: string,
  subject: string,
  data: Record<string, unknown>,
) {
  await store.audit.record({ orgId: org.id, kind: 'admin', action, outcome: 'success', actor, subject, data })
}

export async function createWebhook(
  store: StoreTx,
  org: Org,
  input: NewWebhookInput,
  options: WebhookOptions,
): Promise<CreatedWebhook> {
  const url = await checkedUrl(input.url, options.policy)
  const eventTypes = checkedTypes(input.eventTypes)
  const now = options.now ?? Date.now()
  const id = newId()
  const secret = newWebhookSecret()
  const row = await store.transaction(async (tx) => {
    // Starts at the present: a new endpoint gets what happens from now on (replay sends history).
    const cursor = await tx.events.lastId(org.id)
    const description = input.description ?? ''
    await tx.webhooks.create({
      id,
      orgId: org.id,
      url,
      description,
      eventTypes,
      batch: input.batch ?? false,
      secret,
      cursor,
      at: now,
    })
    await tx.audit.record({
      orgId: org.id,
      kind: 'admin',
      action: 'webhook.created',
      outcome: 'success',
      actor: options.actor,
      subject: id,
      data: { url, eventTypes, batch: input.batch ?? false },
    })
    return tx.webhooks.get(org.id, id)
  })
  if (!row) throw new ServiceError(500, 'INTERNAL', 'the webhook was not stored')
  return { ...(await toWebhook(store, row, now)), secret }
}

export async function listWebhooks(
  store: StoreTx,
  org: Org,
  query: { limit?: number; cursor?: string } = {},
  now = Date.now(),
): Promise<WebhookList> {
  const limit = query.limit ?? 100
  const rows = await store.webhooks.list(org.id, query.cursor ?? '', limit + 1)
  const items = await Promise.all(rows.slice(0, limit).map((row) => toWebhook(store, row, now)))
  return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null }
}

export async function getWebhook(store: StoreTx, org: Org, id: string, now = Date.now()): Promise<Webhook> {
  return toWebhook(store, await endpointOf(store, org, id), now)
}

export async function patchWebhook(
  store: StoreTx,
  org: Org,
  id: string,
  patch: WebhookPatch,
  options: WebhookOptions,
): Promise<Webhook> {
  const before = await endpointOf(store, org, id)
  const now = options.now ?? Date.now()
  const url = patch.url === undefined ? undefined : await checkedUrl(patch.url, options.policy)
  const eventTypes = patch.eventTypes === undefined ? undefined : checkedTypes(patch.eventTypes)
  await store.transaction(async (tx) => {
    await tx.webhooks.update(
      org.id,
      id,
      { url, eventTypes, batch: patch.batch, description: patch.description },
      now,
    )
    if (patch.enabled !== undefined && patch.enabled !== (before.enabled === 1)) {
      await tx.webhooks.setEnabled(
        org.id,
        id,
        patch.enabled,
        patch.enabled ? null : `disabled by ${options.actor}`,
        now,
      )
    }
    const { description: _, ...shown } = patch
    await tx.audit.record({
      orgId: org.id,
      kind: 'admin',
      action: 'webhook.updated',
      outcome: 'success',
      actor: options.actor,
      subject: id,
      data: { ...shown, ...(url ? { url } : {}) },
    })
  })
  return getWebhook(store, org, id, now)
}

export async function deleteWebhook(store: StoreTx, org: Org, id: string, actor: string): Promise<void> {
  const row = await endpointOf(store, org, id)
  await store.transaction(async (tx) => {
    await tx.webhooks.remove(org.id, id)
    await tx.audit.record({
      orgId: org.id,
      kind: 'admin',
      action: 'webhook.deleted',
      outcome: 'success',
      actor,
      subject: id,
      data: { url: row.url },
    })
  })
}

/** A new secret, shown in this answer only; the current one keeps signing beside it for 24 h. */
export async function rotateWebhookSecret(
  store: StoreTx,
  org: Org,
  id: string,
  options: Omit<WebhookOptions, 'policy'>,
): Promise<CreatedWebhook> {
  const row = await endpointOf(store, org, id)
  const now = options.now ?? Date.now()
  const [current] = await store.webhooks.signingSecrets(row, now)
  const secret = newWebhookSecret()
  const until = now + PREVIOUS_SECRET_HOURS * 3_600_000
  await store.webhooks.rotateSecret(org.id, id, secret, current as string, until, now)
  await audit(store, org, 'webhook.secret_rotated', options.actor, id, { previousSignsUntil: iso(until) })
  return { ...(await getWebhook(store, org, id, now)), secret }
}

/** Sends every event after `afterEventId` again, in order, from the next delivery on. */
export async function replayWebhook(
  store: StoreTx,
  org: Org,
  id: string,
  afterEventId: number,
  options: Omit<WebhookOptions, 'policy'>,
): Promise<Webhook> {
  await endpointOf(store, org, id)
  const now = options.now ?? Date.now()
  await store.webhooks.replay(org.id, id, afterEventId, now)
  await audit(store, org, 'webhook.replayed', options.actor, id, { afterEventId })
  return getWebhook(store, org, id, now)
}

/**
 * Sends one `webhook.test` event now, outside the feed (it never moves the cursor), and answers
 * with its log row. A refused destination is a delivery that failed, not a bad request.
 */
export async function testWebhook(
  deps: Omit<SenderDeps, 'metrics'> & { metrics: Metrics },
  org: Org,
  id: string,
): Promise<Delivery> {
  const { store } = deps
  const row = await endpointOf(store, org, id)
  const now = (deps.now ?? Date.now)()
  const messageId = `msg_test_${newId().replace(/-/g, '')}`
  const body = JSON.stringify({
    id: 0,
    type: TEST_EVENT_TYPE,
    at: new Date(now).toISOString(),
    data: { webhookId: row.id, org: org.slug },
  })
  const result = await attempt(deps, row, messageId, body)
  const logged: Omit<DeliveryRow, 'id'> = {
    org_id: org.id,
    endpoint_id: row.id,
    message_id: messageId,
    event_ids: '[]',
    attempt: 1,
    status: result.ok ? 'delivered' : 'failed',
    response_status: result.responseStatus,
    response_body: result.responseBody,
    duration_ms: result.durationMs,
    error: result.error,
    at: now,
    next_attempt_at: null,
  }
  return toDelivery({ ...logged, id: await store.webhooks.recordDelivery(logged) })
}

export async function listDeliveries(
  store: StoreTx,
  org: Org,
  id: string,
  query: { limit?: number; cursor?: string },
): Promise<DeliveryList> {
  await endpointOf(store, org, id)
  const cursor = query.cursor ?? ''
  if (cursor !== '' && !/^\d{1,15}$/.test(cursor)) {
    throw invalid('cursor', 'cursor must be the nextCursor of a previous answer')
  }
  const limit = query.limit ?? 100
  const before = cursor === '' ? Number.MAX_SAFE_INTEGER : Number(cursor)
  const rows = await store.webhooks.deliveries(org.id, id, before, limit + 1)
  const items = rows.slice(0, limit).map(toDelivery)
  return { items, nextCursor: rows.length > limit ? (items.at(-1)?.id ?? null) : null }
}
