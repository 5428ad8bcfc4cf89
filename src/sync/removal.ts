/**
 * Removal of an org's integration, after `removeIntegration` took the SCIM token away and set
 * `removal_running` with the dry run's count. Bounded batches, each one transaction, each moving
 * `removal_deleted` forward, in this order:
 *   1. accounts created via the integration: sessions ended, account deleted (linked identities
 *      go with it), its SCIM user deleted — counted;
 *   2. pre-existing accounts merged with a provisioned user: sessions ended, unlinked (they stay),
 *      their SCIM user deleted — not counted;
 *   3. provisioned users still waiting as duplicates: deleted — not counted;
 *   4. provisioned users that never became an account: deleted — counted (the dry run counts them);
 *   5. groups and their memberships, the announced groups, the change feed; then done.
 * Steps 1–3 delete the SCIM user together with its account row, so step 4 sees exactly the users
 * the dry run counted as account-less, whatever the order. Every statement names the org.
 */
import { endSessionsOf } from '../sessions/service.ts'
import type { Store } from '../store/index.ts'
import { createApplyContext } from './context.ts'

export interface RemovalBatchResult {
  deleted: number
  finished: boolean
  leaseHeld: boolean
}

export function removalBatch(
  store: Store,
  orgId: string,
  options: { holder: string; leaseMs: number; limit: number; now?: number },
): RemovalBatchResult {
  const now = options.now ?? Date.now()
  const { limit } = options
  return store.transaction(() => {
    if (!store.leases.tryAcquire(`sync:${orgId}`, options.holder, now, options.leaseMs)) {
      return { deleted: 0, finished: false, leaseHeld: false }
    }
    const state = store.syncState.ensure(orgId, now)
    if (state.removal_running !== 1) return { deleted: 0, finished: false, leaseHeld: true }
    const ctx = createApplyContext(store, orgId, now)
    let deleted = 0
    const progress = () => {
      store.syncState.removalProgress(orgId, state.removal_deleted + deleted, now)
      return { deleted, finished: false, leaseHeld: true }
    }

    const created = store.accounts.createdViaIntegration(orgId, limit)
    for (const account of created) {
      endSessionsOf(store, orgId, account.id)
      store.accounts.remove(orgId, account.id)
      if (account.scim_user_id) store.removal.deleteScimUser(orgId, account.scim_user_id)
      ctx.emit('account.deleted', {
        accountId: account.id,
        data: { email: account.email, reason: 'integration removed' },
      })
      deleted++
    }
    if (created.length > 0) return progress()

    const merged = store.accounts.mergedLinked(orgId, limit)
    for (const account of merged) {
      const scimUserId = account.scim_user_id as string
      // Their sessions came from Okta sign-in, which no longer exists for this org.
      endSessionsOf(store, orgId, account.id)
      store.accounts.setScimUser(orgId, account.id, null, now)
      store.removal.deleteScimUser(orgId, scimUserId)
      ctx.emit('account.updated', {
        accountId: account.id,
        data: { unlinked: { scimUserId, reason: 'integration removed' } },
      })
    }
    if (merged.length > 0) return progress()

    const waiting = store.removal.pendingDuplicates(orgId, limit)
    for (const scimUserId of waiting) {
      store.removal.deleteScimUser(orgId, scimUserId)
    }
    if (waiting.length > 0) return progress()

    const orphans = store.removal.orphanUsers(orgId, limit)
    for (const scimUserId of orphans) {
      store.removal.deleteScimUser(orgId, scimUserId)
      deleted++
    }
    if (orphans.length > 0) return progress()

    // Groups: memberships in chunks (a group may have 100k members), then the group itself.
    let budget = limit * 10
    for (const groupId of store.removal.groups(orgId, limit)) {
      let removed = store.removal.deleteGroupMembers(groupId, budget)
      budget -= removed
      while (removed > 0 && budget > 0) {
        removed = store.removal.deleteGroupMembers(groupId, budget)
        budget -= removed
      }
      if (budget <= 0) return progress()
      store.removal.deleteGroup(orgId, groupId)
      budget--
    }
    if (budget < limit * 10) return progress()
    store.syncMirror.clearGroups(orgId)
    const lastSeq = store.removal.lastSeq(orgId)
    if (store.removal.deleteChanges(orgId, limit * 10) > 0) {
      store.syncState.advance(orgId, Math.max(state.applied_seq, lastSeq), now)
      return progress()
    }
    store.syncState.finishRemoval(orgId, lastSeq, now)
    store.audit.record(
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
