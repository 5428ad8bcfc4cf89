/**
 * The scheduler's Prometheus series: per-org lag, pending changes, full reconcile progress and
 * removal progress (computed from the store at scrape time, the same numbers as `GET …/sync`), and
 * per-kind batch counts and last batch duration (recorded as batches run).
 */
import type { Registry } from '../observability/metrics.ts'
import type { Store } from '../store/index.ts'
import { syncStatus } from './status.ts'

export function registerSyncMetrics(registry: Registry, store: Store) {
  const lag = registry.gauge(
    'okta_bridge_sync_lag_seconds',
    'Age of the oldest unapplied directory change, by org',
  )
  const pending = registry.gauge('okta_bridge_sync_pending_changes', 'Unapplied directory changes, by org')
  const reconcileRunning = registry.gauge(
    'okta_bridge_sync_reconcile_running',
    '1 while a full reconcile runs',
  )
  const reconcileProcessed = registry.gauge(
    'okta_bridge_sync_reconcile_processed',
    'Items processed by the running (or last) full reconcile',
  )
  const reconcileTotal = registry.gauge('okta_bridge_sync_reconcile_total', 'Items the full reconcile walks')
  const lastReconcile = registry.gauge(
    'okta_bridge_sync_last_full_reconcile_timestamp_seconds',
    'When the last full reconcile finished',
  )
  const removalRemaining = registry.gauge(
    'okta_bridge_sync_removal_remaining',
    'Users an integration removal still has to delete',
  )
  const lastBatch = registry.gauge(
    'okta_bridge_sync_last_batch_seconds',
    'Duration of the last batch, by kind',
  )
  const batches = registry.counter('okta_bridge_sync_batches_total', 'Batches run, by kind')
  const items = registry.counter(
    'okta_bridge_sync_items_total',
    'Changes applied / items reconciled / users removed',
  )

  registry.onCollect(async () => {
    const at = Date.now()
    const rows = await Promise.all(
      (await store.syncState.all()).map(async (state) => {
        const [org, status] = await Promise.all([
          store.orgs.byId(state.org_id),
          syncStatus(store, state.org_id, at),
        ])
        return { state, org, status }
      }),
    )
    // Reset and set in one synchronous step, so two scrapes at once never mix their numbers.
    for (const gauge of [lag, pending, reconcileRunning, reconcileProcessed, reconcileTotal, lastReconcile]) {
      gauge.reset()
    }
    removalRemaining.reset()
    for (const { state, org, status } of rows) {
      if (!org) continue
      const labels = { org: org.slug }
      lag.set(labels, status.lagSeconds)
      pending.set(labels, status.pendingChanges)
      reconcileRunning.set(labels, status.fullReconcile.running ? 1 : 0)
      reconcileProcessed.set(labels, status.fullReconcile.processed)
      reconcileTotal.set(labels, status.fullReconcile.total)
      if (state.last_full_reconcile_at) lastReconcile.set(labels, state.last_full_reconcile_at / 1000)
      if (status.removal)
        removalRemaining.set(labels, Math.max(0, status.removal.total - status.removal.deleted))
    }
  })

  return {
    observeBatch(kind: string, count: number, durationMs: number): void {
      lastBatch.set({ kind }, durationMs / 1000)
      batches.inc({ kind })
      items.inc({ kind }, count)
    },
  }
}

export type SyncMetrics = ReturnType<typeof registerSyncMetrics>
