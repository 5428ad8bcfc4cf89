/**
 * Bench-only experiment (bench/sync-scale.ts --scheduler-thread true): the sync scheduler's loop on
 * a Worker thread of its own with its own PostgreSQL pool, as the SQLite build already runs it
 * (src/sync/worker.ts opens SQLite only). It measures what moving the loop off the HTTP thread
 * would give on PostgreSQL; the product does not use it. Messages: `{ type: 'start', url, config }`
 * → `ready`, `batch` reports; `{ type: 'stop' }` → `stopped`.
 */
import type { Config } from '../src/config/index.ts'
import { createLogger } from '../src/observability/log.ts'
import { openPostgresStore } from '../src/store/postgres/index.ts'
import { createScheduler } from '../src/sync/scheduler.ts'

declare const self: Worker

type Start = {
  type: 'start'
  url: string
  poolSize: number
  config: Pick<Config, 'syncIntervalMs' | 'fullReconcileIntervalMs'>
}

let stop: (() => Promise<void>) | null = null

self.addEventListener('message', async (event: MessageEvent<Start | { type: 'stop' }>) => {
  const message = event.data
  if (message.type === 'start' && !stop) {
    const store = await openPostgresStore(message.url, { poolSize: message.poolSize })
    const scheduler = createScheduler(
      { store, log: createLogger('warn'), config: message.config },
      { onBatch: (report) => self.postMessage({ type: 'batch', report }) },
    )
    scheduler.start()
    stop = async () => {
      await scheduler.stop()
      await store.close()
    }
    self.postMessage({ type: 'ready' })
  } else if (message.type === 'stop') {
    await stop?.()
    self.postMessage({ type: 'stopped' })
  }
})
