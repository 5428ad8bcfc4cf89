/**
 * Entry point of the sync scheduler's own thread (a Bun Worker started by `startSchedulerThread` in
 * ./scheduler.ts; `bun run build` compiles it into the binary as a second entry point). It opens
 * its own connection to the store file, joins the HTTP thread's write gate without priority, runs
 * the same scheduler loop with short write transactions, and runs the WAL checkpoints. Log lines
 * and batch reports go back to the HTTP thread, which owns the logger and /metrics.
 *
 * `stop` lets the current batch finish, releases the leases, closes the connection and answers
 * `stopped`; a `kill -9` loses at most the uncommitted batch, like any crash.
 */
import type { Logger, LogLevel } from '../observability/log.ts'
import { openDatabase, useWriteGate, type WriteGateStats, writeGateStats } from '../store/database.ts'
import { createStore } from '../store/index.ts'
import {
  createScheduler,
  type FromSchedulerThread,
  type Scheduler,
  THREAD_OPTIONS,
  type ToSchedulerThread,
} from './scheduler.ts'

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

let running: { scheduler: Scheduler; close(): Promise<WriteGateStats | null> } | null = null

self.addEventListener('message', async (event: MessageEvent<ToSchedulerThread>) => {
  const message = event.data
  if (message.type === 'start' && !running) {
    // A smaller page cache than the HTTP thread's: this connection walks the feed and keysets once.
    const db = openDatabase({ path: message.path, cacheKiB: 16 * 1024, autoCheckpointPages: 0 })
    useWriteGate(db, message.gate, false)
    const store = createStore(db)
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
    running = {
      scheduler,
      close: async () => {
        const stats = writeGateStats(db)
        await store.close()
        return stats
      },
    }
    scheduler.start()
    send({ type: 'ready' })
  } else if (message.type === 'stop') {
    let gate: WriteGateStats | null = null
    if (running) {
      await running.scheduler.stop()
      gate = await running.close()
      running = null
    }
    send({ type: 'stopped', gate })
  }
})
