/**
 * Scheduler state per org on PostgreSQL: the twin of `../sync.ts` (the change-feed checkpoint, full
 * reconcile and removal progress). What differs in the SQL:
 * - `EXISTS (…)` is a BOOLEAN here and an integer on SQLite; the work flags are spelled
 *   `CASE WHEN … THEN 1 ELSE 0 END` so the rows carry 0/1 on both engines;
 * - two-argument `max` is `GREATEST` (not standard SQL, but what PostgreSQL and its wire-compatible
 *   engines offer);
 * - `pending` reads the count and the oldest change in one statement, so both come from one
 *   snapshot (two statements on the pool could straddle a removal's delete);
 * - `work` asks for the first change after the checkpoint (`ORDER BY seq LIMIT 1`: a probe of the
 *   primary key whatever the statistics say), not `EXISTS`: while a push fills a table the
 *   statistics lag, and the planner answered the EXISTS by reading the feed from its start — every
 *   applied change — on each of the scheduler's rounds;
 * - `changesAfter` reads a window of seqs first: `seq > $2 ORDER BY seq LIMIT $3` alone was planned,
 *   on stale statistics, as a bitmap scan of the whole backlog and a sort — each feed batch read
 *   every pending change, so the longer the backlog the slower the batches that shorten it.
 * `ensure` is `ON CONFLICT DO NOTHING`, so instances ensuring the same org at once all succeed and
 * leave one row.
 */
import type { Repositories } from '../contract.ts'
import type { DirectoryChangeRow, OrgWork, SyncStateRow } from '../sync.ts'
import { atomic, first, type PgContext, rows } from './executor.ts'

/** A row interface as the executor's helpers take it (they require an index signature). */
type Row<T> = T & Record<string, unknown>

