/**
 * Removal of an org's integration, after `removeIntegration` took the SCIM token away and set
 * `removal_running` with the dry run's count. Bounded batches, each one transaction, each moving
 * `removal_deleted` forward, in this order:
 *   1. groups and their memberships;
 *   2. accounts created via the integration: sessions ended, account deleted (linked identities
 *      go with it), its SCIM user deleted — counted;
 *   3. pre-existing accounts merged with a provisioned user: sessions ended, unlinked (they stay),
 *      their SCIM user deleted — not counted;
 *   4. provisioned users still waiting as duplicates: deleted — not counted;
 *   5. provisioned users that never became an account: deleted — counted (the dry run counts them);
 *   6. the announced groups and the change feed; then done.
 * Steps 2–4 delete the SCIM user together with its account row, so step 5 sees exactly the users
 * the dry run counted as account-less, whatever the order. Every step deletes its chunk as a set
 * (a few statements per batch, see store/removal.ts). Every statement names the org.
 */
import type { Store } from '../store/index.ts'
import { createApplyContext } from './context.ts'

/**
 * Memberships and groups a batch deletes per account of its `limit`: a membership rewrites a random
 * page of the by-user index, so 20 cost about what one account does.
 */
const CHUNK_PER_ACCOUNT = 20
/**
 * Change-feed entries a batch deletes per account of its `limit`: they go in their key's order, on
 * pages no other index shares, so 100 cost about what one account does (1.1 million entries at 100,000
 * users: 110 batches instead of 550).
 */
const FEED_CHUNK_PER_ACCOUNT = 100

export interface RemovalBatchResult {
  deleted: number
  finished: boolean
  leaseHeld: boolean
}

export async function removalBatch(
  store: Store,
  orgId: string,
  options: { holder: string; leaseMs: number; limit: number; now?: number },
): Promise<RemovalBatchResult> {
  const now = options.now ?? Date.now()
  const { limit } = options
  return store.transaction(async (tx) => {
    if (!(await tx.leases.tryAcquire(`sync:${orgId}`, options.holder, now, options.leaseMs))) {
      return { deleted: 0, finished: false, leaseHeld: false }
    }
    const state = await tx.syncState.ensure(orgId, now)
    if (state.removal_running !== 1) return { deleted: 0, finished: false, leaseHeld: true }
    const ctx = await createApplyContext(tx, orgId, now)
    let deleted = 0
    const progress = async (): Promise<RemovalBatchResult> => {
      await tx.syncState.removalProgress(orgId, state.removal_deleted + deleted, now)
      return { deleted, finished: false, leaseHeld: true }
    }

    // Groups first: memberships in chunks (a group may have 100k members), then the group itself.
    // Deleted group by group they go in their primary key's order; deleted with each user (by the
    // cascade) they would rewrite a random page of that key per membership.
    let budget = limit * CHUNK_PER_ACCOUNT
    for (const groupId of await tx.removal.groups(orgId, limit)) {
      let removed = await tx.removal.deleteGroupMembers(groupId, budget)
      budget -= removed
      while (removed > 0 && budget > 0) {
        removed = await tx.removal.deleteGroupMembers(groupId, budget)
        budget -= removed
      }
      if (budget <= 0) return progress()
      await tx.removal.deleteGroup(orgId, groupId)
      budget--
    }
    // All groups gone with budget to spare: on to the accounts in the same batch.

    const created = await tx.removal.deleteCreatedAccounts(orgId, limit)
    for (const account of created.accounts) {
      await ctx.emit('account.deleted', {
        accountId: account.id,
        data: { email: account.email, reason: 'integration removed' },
      })
    }
    await ctx.flush()
    deleted += created.accounts.length
    if (created.accounts.length > 0) return progress()

    // Their sessions came from Okta sign-in, which no longer exists for this org.
    const merged = await tx.removal.unlinkMergedAccounts(orgId, limit, now)
    for (const account of merged.accounts) {
      await ctx.emit('account.updated', {
        accountId: account.id,
        data: { unlinked: { scimUserId: account.scim_user_id, reason: 'integration removed' } },
      })
    }
    await ctx.flush()
    if (merged.accounts.length > 0) return progress()

    if ((await tx.removal.deleteWaitingDuplicates(orgId, limit)) > 0) return progress()

    deleted += await tx.removal.deleteOrphanUsers(orgId, limit)
    if (deleted > 0) return progress()

    await tx.syncMirror.clearGroups(orgId)
    const lastSeq = await tx.removal.lastSeq(orgId)
    if ((await tx.removal.deleteChanges(orgId, limit * FEED_CHUNK_PER_ACCOUNT)) > 0) {
      await tx.syncState.advance(orgId, Math.max(state.applied_seq, lastSeq), now)
      return progress()
    }
    await tx.syncState.finishRemoval(orgId, lastSeq, now)
    await tx.audit.record(
      {
        orgId,
        kind: 'sync',
        action: 'integration.removal_finished',
        outcome: 'success',
        actor: 'sync',
        data: { deletedUsers: state.removal_deleted, expected: state.removal_total },
      },
      now,
    )
    return { deleted: 0, finished: true, leaseHeld: true }
  })
}
