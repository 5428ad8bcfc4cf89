/**
 * The change-feed consumer: applies the next bounded batch of an org's `directory_changes` after
 * its checkpoint, in one short IMMEDIATE transaction that also advances the checkpoint and renews
 * the org's lease. A crash before the commit leaves nothing applied; after it, everything is, so a
 * restarted process resumes exactly where the last commit stopped.
 *
 * A user or group change is applied by reading the resource's current directory state, so repeating
 * it is harmless and several changes of one resource in a batch collapse into one; a membership
 * change is announced with its seq as the event's key, so repeating it writes nothing new. The
 * events keep the order of the changes (see `applyInOrder`): a downstream app reads the directory's
 * story in the order it happened.
 */
import type { Store } from '../store/index.ts'
import type { DirectoryChangeRow } from '../store/sync.ts'
import { type ApplyContext, createApplyContext } from './context.ts'
import { applyGroup, applyMembership, recomputeRoles } from './groups.ts'
import { startFullReconcile } from './reconcile.ts'
import { applyUser } from './users.ts'

export interface FeedBatchResult {
  /** Changes consumed (0 when the org was already in sync or someone else holds its lease). */
  applied: number
  lastSeq: number
  /** Time of the oldest change applied (for the lag measurement), or null. */
  oldestAt: number | null
  leaseHeld: boolean
  /** When each consumed change was written (for lag measurements). */
  changeTimes: number[]
}

export async function applyChange(ctx: ApplyContext, change: DirectoryChangeRow): Promise<void> {
  if (change.kind === 'user') await applyUser(ctx, change.resource_id)
  else if (change.kind === 'group') await applyGroup(ctx, change.resource_id)
  else if (change.kind === 'membership' && change.related_id) await applyMembership(ctx, change)
}

/** Whether the directory still has this user or group. */
async function inDirectory(ctx: ApplyContext, change: DirectoryChangeRow): Promise<boolean> {
  if (change.kind === 'user')
    return Boolean(await ctx.store.directoryRead.user(ctx.orgId, change.resource_id))
  return Boolean(await ctx.store.directoryRead.group(ctx.orgId, change.resource_id))
}

/** Whether the org state has never heard of this user or group (its first appearance). */
async function isNew(ctx: ApplyContext, change: DirectoryChangeRow): Promise<boolean> {
  if (change.kind === 'user') return !(await ctx.store.accounts.byScimUser(ctx.orgId, change.resource_id))
  return !(await ctx.store.syncMirror.group(ctx.orgId, change.resource_id))
}

/**
 * Reads, in one query per kind, what applying these changes reads: the users' and groups' directory
 * and org-side rows, and for memberships the member's account (its id goes into the event).
 */
function prefetchChanges(ctx: ApplyContext, changes: DirectoryChangeRow[]): Promise<void> {
  const users: string[] = []
  const accounts: string[] = []
  const groups: string[] = []
  for (const change of changes) {
    if (change.kind === 'user') users.push(change.resource_id)
    else groups.push(change.resource_id)
    if (change.kind === 'membership' && change.related_id) accounts.push(change.related_id)
  }
  return ctx.prefetch({ users, accounts, groups })
}

/**
 * Applies a batch's changes so that the events follow the changes' order. Several changes of one
 * user or group collapse into one application of its current state, made at its *last* change in
 * the batch — where that state became true — except that a resource the org state does not know
 * yet is created at its *first* change, before the memberships in the batch that name it, and a
 * deleted one is applied only at its `delete` change (always its last, ids are never reused): from
 * an earlier change, in this batch or a previous one, its deletion would come before the membership
 * removals that preceded it. Membership changes are each announced (an add and a later remove are
 * both history).
 */