export function syncStateRepository(ctx: PgContext): Repositories['syncState'] {
  const { sql } = ctx
  const get = (client: typeof sql, orgId: string) =>
    first<Row<SyncStateRow>>(client`SELECT * FROM sync_state WHERE org_id = ${orgId}`)
  const ensure = (client: typeof sql, orgId: string, now: number) =>
    client`INSERT INTO sync_state (org_id, updated_at) VALUES (${orgId}, ${now}) ON CONFLICT (org_id) DO NOTHING`

  return {
    get: (orgId) => get(sql, orgId),
    // Unordered, as on SQLite: its readers (metrics) take the rows as a set.
    all: () => rows<Row<SyncStateRow>>(sql`SELECT * FROM sync_state`),
    ensure: (orgId, now = Date.now()) =>
      atomic(ctx, async (tx) => {
        await ensure(tx, orgId, now)
        return (await get(tx, orgId)) as SyncStateRow
      }),
    async pending(orgId, appliedSeq) {
      // The feed is ordered by seq and appended with the current time, so the first unapplied change
      // is the oldest one: one index probe instead of a min() over the whole backlog.
      const row = await first<{ n: number; oldest_at: number | null }>(sql`
        SELECT
          (SELECT at FROM directory_changes WHERE org_id = ${orgId} AND seq > ${appliedSeq}
           ORDER BY seq LIMIT 1) AS oldest_at,
          (SELECT count(*) FROM directory_changes WHERE org_id = ${orgId} AND seq > ${appliedSeq}) AS n`)
      if (!row || row.oldest_at === null) return { count: 0, oldestAt: null }
      return { count: row.n, oldestAt: row.oldest_at }
    },
    async oldestPendingAt(orgId) {
      const row = await first<{ at: number }>(sql`
        SELECT c.at FROM directory_changes c
        WHERE c.org_id = ${orgId}
          AND c.seq > coalesce((SELECT applied_seq FROM sync_state WHERE org_id = ${orgId}), 0)
        ORDER BY c.seq LIMIT 1`)
      return row?.at ?? null
    },
    startRemoval: (orgId, total) =>
      atomic(ctx, async (tx) => {
        await ensure(tx, orgId, Date.now())
        await tx`
          UPDATE sync_state SET removal_running = 1, removal_deleted = 0, removal_total = ${total},
            updated_at = ${Date.now()}
          WHERE org_id = ${orgId}`
      }),
    async changesAfter(orgId, seq, limit) {
      // The window `seq + 1 … seq + limit` first: whatever plan the statistics give, it reads at
      // most `limit` rows. The feed's numbers follow each other (one counter), so the window holds
      // the next changes; it is empty past the backlog's end or at a gap (a removal deletes changes
      // written after it began), where the open-ended read below answers.
      const window = await rows<Row<DirectoryChangeRow>>(sql`
        SELECT * FROM directory_changes
        WHERE org_id = ${orgId} AND seq > ${seq} AND seq <= ${Math.min(seq + limit, Number.MAX_SAFE_INTEGER)}
        ORDER BY seq LIMIT ${limit}`)
      if (window.length > 0) return window
      return rows<Row<DirectoryChangeRow>>(sql`
        SELECT * FROM directory_changes WHERE org_id = ${orgId} AND seq > ${seq} ORDER BY seq LIMIT ${limit}`)
    },
    async advance(orgId, seq, at) {
      await sql`UPDATE sync_state SET applied_seq = ${seq}, updated_at = ${at} WHERE org_id = ${orgId}`
    },
    async setError(orgId, error, at) {
      await sql`UPDATE sync_state SET last_error = ${error}, updated_at = ${at} WHERE org_id = ${orgId}`
    },
    async startReconcile(orgId, total, at) {
      await sql`
        UPDATE sync_state SET reconcile_running = 1, reconcile_cursor = NULL, reconcile_processed = 0,
          reconcile_total = ${total}, reconcile_started_at = ${at}, reconcile_finished_at = NULL,
          updated_at = ${at}
        WHERE org_id = ${orgId}`
    },
    async reconcileProgress(orgId, cursor, processed, total, at) {
      await sql`
        UPDATE sync_state SET reconcile_cursor = ${cursor}, reconcile_processed = ${processed},
          reconcile_total = ${total}, updated_at = ${at}
        WHERE org_id = ${orgId}`
    },
    async finishReconcile(orgId, processed, at) {
      await sql`
        UPDATE sync_state SET reconcile_running = 0, reconcile_cursor = NULL, reconcile_processed = ${processed},
          reconcile_total = ${processed}, reconcile_finished_at = ${at}, last_full_reconcile_at = ${at},
          updated_at = ${at}
        WHERE org_id = ${orgId}`
    },
    async removalProgress(orgId, deleted, at) {
      await sql`UPDATE sync_state SET removal_deleted = ${deleted}, updated_at = ${at} WHERE org_id = ${orgId}`
    },
    async finishRemoval(orgId, lastSeq, at) {
      await sql`
        UPDATE sync_state SET removal_running = 0, applied_seq = GREATEST(applied_seq, ${lastSeq}),
          reconcile_running = 0, reconcile_cursor = NULL, last_full_reconcile_at = NULL, updated_at = ${at}
        WHERE org_id = ${orgId}`
    },
    work: (dueBefore) =>
      rows<Row<OrgWork>>(sql`
        SELECT o.id AS org_id,
          CASE WHEN (SELECT c.seq FROM directory_changes c
                     WHERE c.org_id = o.id AND c.seq > coalesce(s.applied_seq, 0)
                     ORDER BY c.seq LIMIT 1) IS NOT NULL
            THEN 1 ELSE 0 END AS pending,
          coalesce(s.removal_running, 0) AS removal_running,
          coalesce(s.reconcile_running, 0) AS reconcile_running,
          CASE WHEN EXISTS (SELECT 1 FROM integrations i WHERE i.org_id = o.id)
                AND coalesce(s.reconcile_running, 0) = 0
                AND (s.last_full_reconcile_at IS NULL OR s.last_full_reconcile_at <= ${dueBefore})
            THEN 1 ELSE 0 END AS reconcile_due
        FROM orgs o LEFT JOIN sync_state s ON s.org_id = o.id
        ORDER BY o.created_at, o.id COLLATE "C"`),
  }
}
