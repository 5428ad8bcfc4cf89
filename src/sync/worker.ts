/**
 * Entry point of the sync scheduler's own thread (a Bun Worker started by `startSchedulerThread` in
 * ./thread.ts; `bun run build` compiles it into the binary as a second entry point). It opens its
 * own store on the location it is given — `openStoreAt` with `schedulerThread`, so on SQLite a
 * second connection that joins the HTTP thread's write gate without priority and runs the WAL
 * checkpoints, on PostgreSQL a small pool of its own — and runs the same scheduler loop there. Log
 * lines and batch reports go back to the HTTP thread, which owns the logger and /metrics.
 *
 * `stop` lets the current batch finish, releases the leases, closes the store and answers
 * `stopped`; a `kill -9` loses at most the uncommitted batch, like any crash.
 */
import type { Logger, LogLevel } from '../observability/log.ts'
import { openStoreAt, type Store } from '../store/index.ts'
import { errorMessage } from './poison.ts'
import { createScheduler, type Scheduler } from './scheduler.ts'
import { type FromSchedulerThread, THREAD_OPTIONS, type ToSchedulerThread } from './thread.ts'

declare const self: Worker

const send = (message: FromSchedulerThread) => self.postMessage(message)

const forward =
  (level: LogLevel) =>
  (msg: string, fields?: Record<string, unknown>): void =>
    send({ type: 'log', level, msg, fields })
const log: Logger = {
  debug: forward('debug'),
  info: forward('info'),
  warn: forward('warn'),
  error: forward('error'),
}

/** The running loop and its store, once `start` has opened it (null if that failed). */
let running: Promise<{ scheduler: Scheduler; store: Store } | null> | null = null

async function start(message: Extract<ToSchedulerThread, { type: 'start' }>) {
  let store: Store
  try {
    store = await openStoreAt(message.location, { schedulerThread: { handoff: message.handoff } })
  } catch (error) {
    send({ type: 'failed', error: errorMessage(error) })
    return null
  }
  const scheduler = createScheduler(
    { store, log, config: message.config },
    {
      ...THREAD_OPTIONS,
      holder: message.holder,
      onBatch: (report) =>
        send({
          type: 'batch',
          report: message.changeTimes ? report : { ...report, changeTimes: undefined },
        }),
    },
  )
  scheduler.start()
  send({ type: 'ready' })
  return { scheduler, store }
}

self.addEventListener('message', async (event: MessageEvent<ToSchedulerThread>) => {
  const message = event.data
  if (message.type === 'start' && !running) {
    running = start(message)
  } else if (message.type === 'stop') {
    let pacing: Readonly<Record<string, number>> | null = null
    const started = await running
    running = null
    if (started) {
      await started.scheduler.stop()
      pacing = started.store.pacing?.stats() ?? null
      await started.store.close()
    }
    send({ type: 'stopped', pacing })
  }
})
