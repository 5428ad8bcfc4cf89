/**
 * The scheduler's batch runners, one per kind of work of an org: the change feed, a full-reconcile
 * step, a removal step, and starting a due full reconcile. Each runs its batch (one transaction
 * under the org's lease, see feed.ts / reconcile.ts / removal.ts), reports it, and answers how much
 * work it did — 0 tells the loop that this org may rest. A failure backs that kind of work off
 * (./outcomes.ts); a batch whose items include one that cannot be applied goes down the shared
 * poison-item ladder (./poison.ts) first.
 */
import type { Logger } from '../observability/log.ts'
import type { Store } from '../store/index.ts'
import { applyFeedBatch, type FeedBatchResult, skipPoisonChange } from './feed.ts'
import type { BatchOutcomes } from './outcomes.ts'
import type { FeedPacing } from './pacing.ts'
import { isolatePoison } from './poison.ts'
import { type ReconcileBatchResult, reconcileBatch, startFullReconcile } from './reconcile.ts'
import { removalBatch } from './removal.ts'

export interface RunnerDeps {
  store: Store
  log: Logger
  holder: string
  leaseMs: number
  now: () => number
  reconcileBatchSize: number
  reconcileBudgetMs: number
  removalBatchSize: number
  feed: FeedPacing
  outcomes: BatchOutcomes
  /** Orgs whose lease this scheduler took (released on stop). */
  held: Set<string>
}

export function batchRunners(deps: RunnerDeps) {
  const { store, log, holder, leaseMs, now, outcomes, held } = deps
  const pacing = store.pacing

  /** One feed batch that may give way to the request-serving thread (null if it did). */
  const feedBatch = (orgId: string, limit: number): Promise<FeedBatchResult | null> => {
    const run = () => applyFeedBatch(store, orgId, { holder, leaseMs, limit, now: now() })
    return pacing ? pacing.mayGiveWay(`feed:${orgId}`, deps.feed.lagSeconds(orgId), run) : run()
  }

  /** The org's change feed: batches back to back for one time slice while it is behind. */
  async function feed(orgId: string): Promise<number> {
    const start = outcomes.begin()
    let limit = deps.feed.limit(orgId)
    try {
      const first = await isolatePoison<FeedBatchResult | 'gave way' | 'skipped'>({
        batch: async () => (await feedBatch(orgId, limit)) ?? 'gave way',
        one: () => applyFeedBatch(store, orgId, { holder, leaseMs, limit: 1, now: now() }),
        skip: async (reason) => {
          const seq = await skipPoisonChange(store, orgId, reason, now())
          log.error('sync change skipped', { org: orgId, seq, error: reason })
          return 'skipped'
        },
      })
      // Either way work remains: no idle pause.
      if (first === 'gave way' || first === 'skipped') return 1
      let result: FeedBatchResult | null = first
      if (result.leaseHeld) held.add(orgId)
      if (result.applied > 0) outcomes.record('feed', orgId, result.applied, start, result.changeTimes)
      deps.feed.learn(orgId, result, limit, outcomes.workMs(start))
      let applied = result.applied
      // Behind a backlog, keep applying (still one short transaction per batch) for a time slice.
      while (result.applied === limit && result.oldestAt !== null) {
        const lagSeconds = (now() - result.oldestAt) / 1000
        if (performance.now() - start.at > deps.feed.sliceMs(lagSeconds)) break
        const next = outcomes.begin()
        limit = deps.feed.limit(orgId)
        result = await feedBatch(orgId, limit)
        if (result === null) break
        if (result.applied > 0) outcomes.record('feed', orgId, result.applied, next, result.changeTimes)
        deps.feed.learn(orgId, result, limit, outcomes.workMs(next))
        applied += result.applied
      }
      return applied
    } catch (error) {
      await outcomes.failed('feed', orgId, error)
      return 0
    }
  }

  /** One full-reconcile step of the org. */
  async function reconcile(orgId: string): Promise<number> {
    const start = outcomes.begin()
    const batch = (limit: number, skipOne?: string) =>
      reconcileBatch(store, orgId, {
        holder,
        leaseMs,
        limit,
        budgetMs: deps.reconcileBudgetMs,
        now: now(),
        skipOne,
      })
    try {
      const result: ReconcileBatchResult = await isolatePoison({
        batch: () => batch(deps.reconcileBatchSize),
        one: () => batch(1),
        skip: (reason) => {
          log.error('sync full reconcile skipped an item', { org: orgId, error: reason })
          return batch(1, reason)
        },
      })
      if (result.leaseHeld) held.add(orgId)
      if (result.processed > 0 || result.finished)
        outcomes.record('reconcile', orgId, result.processed, start)
      if (result.finished) {
        const [state, org] = await Promise.all([store.syncState.get(orgId), store.orgs.byId(orgId)])
        log.info('sync full reconcile finished', {
          org: org?.slug ?? orgId,
          processed: state?.reconcile_processed ?? 0,
          durationMs: (state?.reconcile_finished_at ?? 0) - (state?.reconcile_started_at ?? 0),
        })
      }
      // A step that only moved the cursor (an empty phase) is work too: `drain` goes on after it.
      return result.processed + (result.finished || result.moved ? 1 : 0)
    } catch (error) {
      await outcomes.failed('reconcile', orgId, error)
      return 0
    }
  }

  /** One removal step of the org (its integration was removed). */
  async function removal(orgId: string): Promise<number> {
    const start = outcomes.begin()
    try {
      const result = await removalBatch(store, orgId, {
        holder,
        leaseMs,
        limit: deps.removalBatchSize,
        now: now(),
      })
      if (result.leaseHeld) held.add(orgId)
      outcomes.record('removal', orgId, result.deleted, start)
      if (result.finished)
        log.info('sync removal finished', { org: (await store.orgs.byId(orgId))?.slug ?? orgId })
      return result.leaseHeld ? result.deleted + 1 : 0
    } catch (error) {
      await outcomes.failed('removal', orgId, error)
      return 0
    }
  }

  /** Starts the org's due full reconcile, under its lease. */
  async function startDue(orgId: string): Promise<number> {
    try {
      return await store.transaction(async (tx) => {
        if (!(await tx.leases.tryAcquire(`sync:${orgId}`, holder, now(), leaseMs))) return 0
        held.add(orgId)
        return (await startFullReconcile(tx, orgId, now())) ? 1 : 0
      })
    } catch (error) {
      await outcomes.failed('reconcile', orgId, error)
      return 0
    }
  }

  return { feed, reconcile, removal, startDue }
}

export type BatchRunners = ReturnType<typeof batchRunners>
