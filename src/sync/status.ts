/** The scheduler's state for one org, as the admin API, the settings page and /metrics show it. */
import type { Repositories } from '../store/index.ts'
import type { SyncStatus } from './model.ts'

/** The name of an org's scheduler lease (taken in every batch's transaction, see feed.ts). */
const syncLeaseName = (orgId: string) => `sync:${orgId}`

async function holderOf(store: Repositories, orgId: string, now: number): Promise<string | null> {
  const lease = await store.leases.get(syncLeaseName(orgId))
  return lease && lease.expires_at > now ? lease.holder : null
}

const iso = (ms: number | null) => (ms == null ? null : new Date(ms).toISOString())

export async function syncStatus(store: Repositories, orgId: string, now = Date.now()): Promise<SyncStatus> {
  const state = await store.syncState.get(orgId)
  const appliedSeq = state?.applied_seq ?? 0
  const pending = await store.syncState.pending(orgId, appliedSeq)
  const running = state?.reconcile_running === 1
  const processed = state?.reconcile_processed ?? 0
  const total = state?.reconcile_total ?? 0
  let etaSeconds: number | null = null
  if (running && state?.reconcile_started_at && processed > 0) {
    const perItem = (now - state.reconcile_started_at) / processed
    etaSeconds = Math.max(0, Math.round((perItem * (total - processed)) / 1000))
  }
  const status: SyncStatus = {
    lagSeconds: pending.oldestAt == null ? 0 : Math.max(0, (now - pending.oldestAt) / 1000),
    pendingChanges: pending.count,
    fullReconcile: {
      running,
      processed,
      total,
      startedAt: iso(state?.reconcile_started_at ?? null),
      finishedAt: iso(state?.reconcile_finished_at ?? null),
      etaSeconds,
    },
    lastFullReconcileAt: iso(state?.last_full_reconcile_at ?? null),
    lastError: state?.last_error ?? null,
    holder: await holderOf(store, orgId, now),
  }
  if (state && (state.removal_running === 1 || state.removal_total > 0)) {
    status.removal = {
      running: state.removal_running === 1,
      deleted: state.removal_deleted,
      total: state.removal_total,
    }
  }
  return status
}
