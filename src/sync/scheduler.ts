/**
 * The sync scheduler's plan and loop: one loop per process that, for every org with work, runs
 * bounded batches — removal first, then the change feed, then the full reconcile — each one short
 * transaction under the org's lease (`sync:<org id>`, store.leases), yielding to the event loop
 * between batches. Idle, it sleeps `syncIntervalMs`. It starts a full reconcile for every org with an
 * integration at least once per `fullReconcileIntervalMs`. Several instances on one database each
 * run this loop; the leases give each org one holder at a time.
 *
 * `drain()` runs the same batches one after another until nothing is left (tests, the CLI), `start()`
 * and `stop()` drive the background loop; `stop()` returns after the current batch and releases
 * the leases, so the store can close right after.
 *
 * The pieces: the batch runners (./runners.ts) with their shared poison-item ladder (./poison.ts),
 * what becomes of a batch (./outcomes.ts), how big feed batches are (./pacing.ts), and the engine's
 * own pacing (`store.pacing`, e.g. SQLite's write gate and checkpoints). The server runs this loop on
 * a thread of its own (./thread.ts, entry ./worker.ts).
 */
import { hostname } from 'node:os'
import type { Config } from '../config/index.ts'
import type { Logger } from '../observability/log.ts'
import type { Metrics } from '../observability/metrics.ts'
import { newId } from '../store/ids.ts'
import type { Store } from '../store/index.ts'
import { registerSyncMetrics } from './metrics.ts'
import { type BatchReport, batchOutcomes } from './outcomes.ts'
import { feedPacing } from './pacing.ts'
import { batchRunners } from './runners.ts'

export type { BatchKind, BatchReport } from './outcomes.ts'

export interface SchedulerDeps {
  store: Store
  log: Logger
  metrics?: Metrics
  config: Pick<Config, 'syncIntervalMs' | 'fullReconcileIntervalMs'>
}

export interface SchedulerOptions {
  /** Lease holder name; unique per process by default. */
  holder?: string
  feedBatchSize?: number
  /**
   * How large a feed batch may grow while an org is behind, when batches have no time budget
   * (./pacing.ts). Default: 4 × feedBatchSize on a store without pacing (PostgreSQL), else no growth.
   */
  maxFeedBatchSize?: number
  reconcileBatchSize?: number
  /**
   * Size each feed batch (≤ feedBatchSize) to take about this long — given the org's lag in seconds
   * — from the measured cost per change. Default: the store's `pacing.batchLimits`, else off.
   */
  feedBudgetMs?: (lagSeconds: number) => number
  /**
   * How long one feed turn keeps applying batches behind a backlog before yielding. Default: grows
   * with the lag, 10 ms + 20 ms per second of lag, at most 60 ms (for a loop sharing its thread).
   */
  feedSliceMs?: number
  /** A reconcile batch stops early after this many milliseconds (default: the store's, else 15). */
  reconcileBudgetMs?: number
  /** Accounts per removal batch (default: the store's, else 500). */
  removalBatchSize?: number
  leaseMs?: number
  progressLogMs?: number
  now?: () => number
  onBatch?: (report: BatchReport) => void
}

/** A generated lease holder name: host, process and a random part (several schedulers per host). */
export const holderName = (): string => `${hostname()}:${process.pid}:${newId().slice(-8)}`

type Batch = () => Promise<number>

export function createScheduler(deps: SchedulerDeps, options: SchedulerOptions = {}) {
  const { store, log, config } = deps
  const holder = options.holder ?? holderName()
  const now = options.now ?? Date.now
  const pacing = store.pacing
  const limits = pacing?.batchLimits
  const feedBatchSize = options.feedBatchSize ?? 500
  const heldOrgs = new Set<string>()
  const outcomes = batchOutcomes({
    store,
    log,
    metrics: deps.metrics ? registerSyncMetrics(deps.metrics.registry, store) : null,
    now,
    onBatch: options.onBatch,
    progressLogMs: options.progressLogMs ?? 10_000,
    feedBatchSize,
  })
  const run = batchRunners({
    store,
    log,
    holder,
    leaseMs: options.leaseMs ?? 5_000,
    now,
    reconcileBatchSize: options.reconcileBatchSize ?? 500,
    reconcileBudgetMs: options.reconcileBudgetMs ?? limits?.reconcileBudgetMs ?? 15,
    removalBatchSize: options.removalBatchSize ?? limits?.removalBatchSize ?? 500,
    feed: feedPacing({
      feedBatchSize,
      feedBudgetMs: options.feedBudgetMs ?? limits?.feedBudgetMs,
      maxFeedBatchSize: options.maxFeedBatchSize ?? (pacing ? feedBatchSize : 4 * feedBatchSize),
      feedSliceMs: options.feedSliceMs,
      now,
    }),
    outcomes,
    held: heldOrgs,
  })
  let running = false
  let loop: Promise<void> | null = null
  let wake: (() => void) | null = null

  /** The batches to run now, one of each kind per org with work (feed before reconcile). */
  async function plan(): Promise<Batch[]> {
    const at = now()
    const batches: Batch[] = []
    for (const work of await store.syncState.work(at - config.fullReconcileIntervalMs)) {
      const orgId = work.org_id
      const ready = (kind: 'feed' | 'reconcile' | 'removal') => outcomes.ready(kind, orgId, at)
      if (work.removal_running) {
        if (ready('removal')) batches.push(() => run.removal(orgId))
        continue
      }
      if (work.pending && ready('feed')) batches.push(() => run.feed(orgId))
      if (!ready('reconcile')) continue
      if (work.reconcile_running) batches.push(() => run.reconcile(orgId))
      else if (work.reconcile_due) batches.push(() => run.startDue(orgId))
      if (work.pending || work.reconcile_running)
        batches.push(async () => {
          await outcomes.logProgress(orgId)
          return 0
        })
    }
    return batches
  }

  /** Runs batches one after another until no org has work (or `maxBatches` ran). Returns batches run. */
  async function drain(maxBatches = 1_000_000): Promise<number> {
    let ran = 0
    for (;;) {
      const batches = await plan()
      let worked = 0
      for (const batch of batches) {
        worked += await batch()
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

  /** The engine's housekeeping between batches (SQLite's scheduler thread: WAL checkpoints). */
  function maintain(): void {
    try {
      pacing?.maintain()
    } catch (error) {
      log.warn('sync store maintenance failed', { error: String(error) })
    }
  }

  async function loopUntilStopped(): Promise<void> {
    const idleMs = Math.min(config.syncIntervalMs, pacing?.maintainEveryMs ?? Number.POSITIVE_INFINITY)
    while (running) {
      let worked = 0
      for (const batch of await plan()) {
        if (!running) break
        worked += await batch()
        maintain()
        await yieldToEventLoop()
      }
      maintain()
      if (running && worked === 0) await sleep(idleMs)
    }
  }

  return {
    holder,
    drain,
    /** Runs one planning round (each org's next batches), one batch after another; returns the work done. */
    async tick(): Promise<number> {
      let worked = 0
      for (const batch of await plan()) worked += await batch()
      return worked
    },
    start(): void {
      if (running) return
      running = true
      loop = loopUntilStopped().catch((error) => {
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
          await store.leases.release(`sync:${orgId}`, holder)
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
