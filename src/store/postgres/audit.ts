/**
 * The audit log on PostgreSQL: the twin of `../audit.ts`. Ids come from the identity column
 * (migration 001): they may commit out of order, which is fine for a log read newest first in pages,
 * never followed by a cursor that must see every row.
 *
 * Retention deletes the oldest rows in batches (PostgreSQL has no `DELETE … LIMIT`, so the batch is
 * named by a subquery on the `audit_log_at` index). Ties on `at` go in id order, which is the order
 * SQLite's index on `at` holds them in (its entries end with the rowid), so both engines delete the
 * same rows. The batch is locked `FOR UPDATE SKIP LOCKED` (PostgreSQL-specific, as in the leases):
 * two instances pruning at once then take different batches, where the second would otherwise wait
 * for the first one's batch and find nothing left of it (ending its retention pass early).
 */
import type { AuditRow } from '../audit.ts'
import type { Repositories } from '../contract.ts'
import { changed, type PgContext, rows } from './executor.ts'

/** A row interface as the executor's helpers take it (they require an index signature). */
type Row<T> = T & Record<string, unknown>

export function auditRepository(ctx: PgContext): Repositories['audit'] {
  const { sql } = ctx
  return {
    async record(entry, at = Date.now()) {
      await sql`
        INSERT INTO audit_log (org_id, at, kind, action, outcome, actor, subject, reason, data)
        VALUES (${entry.orgId}, ${at}, ${entry.kind}, ${entry.action}, ${entry.outcome}, ${entry.actor ?? null},
          ${entry.subject ?? null}, ${entry.reason ?? null}, ${JSON.stringify(entry.data ?? {})})`
    },
    async recordMany(entries, at) {
      if (entries.length === 0) return
      const column = <T>(pick: (entry: (typeof entries)[number]) => T) => entries.map(pick)
      // One statement whatever the count; identity values follow the ORDER BY, so ids keep the order.
      await sql`
        INSERT INTO audit_log (org_id, at, kind, action, outcome, actor, subject, reason, data)
        SELECT org_id, ${at}, kind, action, outcome, actor, subject, reason, data
        FROM unnest(${column((e) => e.orgId)}::text[], ${column((e) => e.kind)}::text[],
          ${column((e) => e.action)}::text[], ${column((e) => e.outcome)}::text[],
          ${column((e) => e.actor ?? null)}::text[], ${column((e) => e.subject ?? null)}::text[],
          ${column((e) => e.reason ?? null)}::text[], ${column((e) => JSON.stringify(e.data ?? {}))}::text[])
          WITH ORDINALITY AS t(org_id, kind, action, outcome, actor, subject, reason, data, ord)
        ORDER BY ord`
    },
    list(orgId, options) {
      const before = options.before ?? Number.MAX_SAFE_INTEGER
      return options.kind
        ? rows<Row<AuditRow>>(sql`
            SELECT * FROM audit_log WHERE org_id = ${orgId} AND kind = ${options.kind} AND id < ${before}
            ORDER BY id DESC LIMIT ${options.limit}`)
        : rows<Row<AuditRow>>(sql`
            SELECT * FROM audit_log WHERE org_id = ${orgId} AND id < ${before}
            ORDER BY id DESC LIMIT ${options.limit}`)
    },
    prune: (before, limit) =>
      changed(sql`
        DELETE FROM audit_log
        WHERE id IN (SELECT id FROM audit_log WHERE at < ${before} ORDER BY at, id LIMIT ${limit}
          FOR UPDATE SKIP LOCKED)`),
  }
}
