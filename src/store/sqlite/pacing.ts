/**
 * The sync scheduler's pacing on SQLite (the contract's `StorePacing`): every knob that exists only
 * because SQLite has one writer at a time and the server writes to one file from two threads — the
 * HTTP thread and the scheduler's thread (src/sync/worker.ts). The mechanisms are elsewhere — the
 * write gate in shared memory (./write-gate.ts), the passive checkpoint (../database.ts); this
 * module decides how the scheduler uses them (docs/sync.md, "Batches and threads"):
 *
 * - the HTTP thread's store creates the gate, joins it with priority and hands it to the thread
 *   (`shareWithThread`); once the thread runs, its own automatic checkpoints are only a backstop;
 * - the thread's store (`openStoreAt` with `schedulerThread`, ../index.ts) joins the gate without priority,
 *   keeps its write transactions short (`batchLimits`), lets a young feed batch give way to a waiting
 *   SCIM write while the org is caught up, stops deferring to SCIM writes once a second behind, and
 *   runs the WAL checkpoints between batches.
 *
 * Every other store (an in-process scheduler in tests and the CLI, the fallback on the HTTP thread)
 * gets the plain pacing: batches run as they are, SQLite checkpoints by itself.
 */
import type { BatchLimits, PacingHandoff, StorePacing } from '../contract.ts'
import { checkpointPassive, type Db, type OpenOptions, setAutoCheckpoint } from '../database.ts'
import {
  allowYield,
  createWriteGate,
  deferToPriority,
  underWriteGate,
  useWriteGate,
  WriteGateYield,
  writeGateStats,
} from './write-gate.ts'

/**
 * The scheduler thread's connection: a smaller page cache than the HTTP thread's (it walks the feed
 * and keysets once), and no automatic checkpoints — its loop runs them (`maintain`).
 */
export const SCHEDULER_THREAD_CONNECTION = {
  cacheKiB: 16 * 1024,
  autoCheckpointPages: 0,
} satisfies Omit<OpenOptions, 'path'>

/** The thread's write transactions each hold the write gate; the HTTP thread waits at most about this long. */
const THREAD_BATCH_LIMITS: BatchLimits = {
  feedBudgetMs: (lagSeconds) => Math.min(25, 3 + 10 * lagSeconds),
  reconcileBudgetMs: 3,
  // Set-based removal batches of 100 accounts (or 2,000 memberships / feed entries) hold the gate
  // ~18 ms (p99 30 ms) at 100,000 users; 25 took 79 s for that removal, 100 takes 55 s.
  removalBatchSize: 100,
}

/**
 * A feed batch gives way whenever the HTTP thread waits (its work is redone next) — while the org is
 * less than half a second behind. Further behind, and for the reconcile and the removal, batches
 * finish: at 1.1 million changes or 220,000 items with SCIM requests arriving all the time, giving
 * way cost more than the lag and reconcile targets allow.
 */
const yieldWindowMs = (lagSeconds: number) => (lagSeconds < 0.5 ? 30 : 0)
/** After this many give-ways in a row, one batch of that kind and org runs to its end. */
const GIVE_WAY_IN_A_ROW = 4
/** Behind by this many seconds or more, the feed stops letting SCIM writes go first at the gate. */
const DEFER_UNTIL_LAG_SECONDS = 1

/** How often the thread runs a passive WAL checkpoint. */
const CHECKPOINT_MS = 200
/** WAL size (pages of 4 KiB) past which the thread's checkpoint makes the WAL start over. */
const WAL_RESTART_PAGES = 16_384
/** The HTTP thread's connection checkpoints by itself only past this many WAL pages (backstop). */
const BACKSTOP_CHECKPOINT_PAGES = 32_768
/** SQLite's own default, for a connection that checkpoints by itself. */
const AUTO_CHECKPOINT_PAGES = 1000

/** The gate a handoff carries (what `shareWithThread` answered on the HTTP thread). */
function gateOf(handoff: PacingHandoff): SharedArrayBuffer {
  const gate = handoff.writeGate
  if (!(gate instanceof SharedArrayBuffer)) throw new TypeError('not a SQLite pacing handoff')
  return gate
}

/**
 * The pacing of a store over `db`. With `thread`, `db` is the scheduler thread's connection and
 * joins the write gate its handoff carries (from the HTTP thread's store).
 */
export function sqlitePacing(db: Db, thread?: { handoff: PacingHandoff | null }): StorePacing {
  if (thread?.handoff) useWriteGate(db, gateOf(thread.handoff), false)
  const onThread = thread !== undefined
  // Batches of one kind of one org (`kind:orgId`) that gave way in a row.
  const gaveWay = new Map<string, number>()
  let lastCheckpoint = 0

  /** Passive WAL checkpoint: it neither waits for nor blocks other connections. */
  function checkpoint(): void {
    const { walPages } = checkpointPassive(db)
    // SQLite starts the WAL over from its beginning only after a checkpoint that copied all of it,
    // which one running beside steady writes never does: the WAL would grow until the HTTP
    // thread's backstop checkpoint. Past WAL_RESTART_PAGES, finish it under the write gate: the
    // pages written meanwhile are left, but with its two fsyncs this holds the gate for ~5–15 ms
    // here, so it is kept rare (every few seconds of a sustained push, never at normal load).
    if (walPages >= WAL_RESTART_PAGES) underWriteGate(db, () => checkpointPassive(db))
  }

  return {
    batchLimits: onThread ? THREAD_BATCH_LIMITS : undefined,
    maintainEveryMs: onThread ? CHECKPOINT_MS : undefined,
    async mayGiveWay<T>(key: string, lagSeconds: number, run: () => Promise<T>): Promise<T | null> {
      if (!onThread) return run()
      const inARow = gaveWay.get(key) ?? 0
      allowYield(db, inARow >= GIVE_WAY_IN_A_ROW ? 0 : yieldWindowMs(lagSeconds))
      deferToPriority(db, lagSeconds < DEFER_UNTIL_LAG_SECONDS)
      try {
        const result = await run()
        gaveWay.delete(key)
        return result
      } catch (error) {
        if (!(error instanceof WriteGateYield)) throw error
        gaveWay.set(key, inARow + 1)
        return null
      } finally {
        allowYield(db, 0)
        deferToPriority(db, true)
      }
    },
    waitedMs: () => writeGateStats(db)?.waitedMs ?? 0,
    maintain(): void {
      if (!onThread || performance.now() - lastCheckpoint < CHECKPOINT_MS) return
      lastCheckpoint = performance.now()
      checkpoint()
    },
    stats: () => {
      const stats = writeGateStats(db)
      return stats ? { ...stats } : null
    },
    shareWithThread(): PacingHandoff {
      const writeGate = createWriteGate()
      useWriteGate(db, writeGate, true)
      return { writeGate }
    },
    threadReady: () => setAutoCheckpoint(db, BACKSTOP_CHECKPOINT_PAGES),
    runsHere: () => setAutoCheckpoint(db, AUTO_CHECKPOINT_PAGES),
  }
}
