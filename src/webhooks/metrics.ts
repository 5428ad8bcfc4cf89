/**
 * The webhooks' scrape-time series: per-endpoint lag (age of the oldest undelivered event) and
 * whether the endpoint is enabled, labelled by endpoint id only (no org names: /metrics may be
 * reachable by more people than the org's admins). Request outcomes, request latency and the delay
 * from event to acknowledged delivery are recorded as they happen (src/observability/metrics.ts).
 */
import type { Registry } from '../observability/metrics.ts'
import type { Repositories } from '../store/index.ts'
import type { WebhookRow } from '../store/webhooks.ts'

/** Seconds since the oldest event after the endpoint's cursor was written; 0 when caught up. */
export async function endpointLagSeconds(store: Repositories, row: WebhookRow, now: number): Promise<number> {
  const [next] = await store.events.after(row.org_id, row.cursor_event_id, 1)
  return next ? Math.max(0, Math.round((now - next.at) / 100) / 10) : 0
}

/** Endpoints looked at per scrape, at most. */
const SCRAPE_LIMIT = 1000

export function registerWebhookMetrics(
  registry: Registry,
  store: Repositories,
  now: () => number = Date.now,
) {
  const lag = registry.gauge(
    'okta_bridge_webhook_lag_seconds',
    'Age of the oldest undelivered event, by endpoint',
  )
  const enabled = registry.gauge(
    'okta_bridge_webhook_enabled',
    '1 while an endpoint receives deliveries, by endpoint',
  )
  registry.onCollect(async () => {
    lag.reset()
    enabled.reset()
    const at = now()
    // `due` with an infinite horizon lists every enabled endpoint; a disabled one has no series.
    for (const row of await store.webhooks.due(Number.MAX_SAFE_INTEGER, '', SCRAPE_LIMIT)) {
      lag.set({ endpoint: row.id }, await endpointLagSeconds(store, row, at))
      enabled.set({ endpoint: row.id }, 1)
    }
  })
}
