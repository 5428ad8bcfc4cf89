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

export interface DirectoryChangeRow {
  seq: number
  org_id: string
  kind: 'user' | 'group' | 'membership'
  op: 'upsert' | 'delete' | 'add' | 'remove'
  resource_id: string
  related_id: string | null
  at: number
}

/** Orgs the scheduler has something to do for, and what. */
export interface OrgWork {
  org_id: string
  pending: number
  removal_running: number
  reconcile_running: number
  reconcile_due: number
}

export function syncStateRepository(db: Db) {
  const get = db.query<SyncStateRow, [string]>('SELECT * FROM sync_state WHERE org_id = ?')
  const ensure = db.query(
    'INSERT INTO sync_state (org_id, updated_at) VALUES (?, ?) ON CONFLICT (org_id) DO NOTHING',
  )
  const pendingCount = db.query<{ n: number }, [string, number]>(
    'SELECT count(*) AS n FROM directory_changes WHERE org_id = ? AND seq > ?',
  )
  // The feed is ordered by seq and appended with the current time, so the first unapplied change is
  // the oldest one: one index probe instead of a min() over the whole backlog.
  const oldestPending = db.query<{ at: number }, [string, number]>(
    'SELECT at FROM directory_changes WHERE org_id = ? AND seq > ? ORDER BY seq LIMIT 1',
  )
  const oldestPendingOfOrg = db.query<{ at: number }, [string, string]>(
    `SELECT at FROM directory_changes
     WHERE org_id = ? AND seq > coalesce((SELECT applied_seq FROM sync_state WHERE org_id = ?), 0)
     ORDER BY seq LIMIT 1`,
  )
  const startRemoval = db.query(
    `UPDATE sync_state SET removal_running = 1, removal_deleted = 0, removal_total = ?, updated_at = ?
     WHERE org_id = ?`,
  )
  const changes = db.query<DirectoryChangeRow, [string, number, number]>(
    'SELECT * FROM directory_changes WHERE org_id = ? AND seq > ? ORDER BY seq LIMIT ?',
  )
  const advance = db.query('UPDATE sync_state SET applied_seq = ?, updated_at = ? WHERE org_id = ?')
  const setError = db.query('UPDATE sync_state SET last_error = ?, updated_at = ? WHERE org_id = ?')
  const startReconcile = db.query(
    `UPDATE sync_state SET reconcile_running = 1, reconcile_cursor = NULL, reconcile_processed = 0,
       reconcile_total = ?, reconcile_started_at = ?, reconcile_finished_at = NULL, updated_at = ?
     WHERE org_id = ?`,
  )
  const reconcileProgress = db.query(
    `UPDATE sync_state SET reconcile_cursor = ?, reconcile_processed = ?, reconcile_total = ?,
       updated_at = ? WHERE org_id = ?`,
  )
  const finishReconcile = db.query(
    `UPDATE sync_state SET reconcile_running = 0, reconcile_cursor = NULL, reconcile_processed = ?,
       reconcile_total = ?, reconcile_finished_at = ?, last_full_reconcile_at = ?, updated_at = ?
     WHERE org_id = ?`,
  )
  const removalProgress = db.query(
    'UPDATE sync_state SET removal_deleted = ?, updated_at = ? WHERE org_id = ?',
  )
  const finishRemoval = db.query(
    `UPDATE sync_state SET removal_running = 0, applied_seq = max(applied_seq, ?), reconcile_running = 0,
       reconcile_cursor = NULL, last_full_reconcile_at = NULL, updated_at = ? WHERE org_id = ?`,
  )
  const work = db.query<OrgWork, [number]>(
    `SELECT o.id AS org_id,
       EXISTS (SELECT 1 FROM directory_changes c WHERE c.org_id = o.id AND c.seq > coalesce(s.applied_seq, 0))
         AS pending,
       coalesce(s.removal_running, 0) AS removal_running,
       coalesce(s.reconcile_running, 0) AS reconcile_running,
       (EXISTS (SELECT 1 FROM integrations i WHERE i.org_id = o.id)
         AND coalesce(s.reconcile_running, 0) = 0
         AND (s.last_full_reconcile_at IS NULL OR s.last_full_reconcile_at <= ?)) AS reconcile_due
     FROM orgs o LEFT JOIN sync_state s ON s.org_id = o.id
     ORDER BY o.created_at, o.id`,
  )
  const all = db.query<SyncStateRow, []>('SELECT * FROM sync_state')
  return {
    get: (orgId: string) => get.get(orgId),
    all: () => all.all(),
    ensure(orgId: string, now = Date.now()): SyncStateRow {
      ensure.run(orgId, now)
      return get.get(orgId) as SyncStateRow
    },
    /** Unapplied directory changes after the checkpoint, and the time of the oldest. */
    pending(orgId: string, appliedSeq: number): { count: number; oldestAt: number | null } {
      const oldest = oldestPending.get(orgId, appliedSeq)
      if (!oldest) return { count: 0, oldestAt: null }
      return { count: pendingCount.get(orgId, appliedSeq)?.n ?? 0, oldestAt: oldest.at }
    },
    /** When the org's oldest change not applied yet was written; null when it is in sync. */
    oldestPendingAt: (orgId: string): number | null => oldestPendingOfOrg.get(orgId, orgId)?.at ?? null,
    startRemoval(orgId: string, total: number): void {
      ensure.run(orgId, Date.now())
      startRemoval.run(total, Date.now(), orgId)
    },
    /** The next unapplied changes of one org, in feed order. */
    changesAfter: (orgId: string, seq: number, limit: number) => changes.all(orgId, seq, limit),
    advance: (orgId: string, seq: number, at: number) => void advance.run(seq, at, orgId),
    setError: (orgId: string, error: string | null, at: number) => void setError.run(error, at, orgId),
    startReconcile: (orgId: string, total: number, at: number) =>
      void startReconcile.run(total, at, at, orgId),
    reconcileProgress: (orgId: string, cursor: string, processed: number, total: number, at: number) =>
      void reconcileProgress.run(cursor, processed, total, at, orgId),
    finishReconcile: (orgId: string, processed: number, at: number) =>
      void finishReconcile.run(processed, processed, at, at, at, orgId),
    removalProgress: (orgId: string, deleted: number, at: number) =>
      void removalProgress.run(deleted, at, orgId),
    finishRemoval: (orgId: string, lastSeq: number, at: number) => void finishRemoval.run(lastSeq, at, orgId),
    /** Every org with the scheduler's work flags; `dueBefore`: reconciles older than this are due. */
    work: (dueBefore: number) => work.all(dueBefore),
  }
}
