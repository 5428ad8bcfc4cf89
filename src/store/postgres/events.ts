/**
 * The per-org change feed for downstream apps on PostgreSQL: the twin of `../events.ts`. An event's
 * id comes from the org's `feed_counters` row ('events'), taken in the statement that inserts it:
 * the row stays locked until the writing transaction commits, so the next writer of that org gets
 * the next number only afterwards and a reader following `id > cursor` never skips an event that
 * commits late (a sequence would hand out numbers that commit out of order).
 *
 * An event keyed by its directory change (`change_seq`) is written once however often the change is
 * applied: a number is taken only when no event of that change exists yet. Two writers of the same
 * change at once could still both take a number, and the loser's insert then does nothing, leaving a
 * gap; a gap never makes a reader skip anything (only the lease holder writes events in practice).
 */
import type { Repositories } from '../contract.ts'
import type { EventRow } from '../events.ts'
import { changed, first, type PgContext, rows } from './executor.ts'

type Row<T> = T & Record<string, unknown>

export function eventRepository(ctx: PgContext): Repositories['events'] {
  const { sql } = ctx
  return {
    async append(orgId, event, at) {
      const changeSeq = event.changeSeq ?? null
      const inserted = await changed(sql`
        WITH fresh AS (
          SELECT 1 AS one WHERE ${changeSeq}::bigint IS NULL OR NOT EXISTS (
            SELECT 1 FROM events WHERE org_id = ${orgId} AND change_seq = ${changeSeq}::bigint)
        ), counter AS (
          INSERT INTO feed_counters (org_id, feed, last_seq) SELECT ${orgId}, 'events', 1 FROM fresh
          ON CONFLICT (org_id, feed) DO UPDATE SET last_seq = feed_counters.last_seq + 1
          RETURNING last_seq
        )
        INSERT INTO events (id, org_id, type, at, account_id, group_id, data, change_seq)
        SELECT last_seq, ${orgId}, ${event.type}, ${at}, ${event.accountId ?? null}, ${event.groupId ?? null},
               ${JSON.stringify(event.data ?? {})}, ${changeSeq}::bigint
        FROM counter
        ON CONFLICT (org_id, change_seq) WHERE change_seq IS NOT NULL DO NOTHING`)
      return inserted > 0
    },
    async appendMany(orgId, events, at) {
      if (events.length === 0) return []
      const seqs = events.map((event) => event.changeSeq ?? null)
      // The counter is taken once for the events not written yet (an event keyed by a change that
      // has one is left out before numbering, so no number is wasted), and they are numbered
      // last_seq - n + 1 … last_seq in the list's order.
      //
      // "Written yet" is one probe of events_change per keyed event: `OFFSET 0` keeps the EXISTS a
      // per-row subquery. Without it (and with an `change_seq IS NULL OR` in front, as it was) the
      // planner hashes the org's every keyed event, one sequential read of the table per batch — the
      // sync lag of a push grew with the events written (docs/benchmarks.md, "PostgreSQL"). An
      // unkeyed event (NULL change_seq) matches nothing, so it is always fresh.
      const written = await rows<{ change_seq: number | null }>(sql`
        WITH input AS (
          SELECT * FROM unnest(${events.map((e) => e.type)}::text[], ${events.map((e) => e.accountId ?? null)}::text[],
            ${events.map((e) => e.groupId ?? null)}::text[], ${events.map((e) => JSON.stringify(e.data ?? {}))}::text[],
            ${seqs}::bigint[]) WITH ORDINALITY AS t(type, account_id, group_id, data, change_seq, ord)
        ), fresh AS (
          SELECT input.*, row_number() OVER (ORDER BY ord) AS rn FROM input
          WHERE NOT EXISTS (
            SELECT 1 FROM events
            WHERE org_id = ${orgId} AND events.change_seq = input.change_seq AND events.change_seq IS NOT NULL
            OFFSET 0)
        ), counter AS (
          INSERT INTO feed_counters (org_id, feed, last_seq)
          SELECT ${orgId}, 'events', count(*) FROM fresh HAVING count(*) > 0
          ON CONFLICT (org_id, feed) DO UPDATE SET last_seq = feed_counters.last_seq + excluded.last_seq
          RETURNING last_seq
        )
        INSERT INTO events (id, org_id, type, at, account_id, group_id, data, change_seq)
        SELECT counter.last_seq - (SELECT count(*) FROM fresh) + fresh.rn, ${orgId}, fresh.type, ${at},
               fresh.account_id, fresh.group_id, fresh.data, fresh.change_seq
        FROM fresh CROSS JOIN counter
        ORDER BY fresh.rn
        ON CONFLICT (org_id, change_seq) WHERE change_seq IS NOT NULL DO NOTHING
        RETURNING change_seq`)
      const keyed = new Set(written.map((row) => row.change_seq))
      return seqs.map((seq) => seq === null || keyed.has(seq))
    },
    after: (orgId, afterId, limit) =>
      rows<Row<EventRow>>(sql`
        SELECT id, change_seq, org_id, type, at, account_id, group_id, data FROM events
        WHERE org_id = ${orgId} AND id > ${afterId} ORDER BY id LIMIT ${limit}`),
    lastId: async (orgId) =>
      (await first<{ id: number | null }>(sql`SELECT max(id) AS id FROM events WHERE org_id = ${orgId}`))
        ?.id ?? 0,
    async countByType(orgId) {
      const counts = await rows<{ type: string; n: number }>(
        sql`SELECT type, count(*)::int AS n FROM events WHERE org_id = ${orgId} GROUP BY type`,
      )
      return Object.fromEntries(counts.map((row) => [row.type, row.n]))
    },
  }
}
