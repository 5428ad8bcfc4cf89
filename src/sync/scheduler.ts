/**
 * The sync scheduler: one loop per process that, for every org with work, runs bounded batches —
 * removal first, then the change feed, then the full reconcile — each one short transaction under
 * the org's lease, yielding to the event loop between batches. Idle, it sleeps `syncIntervalMs`. It
 * starts a full reconcile for every org with an integration at least once per
 * `fullReconcileIntervalMs`.
 *
 * `drain()` runs the same batches one after another until nothing is left (tests, the CLI), `start()`
 * and `stop()` drive the background loop; `stop()` returns after the current batch and releases
 * the leases, so the store can close right after.
 *
 * The server runs the loop on a thread of its own (`startSchedulerThread`, entry src/sync/worker.ts)
 * with its own connection: on one event loop its batches and the SCIM requests took turns, which cost
 * a quarter of the push throughput and set the SCIM p99. That thread also runs the WAL checkpoints.
 */
import { hostname } from 'node:os'
import type { Config } from '../config/index.ts'
import type { Logger, LogLevel } from '../observability/log.ts'
import type { Metrics } from '../observability/metrics.ts'
import {
  allowYield,
  checkpointPassive,
  createWriteGate,
  deferToPriority,
  setAutoCheckpoint,
  underWriteGate,
  useWriteGate,
  type WriteGateStats,
  WriteGateYield,
  writeGateStats,
} from '../store/database.ts'
import { StoreBusy } from '../store/errors.ts'
import { newId } from '../store/ids.ts'
import type { Store } from '../store/index.ts'
import type { OrgWork } from '../store/sync.ts'
import { applyFeedBatch, type FeedBatchResult, skipPoisonChange } from './feed.ts'
import { registerSyncMetrics, type SyncMetrics } from './metrics.ts'
import { type ReconcileBatchResult, reconcileBatch, startFullReconcile } from './reconcile.ts'
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
  /** Wall time of the batch, including `gateWaitMs` (waiting for the HTTP thread to commit). */
  durationMs: number
  gateWaitMs: number
  /** For feed batches: when each applied change was written (lag = appliedAt − writtenAt). */
  appliedAt: number
  changeTimes?: number[]
}

export interface SchedulerOptions {
  /** Lease holder name; unique per process by default. */
  holder?: string
  feedBatchSize?: number
  reconcileBatchSize?: number
  /**
   * Size each feed batch (≤ feedBatchSize) to take about this long — given the org's lag in seconds
   * — from the measured cost per change. Off by default; the scheduler's own thread uses it to keep
   * its write transactions short, longer only when it falls behind.
   */
  feedBudgetMs?: (lagSeconds: number) => number
  /**
   * How long one feed turn keeps applying batches behind a backlog before yielding. Default: grows
   * with the lag, 10 ms + 20 ms per second of lag, at most 60 ms (for a loop sharing its thread).
   */
  feedSliceMs?: number
  /** A reconcile batch stops early after this many milliseconds. */
  reconcileBudgetMs?: number
  removalBatchSize?: number
  leaseMs?: number
  progressLogMs?: number
  /**
   * A feed batch transaction younger than this (given the org's lag in seconds) gives way — rolls
   * back, retried next — when the HTTP thread waits for the write gate (the scheduler's own thread).
   * Off by default.
   */
  yieldWindowMs?: (lagSeconds: number) => number
  /** Run a passive WAL checkpoint at most this often from the loop (for a connection that has its
   * automatic checkpoints turned off). */
  checkpointMs?: number
  now?: () => number
  onBatch?: (report: BatchReport) => void
}

type Batch = () => Promise<number>

/** WAL size (pages of 4 KiB) past which the scheduler's checkpoint makes the WAL start over. */
const WAL_RESTART_PAGES = 16_384

const isBusy = (error: unknown) =>
  error instanceof StoreBusy ||
  /SQLITE_BUSY|database is locked/i.test(String((error as Error)?.message ?? error))

