/**
 * The sync scheduler: one loop per process that, for every org with work, runs bounded batches —
 * removal first, then the change feed, then the full reconcile — each one short transaction under
 * the org's lease, yielding to the event loop between batches so SCIM requests keep their latency.
 * Idle, it sleeps `syncIntervalMs`. It starts a full reconcile for every org with an integration at
 * least once per `fullReconcileIntervalMs`.
 *
 * `drain()` runs the same batches synchronously until nothing is left (tests, the CLI), `start()`
 * and `stop()` drive the background loop; `stop()` returns after the current batch and releases
 * the leases, so the store can close right after.
 */
import { hostname } from 'node:os'
import type { Config } from '../config/index.ts'
import type { Logger } from '../observability/log.ts'
import type { Metrics } from '../observability/metrics.ts'
import { newId } from '../store/ids.ts'
import type { Store } from '../store/index.ts'
import type { OrgWork } from '../store/sync.ts'
import { applyFeedBatch, skipPoisonChange } from './feed.ts'
import { registerSyncMetrics, type SyncMetrics } from './metrics.ts'
import { reconcileBatch, startFullReconcile } from './reconcile.ts'
import { removalBatch } from './removal.ts'
import { syncStatus } from './status.ts'

export interface SchedulerDeps {
  store: Store
  log: Logger
  metrics?: Metrics
  config: Pick<Config, 'syncIntervalMs' | 'fullReconcileIntervalMs'>
}

export interface BatchReport {
  orgId: string
  kind: 'feed' | 'reconcile' | 'removal'
  items: number
  durationMs: number
  /** For feed batches: when each applied change was written (lag = appliedAt − writtenAt). */
  appliedAt: number
  changeTimes?: number[]
}

export interface SchedulerOptions {
  /** Lease holder name; unique per process by default. */
  holder?: string
  feedBatchSize?: number
  reconcileBatchSize?: number
  /** A reconcile batch stops early after this many milliseconds. */
  reconcileBudgetMs?: number
  removalBatchSize?: number
  leaseMs?: number
  progressLogMs?: number
  now?: () => number
  onBatch?: (report: BatchReport) => void
}

type Batch = () => number

const isBusy = (error: unknown) =>
  /SQLITE_BUSY|database is locked/i.test(String((error as Error)?.message ?? error))

