/** Scheduler state per org: the change-feed checkpoint, full reconcile and removal progress. */
import type { Db } from './database.ts'

export interface SyncStateRow {
  org_id: string
  applied_seq: number
  reconcile_running: number
  reconcile_cursor: string | null
  reconcile_processed: number
  reconcile_total: number
  reconcile_started_at: number | null
  reconcile_finished_at: number | null
  last_full_reconcile_at: number | null
  removal_running: number
  removal_deleted: number
  removal_total: number
  last_error: string | null
  updated_at: number
}

export function syncStateRepository(db: Db) {
  const get = db.query<SyncStateRow, [string]>('SELECT * FROM sync_state WHERE org_id = ?')
  const ensure = db.query(
    'INSERT INTO sync_state (org_id, updated_at) VALUES (?, ?) ON CONFLICT (org_id) DO NOTHING',
  )
  const pending = db.query<{ n: number; oldest: number | null }, [string, number]>(
    'SELECT count(*) AS n, min(at) AS oldest FROM directory_changes WHERE org_id = ? AND seq > ?',
  )
  const startRemoval = db.query(
    `UPDATE sync_state SET removal_running = 1, removal_deleted = 0, removal_total = ?, updated_at = ?
     WHERE org_id = ?`,
  )
  return {
    get: (orgId: string) => get.get(orgId),
    ensure(orgId: string): SyncStateRow {
      ensure.run(orgId, Date.now())
      return get.get(orgId) as SyncStateRow
    },
    /** Unapplied directory changes after the checkpoint, and the time of the oldest. */
    pending(orgId: string, appliedSeq: number): { count: number; oldestAt: number | null } {
      const row = pending.get(orgId, appliedSeq)
      return { count: row?.n ?? 0, oldestAt: row?.oldest ?? null }
    },
    startRemoval(orgId: string, total: number): void {
      ensure.run(orgId, Date.now())
      startRemoval.run(total, Date.now(), orgId)
    },
  }
}
