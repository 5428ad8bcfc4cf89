/**
 * A thread that holds the SQLite write gate the way the sync scheduler's thread does, for
 * test/store/sqlite-background.test.ts: it opens the store with the HTTP store's handoff (so its
 * connection joins the gate without priority), lets its transaction give way to a waiting priority
 * writer (`allowYield`, with a window longer than the test), takes the gate with a first write,
 * answers `holding`, then waits — holding the gate — until the HTTP thread waits for the gate
 * (`WAITING` or `BACKGROUND` in the gate's cells) and, when asked, until the HTTP thread has shown
 * it still runs (cell 0 of `alive`). It answers whether its transaction gave way or committed.
 */
import { openStoreAt, type PacingHandoff, type Store } from '../../src/store/index.ts'
import { allowYield, WriteGateYield } from '../../src/store/sqlite/write-gate.ts'

declare const self: Worker

export interface HoldRequest {
  path: string
  handoff: PacingHandoff
  /** Shared with the HTTP thread: it sets cell 0 to 1 from a timer while its transaction waits. */
  alive: SharedArrayBuffer
  waitForAlive: boolean
}

export type HoldAnswer =
  | { type: 'holding' }
  | { type: 'done'; outcome: 'committed' | 'gave way' | 'timed out'; yields: number }

const send = (answer: HoldAnswer) => self.postMessage(answer)

const spinUntil = (done: () => boolean, ms: number) => {
  const until = performance.now() + ms
  while (!done()) if (performance.now() > until) return false
  return true
}

self.addEventListener('message', async (event: MessageEvent<HoldRequest>) => {
  const { path, handoff, alive, waitForAlive } = event.data
  const store: Store = await openStoreAt({ kind: 'sqlite', path }, { schedulerThread: { handoff } })
  if (store.engine.kind !== 'sqlite') throw new Error('a SQLite store was expected')
  allowYield(store.engine.db, 60_000)
  const gate = new Int32Array(handoff.writeGate as SharedArrayBuffer)
  const flag = new Int32Array(alive)
  let outcome = 'committed' as 'committed' | 'gave way' | 'timed out'
  try {
    await store.transaction(async (tx) => {
      await tx.leases.tryAcquire('holder:first', 'thread', Date.now(), 60_000)
      send({ type: 'holding' })
      // Cells 1 and 2: priority writers waiting, background writers waiting.
      const waited = spinUntil(() => Atomics.load(gate, 1) > 0 || Atomics.load(gate, 2) > 0, 10_000)
      const lived = !waitForAlive || spinUntil(() => Atomics.load(flag, 0) === 1, 10_000)
      if (!waited || !lived) outcome = 'timed out'
      await tx.leases.tryAcquire('holder:second', 'thread', Date.now(), 60_000)
    })
  } catch (error) {
    if (!(error instanceof WriteGateYield)) throw error
    // A thread blocked while it waited never set `alive`: that stays the answer.
    if (outcome !== 'timed out') outcome = 'gave way'
  }
  const yields = store.pacing?.stats()?.yields ?? -1
  await store.close()
  send({ type: 'done', outcome, yields })
})