export async function applyInOrder(ctx: ApplyContext, changes: DirectoryChangeRow[]): Promise<void> {
  await prefetchChanges(ctx, changes)
  const key = (change: DirectoryChangeRow) => `${change.kind}:${change.resource_id}`
  const last = new Map<string, number>()
  changes.forEach((change, index) => {
    if (change.kind !== 'membership') last.set(key(change), index)
  })
  const seen = new Set<string>()
  for (const [index, change] of changes.entries()) {
    if (change.kind === 'membership') {
      await applyChange(ctx, change)
      continue
    }
    const first = !seen.has(key(change))
    seen.add(key(change))
    if (change.op !== 'delete' && !(await inDirectory(ctx, change))) continue
    if (last.get(key(change)) === index || (first && (await isNew(ctx, change))))
      await applyChange(ctx, change)
  }
}

export async function applyFeedBatch(
  store: Store,
  orgId: string,
  options: { holder: string; leaseMs: number; limit: number; now?: number },
): Promise<FeedBatchResult> {
  const now = options.now ?? Date.now()
  return store.transaction(async (tx) => {
    // Sent together (one round trip on PostgreSQL); ensuring the state row is harmless without
    // the lease.
    const [held, state] = await Promise.all([
      tx.leases.tryAcquire(`sync:${orgId}`, options.holder, now, options.leaseMs),
      tx.syncState.ensure(orgId, now),
    ])
    if (!held) return { applied: 0, lastSeq: 0, oldestAt: null, leaseHeld: false, changeTimes: [] }
    // During a removal the directory is being deleted; its pending changes die with it.
    if (state.removal_running === 1)
      return { applied: 0, lastSeq: state.applied_seq, oldestAt: null, leaseHeld: true, changeTimes: [] }
    // Independent reads go out together (on PostgreSQL they share one round trip).
    const [changes, ctx] = await Promise.all([
      tx.syncState.changesAfter(orgId, state.applied_seq, options.limit),
      createApplyContext(tx, orgId, now),
    ])
    const last = changes.at(-1)
    if (!last)
      return { applied: 0, lastSeq: state.applied_seq, oldestAt: null, leaseHeld: true, changeTimes: [] }
    await applyInOrder(ctx, changes)
    await recomputeRoles(ctx)
    await Promise.all([ctx.flush(), tx.syncState.advance(orgId, last.seq, now)])
    if (ctx.needsFullReconcile) await startFullReconcile(tx, orgId, now)
    // One summary row per batch keeps the audit log readable during a push of a million changes;
    // security-relevant changes (deactivation, deletion, merge, role change) have their own rows.
    const summary = {
      orgId,
      kind: 'sync' as const,
      action: 'sync.batch',
      outcome: 'success' as const,
      actor: 'sync',
      data: { changes: changes.length, fromSeq: changes[0]?.seq, toSeq: last.seq, ...ctx.counts },
    }
    if (Object.keys(ctx.counts).length > 0) await tx.audit.record(summary, now)
    return {
      applied: changes.length,
      lastSeq: last.seq,
      oldestAt: changes[0]?.at ?? null,
      leaseHeld: true,
      changeTimes: changes.map((c) => c.at),
    }
  })
}

/**
 * Skips one change that cannot be applied (a bug or corrupt row must not stall the org forever):
 * the checkpoint moves past it, the audit log and `last_error` say why, the next full reconcile
 * repairs whatever the change meant.
 */
export async function skipPoisonChange(
  store: Store,
  orgId: string,
  error: string,
  now = Date.now(),
): Promise<number | null> {
  return store.transaction(async (tx) => {
    const state = await tx.syncState.ensure(orgId, now)
    const change = (await tx.syncState.changesAfter(orgId, state.applied_seq, 1))[0]
    if (!change) return null
    await tx.syncState.advance(orgId, change.seq, now)
    await tx.syncState.setError(orgId, `change ${change.seq} skipped: ${error}`, now)
    await tx.audit.record(
      {
        orgId,
        kind: 'sync',
        action: 'sync.change_skipped',
        outcome: 'failure',
        actor: 'sync',
        subject: change.resource_id,
        reason: error,
        data: { seq: change.seq, kind: change.kind, op: change.op },
      },
      now,
    )
    return change.seq
  })
}