export function createScheduler(deps: SchedulerDeps, options: SchedulerOptions = {}) {
  const { store, log, config } = deps
  const holder = options.holder ?? `${hostname()}:${process.pid}:${newId().slice(-8)}`
  const now = options.now ?? Date.now
  const feedBatchSize = options.feedBatchSize ?? 500
  const reconcileBatchSize = options.reconcileBatchSize ?? 500
  const reconcileBudgetMs = options.reconcileBudgetMs ?? 15
  const removalBatchSize = options.removalBatchSize ?? 500
  const leaseMs = options.leaseMs ?? 5_000
  const progressLogMs = options.progressLogMs ?? 10_000
  const { feedBudgetMs, feedSliceMs, checkpointMs, yieldWindowMs } = options
  // On SQLite the scheduler paces its connection itself (write gate, WAL checkpoints); PostgreSQL
  // needs neither.
  const db = store.engine.kind === 'sqlite' ? store.engine.db : null
  // Measured cost of one change (ms) and each org's lag as of its last batch (s), for sizing feed
  // batches to `feedBudgetMs`.
  let msPerChange = 0.05
  const lagOf = new Map<string, number>()
  const feedLimit = (orgId: string) =>
    feedBudgetMs === undefined
      ? feedBatchSize
      : Math.max(16, Math.min(feedBatchSize, Math.floor(feedBudgetMs(lagOf.get(orgId) ?? 0) / msPerChange)))
  const learn = (orgId: string, result: FeedBatchResult, limit: number, ms: number) => {
    if (result.applied > 0) msPerChange = 0.7 * msPerChange + 0.3 * (ms / result.applied)
    const behind = result.applied === limit && result.oldestAt !== null
    lagOf.set(orgId, behind ? (now() - (result.oldestAt as number)) / 1000 : 0)
  }
  let lastCheckpoint = 0
  // Batches of one kind of one org (`kind:orgId`) that gave way in a row; after a few, one runs to
  // its end so every kind of work progresses.
  const gaveWay = new Map<string, number>()

  /** Runs one batch that may give way to the HTTP thread (see `yieldWindowMs`): null if it did. */
  async function yielding<T>(key: string, run: () => Promise<T>, lagSeconds = 0): Promise<T | null> {
    const inARow = gaveWay.get(key) ?? 0
    if (db) allowYield(db, yieldWindowMs === undefined || inARow >= 4 ? 0 : yieldWindowMs(lagSeconds))
    // Behind by a second or more, the feed stops letting SCIM writes go first at the gate.
    if (db) deferToPriority(db, lagSeconds < 1)
    try {
      const result = await run()
      gaveWay.delete(key)
      return result
    } catch (error) {
      if (!(error instanceof WriteGateYield)) throw error
      gaveWay.set(key, inARow + 1)
      return null
    } finally {
      if (db) {
        allowYield(db, 0)
        deferToPriority(db, true)
      }
    }
  }
  const metrics: SyncMetrics | null = deps.metrics ? registerSyncMetrics(deps.metrics.registry, store) : null
  const backoffUntil = new Map<string, { until: number; failures: number }>()
  const lastProgressLog = new Map<string, number>()
  const heldOrgs = new Set<string>()
  let running = false
  let loop: Promise<void> | null = null
  let wake: (() => void) | null = null

  /** Time this connection has waited for the write gate so far (0 without a gate). */
  const gateWaited = () => (db ? (writeGateStats(db)?.waitedMs ?? 0) : 0)

  /** Reports a batch that began at `started` (performance.now()) when the gate wait was `waited0`. */
  function record(
    kind: BatchReport['kind'],
    orgId: string,
    items: number,
    started: number,
    waited0: number,
    times?: number[],
  ) {
    const durationMs = performance.now() - started
    const gateWaitMs = gateWaited() - waited0
    backoffUntil.delete(`${kind}:${orgId}`)
    metrics?.observeBatch(kind, items, durationMs)
    options.onBatch?.({ orgId, kind, items, durationMs, gateWaitMs, appliedAt: now(), changeTimes: times })
  }

  /** Backs off one kind of work of one org (`kind:orgId`) and records the error. */
  async function failed(key: string, kind: string, error: unknown): Promise<void> {
    const orgId = key.slice(key.indexOf(':') + 1)
    const message = error instanceof Error ? error.message : String(error)
    const previous = backoffUntil.get(key)?.failures ?? 0
    const delay = Math.min(60_000, 1000 * 2 ** previous)
    backoffUntil.set(key, { until: now() + delay, failures: previous + 1 })
    log.error('sync batch failed', { org: orgId, kind, error: message, retryInMs: delay })
    try {
      await store.transaction((tx) => tx.syncState.setError(orgId, `${kind}: ${message}`, now()))
    } catch {
      // The store itself is failing; the log line above is all we can do.
    }
  }

  async function logProgress(orgId: string): Promise<void> {
    const at = now()
    if (at - (lastProgressLog.get(orgId) ?? 0) < progressLogMs) return
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
    if (status.pendingChanges > 10 * feedBatchSize) {
      log.info('sync catching up', {
        org: slug,
        pendingChanges: status.pendingChanges,
        lagSeconds: status.lagSeconds,
      })
    }
  }

  async function feed(orgId: string): Promise<number> {
    const started = performance.now()
    const waited0 = gateWaited()
    const batch = (limit: number) => applyFeedBatch(store, orgId, { holder, leaseMs, limit, now: now() })
    let limit = feedLimit(orgId)
    try {
      let result: FeedBatchResult | null
      try {
        result = await yielding(`feed:${orgId}`, () => batch(limit), lagOf.get(orgId))
        if (result === null) return 1 // gave way: work remains, no idle pause
      } catch (error) {
        if (isBusy(error)) throw error
        // Narrow down to the one change that fails and skip it (see skipPoisonChange).
        try {
          result = await batch(1)
        } catch (again) {
          if (isBusy(again)) throw again
          const reason = again instanceof Error ? again.message : String(again)
          const seq = await skipPoisonChange(store, orgId, reason, now())
          log.error('sync change skipped', { org: orgId, seq, error: reason })
          return 1
        }
      }
      if (result.leaseHeld) heldOrgs.add(orgId)
      if (result.applied > 0) record('feed', orgId, result.applied, started, waited0, result.changeTimes)
      learn(orgId, result, limit, performance.now() - started - (gateWaited() - waited0))
      let applied = result.applied
      // Behind a backlog, keep applying (still one short transaction per batch) for a time slice.
      // Sharing the thread with SCIM it grows with the lag: 10 ms + 20 ms per second of lag, at most
      // 60 ms before yielding — what keeps the lag bounded while SCIM writes keep arriving.
      while (result.applied === limit && result.oldestAt !== null) {
        const lagSeconds = (now() - result.oldestAt) / 1000
        if (performance.now() - started > (feedSliceMs ?? Math.min(60, 10 + 20 * lagSeconds))) break
        const next = performance.now()
        const waited = gateWaited()
        limit = feedLimit(orgId)
        result = await yielding(`feed:${orgId}`, () => batch(limit), lagOf.get(orgId))
        if (result === null) break
        if (result.applied > 0) record('feed', orgId, result.applied, next, waited, result.changeTimes)
        learn(orgId, result, limit, performance.now() - next - (gateWaited() - waited))
        applied += result.applied
      }
      return applied
    } catch (error) {
      await failed(`feed:${orgId}`, 'feed', error)
      return 0
    }
  }

  async function reconcile(orgId: string): Promise<number> {
    const started = performance.now()
    const waited0 = gateWaited()
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
      let result: ReconcileBatchResult
      try {
        result = await batch(reconcileBatchSize)
      } catch (error) {
        if (isBusy(error)) throw error
        // Narrow down to the one failing item, then step over it (the reason is recorded).
        try {
          result = await batch(1)
        } catch (again) {
          if (isBusy(again)) throw again
          const reason = again instanceof Error ? again.message : String(again)
          log.error('sync full reconcile skipped an item', { org: orgId, error: reason })
          result = await batch(1, reason)
        }
      }
      if (result.leaseHeld) heldOrgs.add(orgId)
      if (result.processed > 0 || result.finished)
        record('reconcile', orgId, result.processed, started, waited0)
      if (result.finished) {
        const [state, org] = await Promise.all([store.syncState.get(orgId), store.orgs.byId(orgId)])
        log.info('sync full reconcile finished', {
          org: org?.slug ?? orgId,
          processed: state?.reconcile_processed ?? 0,
          durationMs: (state?.reconcile_finished_at ?? 0) - (state?.reconcile_started_at ?? 0),
        })
      }
      return result.processed + (result.finished ? 1 : 0)
    } catch (error) {
      await failed(`reconcile:${orgId}`, 'reconcile', error)
      return 0
    }
  }

  async function removal(orgId: string): Promise<number> {
    const started = performance.now()
    const waited0 = gateWaited()
    try {
      const result = await removalBatch(store, orgId, {
        holder,
        leaseMs,
        limit: removalBatchSize,
        now: now(),
      })
      if (result.leaseHeld) heldOrgs.add(orgId)
      record('removal', orgId, result.deleted, started, waited0)
      if (result.finished)
        log.info('sync removal finished', { org: (await store.orgs.byId(orgId))?.slug ?? orgId })
      return result.leaseHeld ? result.deleted + 1 : 0
    } catch (error) {
      await failed(`removal:${orgId}`, 'removal', error)
      return 0
    }
  }

  async function startDue(orgId: string): Promise<number> {
    try {
      return await store.transaction(async (tx) => {
        if (!(await tx.leases.tryAcquire(`sync:${orgId}`, holder, now(), leaseMs))) return 0
        heldOrgs.add(orgId)
        return (await startFullReconcile(tx, orgId, now())) ? 1 : 0
      })
    } catch (error) {
      await failed(`reconcile:${orgId}`, 'reconcile', error)
      return 0
    }
  }

  /** The batches to run now, one of each kind per org with work (feed before reconcile). */
  async function plan(): Promise<Batch[]> {
    const at = now()
    const batches: Batch[] = []
    for (const work of (await store.syncState.work(at - config.fullReconcileIntervalMs)) as OrgWork[]) {
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
        batches.push(async () => {
          await logProgress(orgId)
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

  /** Passive WAL checkpoint when one is due: it neither waits for nor blocks other connections. */
  function checkpoint(): void {
    if (!db || checkpointMs === undefined || performance.now() - lastCheckpoint < checkpointMs) return
    lastCheckpoint = performance.now()
    try {
      const { walPages } = checkpointPassive(db)
      // SQLite starts the WAL over from its beginning only after a checkpoint that copied all of
      // it, which one running beside steady writes never does: the WAL would grow until the HTTP
      // thread's backstop checkpoint. Past WAL_RESTART_PAGES, finish it under the write gate: the
      // pages written meanwhile are left, but with its two fsyncs this holds the gate for ~5–15 ms
      // here, so it is kept rare (every few seconds of a sustained push, never at normal load).
      if (walPages >= WAL_RESTART_PAGES) underWriteGate(db, () => checkpointPassive(db))
    } catch (error) {
      log.warn('sync WAL checkpoint failed', { error: String(error) })
    }
  }

  async function run(): Promise<void> {
    while (running) {
      let worked = 0
      for (const batch of await plan()) {
        if (!running) break
        worked += await batch()
        checkpoint()
        await yieldToEventLoop()
      }
      checkpoint()
      if (running && worked === 0) await sleep(Math.min(config.syncIntervalMs, checkpointMs ?? Infinity))
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

/** Messages to the scheduler's thread (src/sync/worker.ts). */
export type ToSchedulerThread =
  | {
      type: 'start'
      path: string
      gate: SharedArrayBuffer
      holder: string
      config: Pick<Config, 'syncIntervalMs' | 'fullReconcileIntervalMs'>
      /** Send each feed batch's change times (lag measurements); off in production. */
      changeTimes: boolean
    }
  | { type: 'stop' }

/** Messages from the scheduler's thread. */
export type FromSchedulerThread =
  | { type: 'ready' }
  | { type: 'log'; level: LogLevel; msg: string; fields?: Record<string, unknown> }
  | { type: 'batch'; report: BatchReport }
  /** After `stop`: how much the thread waited for and held the write gate. */
  | { type: 'stopped'; gate: WriteGateStats | null }

/** How the scheduler's thread runs its loop (see docs/sync.md, "Batches and threads"). */
export const THREAD_OPTIONS = {
  // Each write transaction holds the write gate; the HTTP thread waits at most about this long.
  feedBudgetMs: (lagSeconds: number) => Math.min(25, 3 + 10 * lagSeconds),
  reconcileBudgetMs: 3,
  // Set-based removal batches of 100 accounts (or 2,000 memberships / feed entries) hold the gate
  // ~18 ms (p99 30 ms) at 100,000 users; 25 took 79 s for that removal, 100 takes 55 s.
  removalBatchSize: 100,
  // Nothing else runs on this thread: apply back to back, yielding only to read messages.
  feedSliceMs: 100,
  checkpointMs: 200,
  // A feed batch gives way whenever the HTTP thread waits (its work is redone next; after four in a
  // row one finishes) — while the org is less than half a second behind. Further behind, and for
  // the reconcile and the removal, batches finish: at 1.1 million changes or 220,000 items with SCIM
  // requests arriving all the time, giving way cost more than the lag and reconcile targets allow.
  yieldWindowMs: (lagSeconds: number) => (lagSeconds < 0.5 ? 30 : 0),
} satisfies SchedulerOptions

/** The HTTP thread's connection checkpoints by itself only past this many WAL pages (backstop). */
const BACKSTOP_CHECKPOINT_PAGES = 32_768

export interface SchedulerThreadDeps extends SchedulerDeps {
  /** The store's file; the thread opens its own connection to it. */
  path: string
}

export interface RunningScheduler {
  /** False when the loop runs on the calling thread (in-memory store, or the thread failed). */
  readonly threaded: boolean
  /** Finishes the current batch, stops the loop and releases the leases. */
  stop(): Promise<void>
}

/**
 * Starts the scheduler on its own thread (`entry` = src/sync/worker.ts, resolved by the caller:
 * in a `bun build --compile` binary it lives at the bundle's root). The calling thread's connection
 * gets priority on the shared write gate and leaves WAL checkpoints to the scheduler's thread. If
 * the thread cannot start or dies, the loop carries on here, on the calling thread.
 */
export function startSchedulerThread(
  deps: SchedulerThreadDeps,
  entry: URL | string,
  options: Pick<SchedulerOptions, 'onBatch'> = {},
): RunningScheduler {
  const { store, log } = deps
  const holder = `${hostname()}:${process.pid}:${newId().slice(-8)}`
  let fallback: Scheduler | null = null
  const db = store.engine.kind === 'sqlite' ? store.engine.db : null
  const runHere = (): Scheduler => {
    if (db) setAutoCheckpoint(db, 1000)
    fallback ??= createScheduler(deps, { ...options, holder })
    fallback.start()
    return fallback
  }
  const fallBack = (why: string, error?: unknown) => {
    if (fallback) return
    log.error(`${why}; running the scheduler on the main thread`, { error: String(error ?? '') })
    runHere()
  }
  // An in-memory store cannot be shared with another connection; on PostgreSQL the loop's
  // statements wait on the network, not on this thread, so it runs here.
  if (deps.path === ':memory:' || !db) {
    const here = runHere()
    return { threaded: false, stop: () => here.stop() }
  }

  const metrics = deps.metrics ? registerSyncMetrics(deps.metrics.registry, store) : null
  const gate = createWriteGate()
  useWriteGate(db, gate, true)
  let stopping = false
  let stopped: () => void = () => {}
  const done = new Promise<void>((resolve) => {
    stopped = resolve
  })
  let worker: Worker
  try {
    worker = new Worker(entry)
  } catch (error) {
    fallBack('sync scheduler thread could not start', error)
    return { threaded: false, stop: () => (fallback as Scheduler).stop() }
  }
  worker.addEventListener('message', (event: MessageEvent<FromSchedulerThread>) => {
    const message = event.data
    if (message.type === 'batch') {
      const { report } = message
      metrics?.observeBatch(report.kind, report.items, report.durationMs)
      options.onBatch?.(report)
    } else if (message.type === 'log') log[message.level](message.msg, message.fields)
    else if (message.type === 'ready') setAutoCheckpoint(db, BACKSTOP_CHECKPOINT_PAGES)
    else if (message.type === 'stopped') {
      // Time each side spent waiting for the other: what the two threads cost each other.
      log.info('sync scheduler thread stopped', {
        http: writeGateStats(db),
        scheduler: message.gate,
      })
      stopped()
    }
  })
  worker.addEventListener('error', (event) => {
    worker.terminate()
    if (!stopping) fallBack('sync scheduler thread failed', event.message)
    stopped()
  })
  worker.addEventListener('close', () => {
    if (!stopping) fallBack('sync scheduler thread exited')
    stopped()
  })
  const start: ToSchedulerThread = {
    type: 'start',
    path: deps.path,
    gate,
    holder,
    config: {
      syncIntervalMs: deps.config.syncIntervalMs,
      fullReconcileIntervalMs: deps.config.fullReconcileIntervalMs,
    },
    changeTimes: options.onBatch !== undefined,
  }
  worker.postMessage(start)
  return {
    get threaded() {
      return fallback === null
    },
    async stop() {
      if (stopping) return await done
      stopping = true
      if (fallback) {
        worker.terminate()
        return await (fallback as Scheduler).stop()
      }
      worker.postMessage({ type: 'stop' } satisfies ToSchedulerThread)
      // The thread answers after its current batch; a stuck thread is ended after 15 s.
      const timer = setTimeout(stopped, 15_000)
      await done
      clearTimeout(timer)
      worker.terminate()
    },
  }
}
