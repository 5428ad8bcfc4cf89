/**
 * The scheduler on a thread of its own, the HTTP thread's side: `startSchedulerThread` starts a Bun
 * Worker (entry ./worker.ts) that opens its own store on the same location — on SQLite a second
 * connection joining this store's write gate (`store.pacing`), on PostgreSQL a small pool of its own
 * — and runs the scheduler loop there. On one event loop the loop's batches and the SCIM requests
 * took turns, which cost a quarter of the push throughput and set the SCIM p99.
 *
 * The protocol is the two message types below. Log lines and batch reports come back to this
 * thread, which owns the logger and /metrics. If the thread cannot start, fails or dies, the loop
 * carries on here, on the calling thread; so it does for a store no other thread can open (an
 * in-memory SQLite store).
 */
import type { Config } from '../config/index.ts'
import type { LogLevel } from '../observability/log.ts'
import { type PacingHandoff, type StoreLocation, sharedAcrossThreads } from '../store/index.ts'
import { registerSyncMetrics } from './metrics.ts'
import {
  type BatchReport,
  createScheduler,
  holderName,
  type Scheduler,
  type SchedulerDeps,
  type SchedulerOptions,
} from './scheduler.ts'

/** Messages to the scheduler's thread. */
export type ToSchedulerThread =
  | {
      type: 'start'
      /** Where the thread opens its own store. */
      location: StoreLocation
      /** What this thread's store shares with it (`store.pacing.shareWithThread()`), if anything. */
      handoff: PacingHandoff | null
      holder: string
      config: Pick<Config, 'syncIntervalMs' | 'fullReconcileIntervalMs'>
      /** Send each feed batch's change times (lag measurements); off in production. */
      changeTimes: boolean
    }
  | { type: 'stop' }

/** Messages from the scheduler's thread. */
export type FromSchedulerThread =
  | { type: 'ready' }
  /** The thread could not open its store: the loop runs on the calling thread instead. */
  | { type: 'failed'; error: string }
  | { type: 'log'; level: LogLevel; msg: string; fields?: Record<string, unknown> }
  | { type: 'batch'; report: BatchReport }
  /** After `stop`: how much the thread waited for and held the write path (`store.pacing.stats()`). */
  | { type: 'stopped'; pacing: Readonly<Record<string, number>> | null }

/**
 * How the scheduler runs on its own thread, whatever the engine: nothing else runs there, so a feed
 * turn applies batches back to back, yielding only to read messages. The engine's budgets for the
 * thread's transactions come with its store (`store.pacing.batchLimits`).
 */
export const THREAD_OPTIONS = { feedSliceMs: 100 } satisfies SchedulerOptions

export interface SchedulerThreadDeps extends SchedulerDeps {
  /** Where `store` lives; the thread opens its own store there. */
  location: StoreLocation
}

export interface RunningScheduler {
  /** False when the loop runs on the calling thread (in-memory store, or the thread failed). */
  readonly threaded: boolean
  /** Finishes the current batch, stops the loop and releases the leases. */
  stop(): Promise<void>
}

/**
 * Starts the scheduler on its own thread (`entry` = src/sync/worker.ts, resolved by the caller:
 * in a `bun build --compile` binary it lives at the bundle's root). If the thread cannot start or
 * dies, the loop carries on here, on the calling thread.
 */
export function startSchedulerThread(
  deps: SchedulerThreadDeps,
  entry: URL | string,
  options: Pick<SchedulerOptions, 'onBatch'> = {},
): RunningScheduler {
  const { store, log } = deps
  const holder = holderName()
  let fallback: Scheduler | null = null
  const runHere = (): Scheduler => {
    store.pacing?.runsHere()
    fallback ??= createScheduler(deps, { ...options, holder })
    fallback.start()
    return fallback
  }
  const fallBack = (why: string, error?: unknown) => {
    if (fallback) return
    log.error(`${why}; running the scheduler on the main thread`, { error: String(error ?? '') })
    runHere()
  }
  if (!sharedAcrossThreads(deps.location)) {
    const here = runHere()
    return { threaded: false, stop: () => here.stop() }
  }

  const metrics = deps.metrics ? registerSyncMetrics(deps.metrics.registry, store) : null
  const handoff = store.pacing?.shareWithThread() ?? null
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
    else if (message.type === 'ready') store.pacing?.threadReady()
    else if (message.type === 'failed') {
      if (!stopping) fallBack('sync scheduler thread could not open the store', message.error)
    } else if (message.type === 'stopped') {
      // Time each side spent waiting for the other: what the two threads cost each other.
      log.info('sync scheduler thread stopped', {
        http: store.pacing?.stats() ?? null,
        scheduler: message.pacing,
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
    location: deps.location,
    handoff,
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
