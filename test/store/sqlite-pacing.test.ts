/**
 * The scheduler's pacing on SQLite (src/store/sqlite/pacing.ts), as `store.pacing`: a plain store
 * runs batches as they are; the scheduler thread's store, opened from the location with the HTTP
 * thread's handoff, joins its write gate, has the short batch budgets and runs the checkpoints.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { openStore, openStoreAt, type Store } from '../../src/store/index.ts'
import { tempDataDir } from '../support/binary.ts'

const open: Store[] = []
afterEach(async () => {
  for (const store of open.splice(0).reverse()) await store.close()
})

const autoCheckpoint = (store: Store) =>
  store.engine.kind === 'sqlite'
    ? (store.engine.db.query('PRAGMA wal_autocheckpoint').get() as { wal_autocheckpoint: number })
        .wal_autocheckpoint
    : null

describe('SQLite pacing', () => {
  test('a plain store runs batches as they are and checkpoints by itself', async () => {
    const store = openStore(join(tempDataDir(), 'okta-bridge.sqlite'))
    open.push(store)
    const pacing = store.pacing
    expect(pacing?.batchLimits).toBeUndefined()
    expect(pacing?.maintainEveryMs).toBeUndefined()
    expect(await pacing?.mayGiveWay('feed:x', 0, async () => 'done')).toBe('done')
    expect(pacing?.waitedMs()).toBe(0)
    expect(pacing?.stats()).toBeNull()
    expect(autoCheckpoint(store)).toBe(1000)
  })

  test("the scheduler thread's store joins the HTTP store's gate and takes over its checkpoints", async () => {
    const path = join(tempDataDir(), 'okta-bridge.sqlite')
    const http = openStore(path)
    open.push(http)
    const handoff = http.pacing?.shareWithThread() ?? null
    expect(handoff).not.toBeNull()
    const thread = await openStoreAt({ kind: 'sqlite', path }, { schedulerThread: { handoff } })
    open.push(thread)
    expect(thread.pacing?.batchLimits?.removalBatchSize).toBe(100)
    expect(thread.pacing?.batchLimits?.reconcileBudgetMs).toBe(3)
    expect(thread.pacing?.batchLimits?.feedBudgetMs(0)).toBe(3)
    expect(thread.pacing?.batchLimits?.feedBudgetMs(10)).toBe(25)
    expect(thread.pacing?.maintainEveryMs).toBe(200)
    expect(autoCheckpoint(thread)).toBe(0)
    // Both connections' transactions go through the one gate.
    await http.transaction((tx) => tx.leases.tryAcquire('a', 'http', Date.now(), 1000))
    await thread.transaction((tx) => tx.leases.tryAcquire('b', 'thread', Date.now(), 1000))
    expect(http.pacing?.stats()?.transactions).toBe(1)
    expect(thread.pacing?.stats()?.transactions).toBe(1)
    // Once the thread runs, the HTTP store's own checkpoints are only a backstop; back on its own, not.
    http.pacing?.threadReady()
    expect(autoCheckpoint(http)).toBe(32_768)
    http.pacing?.runsHere()
    expect(autoCheckpoint(http)).toBe(1000)
  })
})
