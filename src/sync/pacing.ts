/**
 * How big and how long the scheduler's feed work is, whatever the engine: each feed batch sized
 * from the measured cost per change to a time budget (when there is one), and how long one feed turn
 * keeps applying batches behind a backlog before the loop moves on. The engine's own knobs (SQLite's
 * write gate, checkpoints, the budgets its scheduler thread wants) are the store's: `store.pacing`.
 *
 * Without a budget (PostgreSQL: no write gate to hold briefly) a batch's cost is mostly its dozen
 * round trips, not its rows; while the org is behind, batches grow with the lag (up to
 * `maxFeedBatchSize`) so those round trips are shared by more changes — on a busy machine each one
 * waits for a core twice (docs/benchmarks.md, "PostgreSQL").
 */
import type { FeedBatchResult } from './feed.ts'

export interface FeedPacingOptions {
  feedBatchSize: number
  /** Size each feed batch (≤ feedBatchSize) to take about this long, given the org's lag in seconds. */
  feedBudgetMs?: (lagSeconds: number) => number
  /**
   * Without a time budget: how large a feed batch may grow while the org is behind — by one
   * feedBatchSize per second of lag, from feedBatchSize caught up (default: feedBatchSize, no growth).
   */
  maxFeedBatchSize?: number
  /** How long one feed turn applies batches behind a backlog; default: grows with the lag. */
  feedSliceMs?: number
  now: () => number
}

export function feedPacing(options: FeedPacingOptions) {
  const { feedBatchSize, feedBudgetMs, feedSliceMs, now } = options
  const maxFeedBatchSize = Math.max(feedBatchSize, options.maxFeedBatchSize ?? feedBatchSize)
  // Measured cost of one change (ms) and each org's lag as of its last batch (s).
  let msPerChange = 0.05
  const lagOf = new Map<string, number>()
  return {
    /** The org's lag in seconds as of its last feed batch (0 when caught up or not seen yet). */
    lagSeconds: (orgId: string): number => lagOf.get(orgId) ?? 0,
    /** How many changes the org's next feed batch may take. */
    limit(orgId: string): number {
      const lagSeconds = lagOf.get(orgId) ?? 0
      if (feedBudgetMs === undefined)
        return Math.min(maxFeedBatchSize, Math.round(feedBatchSize * (1 + lagSeconds)))
      const budget = feedBudgetMs(lagSeconds)
      return Math.max(16, Math.min(feedBatchSize, Math.floor(budget / msPerChange)))
    },
    /** Learns from a batch of at most `limit` changes that took `ms` (its wait to write left out). */
    learn(orgId: string, result: FeedBatchResult, limit: number, ms: number): void {
      if (result.applied > 0) msPerChange = 0.7 * msPerChange + 0.3 * (ms / result.applied)
      const behind = result.applied === limit && result.oldestAt !== null
      lagOf.set(orgId, behind ? (now() - (result.oldestAt as number)) / 1000 : 0)
    },
    /**
     * How long a feed turn keeps applying batches while `lagSeconds` behind. Sharing the thread with
     * SCIM it grows with the lag: 10 ms + 20 ms per second of lag, at most 60 ms before yielding —
     * what keeps the lag bounded while SCIM writes keep arriving.
     */
    sliceMs: (lagSeconds: number): number => feedSliceMs ?? Math.min(60, 10 + 20 * lagSeconds),
  }
}

export type FeedPacing = ReturnType<typeof feedPacing>
