/**
 * The delivery loop: pushes each org's change feed (`events`) to its webhook endpoints, per
 * endpoint in feed order, never skipping an event.
 *
 * - One sender per endpoint at a time, across every instance on the store: the sender holds the
 *   lease `webhook:<endpoint id>` (`store.leases`), renewed every 2 s with an acknowledged
 *   request. The lease outlives the request timeout, so a live holder never loses it mid-request.
 * - The endpoint's cursor moves only after a 2xx, in the same transaction as the delivery's log row
 *   and the lease renewal, and only from the position the sender read (compare-and-set): a crash
 *   at any moment leaves the cursor before the unacknowledged event, which is sent again with the
 *   same `webhook-id`; a replay or another holder in between makes the stale update change nothing.
 *   In single-event mode that transaction runs while the next event's request is on the wire (sent
 *   only after the previous 2xx), so a crash may send up to two events again.
 * - Anything but a 2xx keeps the event at the head: later events wait, the next try comes after a
 *   backoff with jitter (WEBHOOK_RETRY_MS, the last pause repeating), and once the head has failed
 *   for WEBHOOK_FAILURE_WINDOW the endpoint is disabled and audited. Enabling it again resumes from
 *   the first undelivered event.
 * - Events the endpoint's `eventTypes` leave out are stepped over (the cursor moves past them);
 *   nothing else is ever dropped. In batch mode the batch being retried is pinned
 *   (`inflight_until`), so a retry carries the same events under the same `webhook-id`.
 *
 * Started by `src/main.ts` next to the scheduler, on the main thread: it only waits on the network
 * and the store. Its writes are background transactions (`{ background: true }`): on SQLite they
 * wait their turn at the write gate instead of making the scheduler's batches give way.
 */
import { hostname } from 'node:os'
import type { Config } from '../config/index.ts'
import type { Logger } from '../observability/log.ts'
import type { Metrics } from '../observability/metrics.ts'
import type { EventRow } from '../store/events.ts'
import { newId } from '../store/ids.ts'
import type { Store } from '../store/index.ts'
import type { WebhookRow } from '../store/webhooks.ts'
import { registerWebhookMetrics } from './metrics.ts'
import { type AttemptResult, attempt, batchMessageId, eventMessageId, messageBody } from './sender.ts'

export type DeliveryConfig = Pick<
  Config,
  'allowPrivateOutbound' | 'webhookTimeoutMs' | 'webhookFailureWindowSeconds' | 'webhookRetryMs'
>

export interface DeliveryDeps {
  store: Store
  log: Logger
  metrics: Metrics
  config: DeliveryConfig
  /** Lease holder name; unique per process by default. */
  holder?: string
  /** Pause between looks for work when there was none. */
  pollMs?: number
  now?: () => number
}

export const MAX_BATCH = 500
/** Events read per page in single-event mode. */
const SINGLE_PAGE = 50
/** How long one endpoint is worked on before the loop looks at the others again. */
const SLICE_MS = 2000
/** Endpoints worked on at once (each is one request in flight at a time). */
const PARALLEL_ENDPOINTS = 8
const DUE_PAGE = 200
const DELIVERY_LOG_DAYS = 7
const PRUNE_EVERY_MS = 10 * 60 * 1000
/** The lease (request timeout + 10 s) is renewed after this long, with an acknowledged request. */
const RENEW_EVERY_MS = 2_000

/** At hundreds of acknowledgements a second, priority writes kept rolling the scheduler's batches back. */
const BACKGROUND = { background: true } as const

export const leaseName = (endpointId: string) => `webhook:${endpointId}`

/** The pause before retry number `attempt` (1 = the first retry), ±20% so endpoints do not beat together. */
export function retryDelay(schedule: number[], attemptNumber: number, random = Math.random): number {
  const base = schedule[Math.min(attemptNumber, schedule.length) - 1] ?? schedule.at(-1) ?? 5000
  return Math.max(1, Math.round(base * (0.8 + 0.4 * random())))
}

