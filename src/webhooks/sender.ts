/**
 * One webhook request: the body (one event as `/events` shows it, or `{"events": [...]}` in batch
 * mode), its stable `webhook-id`, the Standard Webhooks signature under every active secret, the
 * POST through the outbound guard (`src/outbound/fetch.ts`: SSRF checks, no redirects, timeout,
 * at most 1 KB of the answer kept), and what came of it. The delivery loop and `…/test` both use it.
 */
import type { Metrics } from '../observability/metrics.ts'
import { type OutboundPolicy, OutboundRefused, outboundPost } from '../outbound/fetch.ts'
import type { EventRow } from '../store/events.ts'
import type { Repositories } from '../store/index.ts'
import type { WebhookRow } from '../store/webhooks.ts'
import { type FeedEvent, feedEvent } from '../sync/events.ts'
import { webhookHeaders } from './signing.ts'

/** What the sender needs from the composition root. */
export interface SenderDeps {
  store: Repositories
  policy: OutboundPolicy
  timeoutMs: number
  metrics: Pick<Metrics, 'webhookDeliveries' | 'webhookRequestDuration'>
  now?: () => number
}

/** Bytes of an answer kept in the delivery log. */
export const MAX_LOGGED_BODY = 1024

export type AttemptOutcome = 'delivered' | 'http_error' | 'timeout' | 'network_error' | 'refused'

export interface AttemptResult {
  ok: boolean
  outcome: AttemptOutcome
  responseStatus: number | null
  responseBody: string | null
  durationMs: number
  error: string | null
}

const compact = (endpointId: string) => endpointId.replace(/-/g, '')

/** `webhook-id` of one event for one endpoint: every retry and redelivery repeats it. */
export function eventMessageId(endpointId: string, eventId: number): string {
  return `msg_${compact(endpointId)}_${eventId}`
}

/** `webhook-id` of a batch: its first and last event, pinned while it is retried. */
export function batchMessageId(endpointId: string, firstId: number, lastId: number): string {
  return `msg_${compact(endpointId)}_${firstId}-${lastId}`
}

export function messageBody(events: EventRow[], batch: boolean): string {
  const shown = events.map(feedEvent)
  return JSON.stringify(batch ? { events: shown } : (shown[0] as FeedEvent))
}

/** One signed POST of `body` to the endpoint; never throws for what the receiver or network did. */
export async function attempt(
  deps: SenderDeps,
  endpoint: WebhookRow,
  messageId: string,
  body: string,
  /** The endpoint's active secrets when the caller opened them already (one page of events). */
  opened?: string[],
): Promise<AttemptResult> {
  const now = deps.now ?? Date.now
  const secrets = opened ?? (await deps.store.webhooks.signingSecrets(endpoint, now()))
  const headers = webhookHeaders(secrets, messageId, Math.floor(now() / 1000), body)
  const started = performance.now()
  const result = await outboundPost(
    endpoint.url,
    { headers, body, timeoutMs: deps.timeoutMs, maxBodyBytes: MAX_LOGGED_BODY },
    deps.policy,
  ).then(
    (answer): AttemptResult => {
      const ok = answer.status >= 200 && answer.status < 300
      return {
        ok,
        outcome: ok ? 'delivered' : 'http_error',
        responseStatus: answer.status,
        responseBody: answer.body,
        durationMs: 0,
        error: ok
          ? null
          : answer.status >= 300 && answer.status < 400
            ? `answered ${answer.status} (redirects are not followed)`
            : `answered ${answer.status}`,
      }
    },
    (error: unknown): AttemptResult => {
      const name = error instanceof Error ? error.name : ''
      const outcome: AttemptOutcome =
        error instanceof OutboundRefused
          ? 'refused'
          : name === 'TimeoutError' || name === 'AbortError'
            ? 'timeout'
            : 'network_error'
      const message =
        outcome === 'timeout'
          ? `no answer within ${deps.timeoutMs} ms`
          : error instanceof Error
            ? error.message
            : String(error)
      return { ok: false, outcome, responseStatus: null, responseBody: null, durationMs: 0, error: message }
    },
  )
  const seconds = (performance.now() - started) / 1000
  result.durationMs = Math.round(seconds * 1000)
  if (result.error !== null && result.error.length > MAX_LOGGED_BODY)
    result.error = `${result.error.slice(0, MAX_LOGGED_BODY)}…`
  deps.metrics.webhookDeliveries.inc({ outcome: result.outcome })
  if (result.outcome !== 'refused') deps.metrics.webhookRequestDuration.observe({}, seconds)
  return result
}
