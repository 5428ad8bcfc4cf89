/**
 * Feed batch sizes (src/sync/pacing.ts), plain arithmetic on a fake clock: with a time budget
 * (SQLite's scheduler thread) the size follows the measured cost per change; without one
 * (PostgreSQL) it grows with the org's lag up to `maxFeedBatchSize`, and is back to `feedBatchSize`
 * once a batch finds the org caught up.
 */
import { describe, expect, test } from 'bun:test'
import type { FeedBatchResult } from '../../src/sync/feed.ts'
import { feedPacing } from '../../src/sync/pacing.ts'

/** A batch that applied `applied` changes, the oldest written at `oldestAt`. */
const batch = (applied: number, oldestAt: number | null): FeedBatchResult => ({
  applied,
  lastSeq: applied,
  oldestAt,
  leaseHeld: true,
  changeTimes: [],
})

describe('feed batches without a time budget', () => {
  test('grow by one feedBatchSize per second of lag, up to maxFeedBatchSize', () => {
    let clock = 100_000
    const pacing = feedPacing({ feedBatchSize: 500, maxFeedBatchSize: 2000, now: () => clock })
    expect(pacing.limit('org')).toBe(500)
    // A full batch whose oldest change was written 0.5 s ago: behind by half a second.
    pacing.learn('org', batch(500, clock - 500), 500, 20)
    expect(pacing.lagSeconds('org')).toBe(0.5)
    expect(pacing.limit('org')).toBe(750)
    clock += 1000
    pacing.learn('org', batch(750, clock - 1500), 750, 30)
    expect(pacing.limit('org')).toBe(1250)
    clock += 1000
    pacing.learn('org', batch(1250, clock - 10_000), 1250, 40)
    expect(pacing.limit('org')).toBe(2000)
  })

  test('a batch short of its limit means caught up: back to feedBatchSize', () => {
    const clock = 50_000
    const pacing = feedPacing({ feedBatchSize: 500, maxFeedBatchSize: 2000, now: () => clock })
    pacing.learn('org', batch(500, clock - 4000), 500, 20)
    expect(pacing.limit('org')).toBe(2000)
    pacing.learn('org', batch(120, clock - 100), 2000, 5)
    expect(pacing.lagSeconds('org')).toBe(0)
    expect(pacing.limit('org')).toBe(500)
  })

  test('each org has its own lag', () => {
    const clock = 10_000
    const pacing = feedPacing({ feedBatchSize: 100, maxFeedBatchSize: 400, now: () => clock })
    pacing.learn('behind', batch(100, clock - 2000), 100, 5)
    expect(pacing.limit('behind')).toBe(300)
    expect(pacing.limit('other')).toBe(100)
  })

  test('without maxFeedBatchSize the size stays feedBatchSize however far behind', () => {
    const clock = 10_000
    const pacing = feedPacing({ feedBatchSize: 500, now: () => clock })
    pacing.learn('org', batch(500, clock - 30_000), 500, 20)
    expect(pacing.limit('org')).toBe(500)
  })
})

describe('feed batches with a time budget', () => {
  test('follow the budget over the measured cost per change, within 16 … feedBatchSize', () => {
    const clock = 10_000
    const pacing = feedPacing({
      feedBatchSize: 500,
      maxFeedBatchSize: 2000,
      feedBudgetMs: (lagSeconds) => (lagSeconds > 1 ? 20 : 5),
      now: () => clock,
    })
    // The default estimate is 0.05 ms per change: 5 ms → 100 changes.
    expect(pacing.limit('org')).toBe(100)
    // 100 changes in 10 ms: the estimate moves to 0.7 × 0.05 + 0.3 × 0.1 = 0.065 ms per change.
    pacing.learn('org', batch(100, clock - 2000), 100, 10)
    expect(pacing.limit('org')).toBe(Math.floor(20 / 0.065))
    // Very cheap changes: capped at feedBatchSize (the growth without a budget does not apply).
    for (let i = 0; i < 20; i++) pacing.learn('org', batch(300, clock - 2000), 300, 0.3)
    expect(pacing.limit('org')).toBe(500)
  })
})