export function createScheduler(deps: SchedulerDeps, options: SchedulerOptions = {}) {
  const { store, log, config } = deps
  const holder = options.holder ?? `${hostname()}:${process.pid}:${newId().slice(0, 8)}`
  const now = options.now ?? Date.now
  const feedBatchSize = options.feedBatchSize ?? 500
  const reconcileBatchSize = options.reconcileBatchSize ?? 500
  const reconcileBudgetMs = options.reconcileBudgetMs ?? 15
  const removalBatchSize = options.removalBatchSize ?? 500
  const leaseMs = options.leaseMs ?? 5_000
  const progressLogMs = options.progressLogMs ?? 10_000
  const metrics: SyncMetrics | null = deps.metrics ? registerSyncMetrics(deps.metrics.registry, store) : null
  const backoffUntil = new Map<string, { until: number; failures: number }>()
  const lastProgressLog = new Map<string, number>()
  const heldOrgs = new Set<string>()
  let running = false
  let loop: Promise<void> | null = null
  let wake: (() => void) | null = null

  function record(
    kind: BatchReport['kind'],
    orgId: string,
    items: number,
    started: number,
    times?: number[],
  ) {
    const durationMs = performance.now() - started
    backoffUntil.delete(`${kind}:${orgId}`)
    metrics?.observeBatch(kind, items, durationMs)
    options.onBatch?.({ orgId, kind, items, durationMs, appliedAt: now(), changeTimes: times })
  }

  /** Backs off one kind of work of one org (`kind:orgId`) and records the error. */
  function failed(key: string, kind: string, error: unknown): void {
    const orgId = key.slice(key.indexOf(':') + 1)
    const message = error instanceof Error ? error.message : String(error)
    const previous = backoffUntil.get(key)?.failures ?? 0
    const delay = Math.min(60_000, 1000 * 2 ** previous)
    backoffUntil.set(key, { until: now() + delay, failures: previous + 1 })
    log.error('sync batch failed', { org: orgId, kind, error: message, retryInMs: delay })
    try {
      store.transaction(() => store.syncState.setError(orgId, `${kind}: ${message}`, now()))
    } catch {
      // The store itself is failing; the log line above is all we can do.
    }
  }

  function logProgress(orgId: string): void {
    const at = now()
    if (at - (lastProgressLog.get(orgId) ?? 0) < progressLogMs) return
    lastProgressLog.set(orgId, at)
    const status = syncStatus(store, orgId, at)
    const slug = store.orgs.byId(orgId)?.slug ?? orgId
    if (status.removal?.running) log.info('sync removal progress', { org: slug, ...status.removal })
    if (status.fullReconcile.running) {
      log.info('sync full reconcile progress', {
        org: slug,
        processed: status.fullReconcile.processed,
        total: status.fullReconcile.total,
        etaSeconds: status.fullReconcile.etaSeconds,
      })
    }
    if (status.pendingChanges > 10 * feedBatchSize) {
      log.info('sync catching up', {
        org: slug,
        pendingChanges: status.pendingChanges,
        lagSeconds: status.lagSeconds,
      })
    }
  }

  function feed(orgId: string): number {
    const started = performance.now()
    const batch = (limit: number) => applyFeedBatch(store, orgId, { holder, leaseMs, limit, now: now() })
    try {
      let result: ReturnType<typeof applyFeedBatch>
      try {
        result = batch(feedBatchSize)
      } catch (error) {
        if (isBusy(error)) throw error
        // Narrow down to the one change that fails and skip it (see skipPoisonChange).
        try {
          result = batch(1)
        } catch (again) {
          if (isBusy(again)) throw again
          const reason = again instanceof Error ? again.message : String(again)
          const seq = skipPoisonChange(store, orgId, reason, now())
          log.error('sync change skipped', { org: orgId, seq, error: reason })
          return 1
        }
      }
      if (result.leaseHeld) heldOrgs.add(orgId)
      if (result.applied > 0) record('feed', orgId, result.applied, started, result.changeTimes)
      let applied = result.applied
      // Behind a backlog, keep applying (still one short transaction per batch) for a time slice
      // that grows with the lag: 10 ms + 20 ms per second of lag, at most 60 ms before yielding.
      // On one thread this is what keeps the lag bounded while SCIM writes keep arriving.
      while (result.applied === feedBatchSize && result.oldestAt !== null) {
        const lagSeconds = (now() - result.oldestAt) / 1000
        if (performance.now() - started > Math.min(60, 10 + 20 * lagSeconds)) break
        const next = performance.now()
        result = batch(feedBatchSize)
        if (result.applied > 0) record('feed', orgId, result.applied, next, result.changeTimes)
        applied += result.applied
      }
      return applied
    } catch (error) {
      failed(`feed:${orgId}`, 'feed', error)
      return 0
    }
  }

  function reconcile(orgId: string): number {
    const started = performance.now()
    const batch = (limit: number, skipOne?: string) =>
      reconcileBatch(store, orgId, {
        holder,
        leaseMs,
        limit,
        budgetMs: reconcileBudgetMs,
        now: now(),
        skipOne,
      })
    try {
      let result: ReturnType<typeof reconcileBatch>
      try {
        result = batch(reconcileBatchSize)
      } catch (error) {
        if (isBusy(error)) throw error
        // Narrow down to the one failing item, then step over it (the reason is recorded).
        try {
          result = batch(1)
        } catch (again) {
          if (isBusy(again)) throw again
          const reason = again instanceof Error ? again.message : String(again)
          log.error('sync full reconcile skipped an item', { org: orgId, error: reason })
          result = batch(1, reason)
        }
      }
      if (result.leaseHeld) heldOrgs.add(orgId)
      if (result.processed > 0 || result.finished) record('reconcile', orgId, result.processed, started)
      if (result.finished) {
        const state = store.syncState.get(orgId)
        log.info('sync full reconcile finished', {
          org: store.orgs.byId(orgId)?.slug ?? orgId,
          processed: state?.reconcile_processed ?? 0,
          durationMs: (state?.reconcile_finished_at ?? 0) - (state?.reconcile_started_at ?? 0),
        })
      }
      return result.processed + (result.finished ? 1 : 0)
    } catch (error) {
      failed(`reconcile:${orgId}`, 'reconcile', error)
      return 0
    }
  }

  function removal(orgId: string): number {
    const started = performance.now()
    try {
      const result = removalBatch(store, orgId, { holder, leaseMs, limit: removalBatchSize, now: now() })
      if (result.leaseHeld) heldOrgs.add(orgId)
      record('removal', orgId, result.deleted, started)
      if (result.finished) log.info('sync removal finished', { org: store.orgs.byId(orgId)?.slug ?? orgId })
      return result.leaseHeld ? result.deleted + 1 : 0
    } catch (error) {
      failed(`removal:${orgId}`, 'removal', error)
      return 0
    }
  }

  function startDue(orgId: string): number {
    try {
      return store.transaction(() => {
        if (!store.leases.tryAcquire(`sync:${orgId}`, holder, now(), leaseMs)) return 0
        heldOrgs.add(orgId)
        return startFullReconcile(store, orgId, now()) ? 1 : 0
      })
    } catch (error) {
      failed(`reconcile:${orgId}`, 'reconcile', error)
      return 0
    }
  }

  /** The batches to run now, one of each kind per org with work (feed before reconcile). */
  function plan(): Batch[] {
    const at = now()
    const batches: Batch[] = []
    for (const work of store.syncState.work(at - config.fullReconcileIntervalMs) as OrgWork[]) {
      const orgId = work.org_id
      const ready = (kind: string) => (backoffUntil.get(`${kind}:${orgId}`)?.until ?? 0) <= at
      if (work.removal_running) {
        if (ready('removal')) batches.push(() => removal(orgId))
        continue
      }
      if (work.pending && ready('feed')) batches.push(() => feed(orgId))
      if (!ready('reconcile')) continue
      if (work.reconcile_running) batches.push(() => reconcile(orgId))
      else if (work.reconcile_due) batches.push(() => startDue(orgId))
      if (work.pending || work.reconcile_running)
        batches.push(() => {
          logProgress(orgId)
          return 0
        })
    }
    return batches
  }

  /** Runs batches synchronously until no org has work (or `maxBatches` ran). Returns batches run. */
  function drain(maxBatches = 1_000_000): number {
    let ran = 0
    for (;;) {
      const batches = plan()
      let worked = 0
      for (const batch of batches) {
        worked += batch()
        ran++
      }
      if (worked === 0 || ran >= maxBatches) return ran
    }
  }

  const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve))
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        wake = null
        resolve()
      }, ms)
      wake = () => {
        clearTimeout(timer)
        wake = null
        resolve()
      }
    })

  async function run(): Promise<void> {
    while (running) {
      let worked = 0
      for (const batch of plan()) {
        if (!running) break
        worked += batch()
        await yieldToEventLoop()
      }
      if (running && worked === 0) await sleep(config.syncIntervalMs)
    }
  }

  return {
    holder,
    drain,
    /** Runs one planning round (each org's next batches) synchronously; returns the work done. */
    tick(): number {
      let worked = 0
      for (const batch of plan()) worked += batch()
      return worked
    },
    start(): void {
      if (running) return
      running = true
      loop = run().catch((error) => {
        log.error('sync scheduler stopped on an unexpected error', { error: String(error) })
      })
      log.info('sync scheduler started', { holder })
    },
    /** Finishes the current batch, stops the loop and releases this process's leases. */
    async stop(): Promise<void> {
      if (!running) return
      running = false
      wake?.()
      await loop
      for (const orgId of heldOrgs) {
        try {
          store.leases.release(`sync:${orgId}`, holder)
        } catch {
          // Closing anyway; the lease expires on its own.
        }
      }
      heldOrgs.clear()
      log.info('sync scheduler stopped', { holder })
    },
  }
}

export type Scheduler = ReturnType<typeof createScheduler>