const typesOf = (row: WebhookRow): Set<string> | null => {
  const list = JSON.parse(row.event_types) as string[]
  return list.length === 0 ? null : new Set(list)
}

export interface WebhookDelivery {
  /** Looks for work now instead of at the next poll. */
  wake(): void
  stop(): Promise<void>
  /** One pass over every due endpoint (tests and the loop); resolves when it is done. */
  runOnce(): Promise<number>
}

export function startWebhookDelivery(deps: DeliveryDeps): WebhookDelivery {
  const delivery = createWebhookDelivery(deps)
  delivery.start()
  return delivery
}

export function createWebhookDelivery(deps: DeliveryDeps): WebhookDelivery & { start(): void } {
  const { store, log, metrics, config } = deps
  const now = deps.now ?? Date.now
  const holder = deps.holder ?? `${hostname()}:${process.pid}:${newId().slice(-8)}`
  // Outlives a request started just before a renewal was due; short, so that after a crash another
  // sender (or the restarted process) takes over soon.
  const leaseMs = config.webhookTimeoutMs + 10_000
  const windowMs = config.webhookFailureWindowSeconds * 1000
  const sender = {
    store,
    policy: { allowPrivate: config.allowPrivateOutbound },
    timeoutMs: config.webhookTimeoutMs,
    metrics,
    now,
  }
  // When this sender last took or renewed each endpoint's lease.
  const renewedAt = new Map<string, number>()
  let stopped = false
  let wakeUp: (() => void) | null = null
  let lastPrune = 0
  let loop: Promise<void> | null = null

  /** After a 2xx: cursor, log row and lease renewal commit together; false when the state moved. */
  const acknowledge = async (
    endpoint: WebhookRow,
    to: number,
    messageId: string,
    events: EventRow[],
    result: AttemptResult,
  ): Promise<boolean> => {
    const at = now()
    const moved = await store.transaction(async (tx) => {
      if (!(await tx.webhooks.advance(endpoint.id, endpoint.cursor_event_id, to))) return false
      await tx.webhooks.recordDelivery({
        org_id: endpoint.org_id,
        endpoint_id: endpoint.id,
        message_id: messageId,
        event_ids: JSON.stringify(events.map((event) => event.id)),
        attempt: endpoint.attempt + 1,
        status: 'delivered',
        response_status: result.responseStatus,
        response_body: result.responseBody,
        duration_ms: result.durationMs,
        error: null,
        at,
        next_attempt_at: null,
      })
      // Renewed well before it could expire, not on every request: a write less per event. The
      // cursor's compare-and-set, not the lease, is what keeps a stale sender from moving it.
      if (at - (renewedAt.get(endpoint.id) ?? 0) < RENEW_EVERY_MS) return true
      const renewed = await tx.leases.tryAcquire(leaseName(endpoint.id), holder, at, leaseMs)
      if (renewed) renewedAt.set(endpoint.id, at)
      return renewed
    }, BACKGROUND)
    if (moved)
      for (const event of events) metrics.webhookDeliveryDelay.observe({}, Math.max(0, at - event.at) / 1000)
    return moved
  }

  /** Not acknowledged: schedule the retry, or disable the endpoint once the window has run out. */
  const failed = async (
    endpoint: WebhookRow,
    messageId: string,
    events: EventRow[],
    result: AttemptResult,
  ) => {
    const at = now()
    const attemptNumber = endpoint.attempt + 1
    const failingSince = endpoint.failing_since ?? at
    const giveUp = at - failingSince >= windowMs
    const nextAttemptAt = giveUp ? null : at + retryDelay(config.webhookRetryMs, attemptNumber)
    const error = result.error ?? 'not acknowledged'
    const since = `${new Date(failingSince).toISOString().slice(0, 16).replace('T', ' ')} UTC`
    const reason = `failing since ${since} (last: ${error})`
    await store.transaction(async (tx) => {
      const changed = giveUp
        ? await tx.webhooks.disable(endpoint.id, endpoint.cursor_event_id, reason, at)
        : await tx.webhooks.fail(endpoint.id, endpoint.cursor_event_id, {
            attempt: attemptNumber,
            failingSince,
            nextAttemptAt: nextAttemptAt as number,
            error,
          })
      if (!changed) return
      await tx.webhooks.recordDelivery({
        org_id: endpoint.org_id,
        endpoint_id: endpoint.id,
        message_id: messageId,
        event_ids: JSON.stringify(events.map((event) => event.id)),
        attempt: attemptNumber,
        status: giveUp ? 'failed' : 'pending',
        response_status: result.responseStatus,
        response_body: result.responseBody,
        duration_ms: result.durationMs,
        error,
        at,
        next_attempt_at: nextAttemptAt,
      })
      if (giveUp) {
        await tx.audit.record(
          {
            orgId: endpoint.org_id,
            kind: 'admin',
            action: 'webhook.disabled',
            outcome: 'failure',
            actor: 'webhooks',
            subject: endpoint.id,
            reason,
            data: { url: endpoint.url, cursor: endpoint.cursor_event_id },
          },
          at,
        )
      }
    }, BACKGROUND)
    if (giveUp)
      log.warn('webhook endpoint disabled', { endpointId: endpoint.id, orgId: endpoint.org_id, reason })
  }

  /**
   * Sends what follows the cursor, one message at a time, until caught up, a failure, the state
   * moving under us, or the slice running out. Returns how many messages were acknowledged.
   */
  const drain = async (first: WebhookRow): Promise<number> => {
    const deadline = performance.now() + SLICE_MS
    let endpoint: WebhookRow | null = first
    let sent = 0
    while (endpoint && endpoint.enabled === 1 && !stopped && performance.now() < deadline) {
      if (endpoint.next_attempt_at !== null && endpoint.next_attempt_at > now()) break
      const batch = endpoint.batch === 1
      const types = typesOf(endpoint)
      const page = await store.events.after(
        endpoint.org_id,
        endpoint.cursor_event_id,
        batch ? MAX_BATCH : SINGLE_PAGE,
      )
      if (page.length === 0) break
      const wanted = (event: EventRow) => types === null || types.has(event.type)
      let current: WebhookRow = endpoint
      let moved = true
      if (batch) {
        const pinned = current.inflight_until
        const events = page.filter((event) => wanted(event) && (pinned === null || event.id <= pinned))
        const last = events.at(-1)
        if (!last || !events[0]) {
          // Only filtered events (or a pin past what is left): step over them.
          const to = pinned ?? (page.at(-1) as EventRow).id
          moved = await store.transaction(
            (tx) => tx.webhooks.advance(current.id, current.cursor_event_id, to),
            BACKGROUND,
          )
        } else {
          if (pinned === null) {
            await store.transaction(
              (tx) => tx.webhooks.pinBatch(current.id, current.cursor_event_id, last.id),
              BACKGROUND,
            )
          }
          const messageId = batchMessageId(current.id, events[0].id, last.id)
          const result = await attempt(sender, current, messageId, messageBody(events, true))
          if (!result.ok) {
            await failed(current, messageId, events, result)
            break
          }
          moved = await acknowledge(current, last.id, messageId, events, result)
          if (moved) sent++
        }
      } else {
        // Opened once per page (a rotation's second secret shows from the next page on).
        const secrets = await store.webhooks.signingSecrets(current, now())
        // The previous event's acknowledgement, committed while the next request is on the wire:
        // the next event goes out only after the previous one's 2xx (feed order), and at most one
        // acknowledged event is not yet in the cursor (after a crash it is sent again, same id).
        let unrecorded: (() => Promise<boolean>) | null = null
        for (const event of page) {
          if (stopped || performance.now() >= deadline) break
          if (!wanted(event)) continue
          const messageId = eventMessageId(current.id, event.id)
          const sending = attempt(sender, current, messageId, messageBody([event], false), secrets)
          if (unrecorded) {
            const recorded = await unrecorded()
            unrecorded = null
            if (!recorded) {
              await sending
              moved = false
              break
            }
          }
          const result = await sending
          if (!result.ok) {
            await failed(current, messageId, [event], result)
            moved = false
            break
          }
          const before = current
          unrecorded = () => acknowledge(before, event.id, messageId, [event], result)
          sent++
          current = {
            ...current,
            cursor_event_id: event.id,
            attempt: 0,
            failing_since: null,
            next_attempt_at: null,
          }
        }
        if (unrecorded && !(await unrecorded())) moved = false
        const last = page.at(-1) as EventRow
        // The rest of the page was filtered out: step over it.
        if (
          moved &&
          current.cursor_event_id < last.id &&
          !page.some((e) => e.id > current.cursor_event_id && wanted(e))
        ) {
          moved = await store.transaction(
            (tx) => tx.webhooks.advance(current.id, current.cursor_event_id, last.id),
            BACKGROUND,
          )
        }
      }
      if (!moved) break
      endpoint = await store.webhooks.byId(endpoint.id)
    }
    return sent
  }

  /** Works on one endpoint if it has something to send and no other sender holds it. */
  const serve = async (endpoint: WebhookRow): Promise<number> => {
    const name = leaseName(endpoint.id)
    const takenAt = now()
    if (!(await store.leases.tryAcquire(name, holder, takenAt, leaseMs))) return 0
    renewedAt.set(endpoint.id, takenAt)
    try {
      // Read again under the lease: the previous holder may have moved the cursor since.
      const fresh = await store.webhooks.byId(endpoint.id)
      return fresh ? await drain(fresh) : 0
    } finally {
      renewedAt.delete(endpoint.id)
      await store.leases.release(name, holder).catch(() => false)
    }
  }

  const runOnce = async (): Promise<number> => {
    let sent = 0
    // One look at each org's newest event per pass: an endpoint at or past it has nothing to send.
    const newest = new Map<string, Promise<number>>()
    const newestOf = (orgId: string) => {
      const known = newest.get(orgId)
      if (known) return known
      const id = store.events.lastId(orgId)
      newest.set(orgId, id)
      return id
    }
    let after = ''
    while (!stopped) {
      const due = await store.webhooks.due(now(), after, DUE_PAGE)
      let index = 0
      const worker = async () => {
        while (index < due.length && !stopped) {
          const endpoint = due[index++] as WebhookRow
          try {
            if ((await newestOf(endpoint.org_id)) > endpoint.cursor_event_id) sent += await serve(endpoint)
          } catch (error) {
            log.error('webhook delivery failed', {
              endpointId: endpoint.id,
              error: error instanceof Error ? error.message : String(error),
            })
          }
        }
      }
      await Promise.all(Array.from({ length: Math.min(PARALLEL_ENDPOINTS, due.length) }, worker))
      if (due.length < DUE_PAGE) break
      after = (due.at(-1) as WebhookRow).id
    }
    if (now() - lastPrune > PRUNE_EVERY_MS) {
      lastPrune = now()
      await store.webhooks.pruneDeliveries(now() - DELIVERY_LOG_DAYS * 86_400_000, 10_000)
    }
    return sent
  }

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms)
      wakeUp = () => {
        clearTimeout(timer)
        resolve()
      }
    }).finally(() => {
      wakeUp = null
    })

  const run = async () => {
    while (!stopped) {
      let sent = 0
      try {
        sent = await runOnce()
      } catch (error) {
        log.error('webhook delivery loop', { error: error instanceof Error ? error.message : String(error) })
      }
      if (!stopped && sent === 0) await sleep(deps.pollMs ?? 100)
    }
  }

  return {
    start() {
      registerWebhookMetrics(metrics.registry, store, now)
      loop ??= run()
    },
    wake: () => wakeUp?.(),
    runOnce,
    async stop() {
      stopped = true
      wakeUp?.()
      await loop
    },
  }
}
