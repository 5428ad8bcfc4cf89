/**
 * The admin's resync: merges every recorded duplicate pair (the pre-existing account keeps its
 * data, links and source and takes the Okta identity) and starts a full reconcile. The dry run
 * answers with exactly the merges the real run would make.
 */
import { conflict, ServiceError } from '../errors.ts'
import type { Org } from '../orgs/service.ts'
import type { Repositories, Store } from '../store/index.ts'
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

async function assertCanResync(store: Repositories, org: Org): Promise<void> {
  if (!(await store.integrations.get(org.id))) {
    throw new ServiceError(404, 'NOT_CONFIGURED', 'the Okta integration is not set up for this organization')
  }
  if ((await store.syncState.get(org.id))?.removal_running === 1) {
    throw conflict('REMOVAL_IN_PROGRESS', 'the integration is being removed; there is nothing to resync')
  }
}

/** One page of pairs after `after`; merges them unless `dryRun`. Runs in one transaction. */
async function resyncPage(
  store: Store,
  org: Org,
  after: string,
  dryRun: boolean,
  actor: string,
): Promise<{ merges: Merge[]; last: string | null }> {
  return store.transaction(async (tx) => {
    await assertCanResync(tx, org)
    const now = Date.now()
    const ctx = await createApplyContext(tx, org.id, now, actor)
    const merges: Merge[] = []
    const page = await tx.duplicates.page(org.id, after, PAGE)
    for (const pair of page) {
      const [account, user] = await Promise.all([
        tx.accounts.byId(org.id, pair.account_id),
        tx.directoryRead.user(org.id, pair.scim_user_id),
      ])
      // A pair whose account got linked to another provisioned user meanwhile cannot merge.
      if (!account || !user || account.scim_user_id !== null) continue
      merges.push({
        keep: { id: account.id, email: account.email },
        absorb: { id: user.id, email: profileOf(user).email },
      })
      if (!dryRun) await mergeInto(ctx, account, user, pair.matched_on, 'resync')
    }
    await recomputeRoles(ctx)
    await ctx.flush()
    return { merges, last: page.at(-1)?.scim_user_id ?? null }
  })
}

export async function resync(
  store: Store,
  org: Org,
  options: { dryRun: boolean; actor: string },
): Promise<ResyncResult> {
  await assertCanResync(store, org)
  const merges: Merge[] = []
  let after = ''
  for (;;) {
    const page = await resyncPage(store, org, after, options.dryRun, options.actor)
    merges.push(...page.merges)
    if (page.last === null) break
    after = page.last
  }
  if (options.dryRun) return { merges, fullReconcileStarted: false }
  const started = await store.transaction(async (tx) => {
    const ok = await startFullReconcile(tx, org.id)
    await tx.audit.record({
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
