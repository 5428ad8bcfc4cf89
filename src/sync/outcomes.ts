/**
 * What becomes of the scheduler's batches: a report per batch (to /metrics and `onBatch`), a
 * back-off per kind of work and org after a failure (with the error in `sync_state.last_error`),
 * and the progress log lines of long work. The batch runners (./runners.ts) call these; the plan
 * (./scheduler.ts) asks `ready` before it plans a kind of work for an org.
 */
import type { Logger } from '../observability/log.ts'
import type { Store } from '../store/index.ts'
import type { SyncMetrics } from './metrics.ts'
import { errorMessage } from './poison.ts'
import { syncStatus } from './status.ts'

export type BatchKind = 'feed' | 'reconcile' | 'removal'

export interface BatchReport {
  orgId: string
  kind: BatchKind
  items: number
  /** Wall time of the batch, including `gateWaitMs` (waiting for the HTTP thread to commit). */
  durationMs: number
  gateWaitMs: number
  /** For feed batches: when each applied change was written (lag = appliedAt − writtenAt). */
  appliedAt: number
  changeTimes?: number[]
}

export interface OutcomeDeps {
  store: Store
  log: Logger
  metrics: SyncMetrics | null
  now: () => number
  onBatch?: (report: BatchReport) => void
  progressLogMs: number
  /** "Catching up" is logged past ten feed batches of pending changes. */
  feedBatchSize: number
}

/** When a batch began: wall time and this connection's wait to write so far. */
export interface BatchStart {
  at: number
  waited: number
}

export function batchOutcomes(deps: OutcomeDeps) {
  const { store, log, metrics, now } = deps
  const waitedMs = () => store.pacing?.waitedMs() ?? 0
  const backoffUntil = new Map<string, { until: number; failures: number }>()
  const lastProgressLog = new Map<string, number>()

  return {
    begin: (): BatchStart => ({ at: performance.now(), waited: waitedMs() }),
    /** Time since `start` spent working, not waiting to write. */
    workMs: (start: BatchStart): number => performance.now() - start.at - (waitedMs() - start.waited),
    /** Whether `kind` of work of the org is out of its back-off at `at`. */
    ready: (kind: BatchKind, orgId: string, at: number): boolean =>
      (backoffUntil.get(`${kind}:${orgId}`)?.until ?? 0) <= at,

    /** Reports a batch that ran from `start`; a success ends the back-off of its kind and org. */
    record(kind: BatchKind, orgId: string, items: number, start: BatchStart, times?: number[]): void {
      const durationMs = performance.now() - start.at
      const gateWaitMs = waitedMs() - start.waited
      backoffUntil.delete(`${kind}:${orgId}`)
      metrics?.observeBatch(kind, items, durationMs)
      deps.onBatch?.({ orgId, kind, items, durationMs, gateWaitMs, appliedAt: now(), changeTimes: times })
    },

    /** Backs off one kind of work of one org (1 s, doubling, at most a minute) and records the error. */
    async failed(kind: BatchKind, orgId: string, error: unknown): Promise<void> {
      const key = `${kind}:${orgId}`
      const message = errorMessage(error)
      const previous = backoffUntil.get(key)?.failures ?? 0
      const delay = Math.min(60_000, 1000 * 2 ** previous)
      backoffUntil.set(key, { until: now() + delay, failures: previous + 1 })
      log.error('sync batch failed', { org: orgId, kind, error: message, retryInMs: delay })
      try {
        await store.transaction((tx) => tx.syncState.setError(orgId, `${kind}: ${message}`, now()))
      } catch {
        // The store itself is failing; the log line above is all we can do.
      }
    },

    /** Logs the org's removal, reconcile and catch-up progress, at most every `progressLogMs`. */
    async logProgress(orgId: string): Promise<void> {
      const at = now()
      if (at - (lastProgressLog.get(orgId) ?? 0) < deps.progressLogMs) return
      lastProgressLog.set(orgId, at)
      const [status, org] = await Promise.all([syncStatus(store, orgId, at), store.orgs.byId(orgId)])
      const slug = org?.slug ?? orgId
      if (status.removal?.running) log.info('sync removal progress', { org: slug, ...status.removal })
      if (status.fullReconcile.running) {
        log.info('sync full reconcile progress', {
          org: slug,
          processed: status.fullReconcile.processed,
          total: status.fullReconcile.total,
          etaSeconds: status.fullReconcile.etaSeconds,
        })
      }
      if (status.pendingChanges > 10 * deps.feedBatchSize) {
        log.info('sync catching up', {
          org: slug,
          pendingChanges: status.pendingChanges,
          lagSeconds: status.lagSeconds,
        })
      }
    },
  }
}

export type BatchOutcomes = ReturnType<typeof batchOutcomes>
