/**
 * The admin's resync: merges every recorded duplicate pair (the pre-existing account keeps its
 * data, links and source and takes the Okta identity) and starts a full reconcile. The dry run
 * answers with exactly the merges the real run would make.
 */
import { conflict, ServiceError } from '../errors.ts'
import type { Org } from '../orgs/service.ts'
import type { Store } from '../store/index.ts'
import { createApplyContext } from './context.ts'
import { recomputeRoles } from './groups.ts'
import { profileOf } from './profile.ts'
import { startFullReconcile } from './reconcile.ts'
import { mergeInto } from './users.ts'

export interface Merge {
  keep: { id: string; email: string }
  absorb: { id: string; email: string }
}

export interface ResyncResult {
  merges: Merge[]
  fullReconcileStarted: boolean
}

const PAGE = 500

function assertCanResync(store: Store, org: Org): void {
  if (!store.integrations.get(org.id)) {
    throw new ServiceError(404, 'NOT_CONFIGURED', 'the Okta integration is not set up for this organization')
  }
  if (store.syncState.get(org.id)?.removal_running === 1) {
    throw conflict('REMOVAL_IN_PROGRESS', 'the integration is being removed; there is nothing to resync')
  }
}

/** One page of pairs after `after`; merges them unless `dryRun`. Runs in one transaction. */
function resyncPage(
  store: Store,
  org: Org,
  after: string,
  dryRun: boolean,
  actor: string,
): { merges: Merge[]; last: string | null } {
  return store.transaction(() => {
    assertCanResync(store, org)
    const now = Date.now()
    const ctx = createApplyContext(store, org.id, now, actor)
    const merges: Merge[] = []
    const page = store.duplicates.page(org.id, after, PAGE)
    for (const pair of page) {
      const account = store.accounts.byId(org.id, pair.account_id)
      const user = store.directoryRead.user(org.id, pair.scim_user_id)
      // A pair whose account got linked to another provisioned user meanwhile cannot merge.
      if (!account || !user || account.scim_user_id !== null) continue
      merges.push({
        keep: { id: account.id, email: account.email },
        absorb: { id: user.id, email: profileOf(user).email },
      })
      if (!dryRun) mergeInto(ctx, account, user, pair.matched_on, 'resync')
    }
    recomputeRoles(ctx)
    return { merges, last: page.at(-1)?.scim_user_id ?? null }
  })
}

export function resync(store: Store, org: Org, options: { dryRun: boolean; actor: string }): ResyncResult {
  assertCanResync(store, org)
  const merges: Merge[] = []
  let after = ''
  for (;;) {
    const page = resyncPage(store, org, after, options.dryRun, options.actor)
    merges.push(...page.merges)
    if (page.last === null) break
    after = page.last
  }
  if (options.dryRun) return { merges, fullReconcileStarted: false }
  const started = store.transaction(() => {
    const ok = startFullReconcile(store, org.id)
    store.audit.record({
      orgId: org.id,
      kind: 'admin',
      action: 'resync',
      outcome: 'success',
      actor: options.actor,
      data: { merges: merges.length, fullReconcileStarted: ok },
    })
    return ok
  })
  return { merges, fullReconcileStarted: started }
}
