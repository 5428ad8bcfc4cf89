/**
 * The per-org change feed for downstream apps, written by the sync scheduler in the same
 * transaction as the change it describes. Ids increase; SQLite has one writer at a time, so a
 * reader following `id > cursor` never skips an event committed later with a smaller id.
 */
import type { Db } from './database.ts'

export interface EventRow {
  id: number
  change_seq: number | null
  org_id: string
  type: string
  at: number
  account_id: string | null
  group_id: string | null
  data: string
}

export interface NewEvent {
  type: string
  accountId?: string | null
  groupId?: string | null
  data?: Record<string, unknown>
  /** The directory change this event announces, when one change maps to one event (memberships). */
  changeSeq?: number
}

export function eventRepository(db: Db) {
  // OR IGNORE: an event keyed by its change is written once however often the change is applied.
  const insert = db.query(
    'INSERT OR IGNORE INTO events (org_id, type, at, account_id, group_id, data, change_seq) VALUES (?, ?, ?, ?, ?, ?, ?)',
  )
  const page = db.query<EventRow, [string, number, number]>(
    'SELECT * FROM events WHERE org_id = ? AND id > ? ORDER BY id LIMIT ?',
  )
  const lastId = db.query<{ id: number | null }, [string]>(
    'SELECT max(id) AS id FROM events WHERE org_id = ?',
  )
  const countByType = db.query<{ type: string; n: number }, [string]>(
    'SELECT type, count(*) AS n FROM events WHERE org_id = ? GROUP BY type',
  )
  return {
    /** Appends the event; false when an event of the same change was written before. */
    append(orgId: string, event: NewEvent, at: number): boolean {
      return (
        insert.run(
          orgId,
          event.type,
          at,
          event.accountId ?? null,
          event.groupId ?? null,
          JSON.stringify(event.data ?? {}),
          event.changeSeq ?? null,
        ).changes > 0
      )
    },
    /**
     * Appends the events in their order (ids increase along the list), all at `at`; answers for
     * each whether it was written (false: an event of the same change exists).
     */
    appendMany(orgId: string, events: NewEvent[], at: number): boolean[] {
      return events.map(
        (event) =>
          insert.run(
            orgId,
            event.type,
            at,
            event.accountId ?? null,
            event.groupId ?? null,
            JSON.stringify(event.data ?? {}),
            event.changeSeq ?? null,
          ).changes > 0,
      )
    },
    /** Events after the exclusive id cursor, oldest first. */
    after: (orgId: string, afterId: number, limit: number) => page.all(orgId, afterId, limit),
    /** The org's newest event id (0 when it has none). */
    lastId: (orgId: string): number => lastId.get(orgId)?.id ?? 0,
    countByType(orgId: string): Record<string, number> {
      return Object.fromEntries(countByType.all(orgId).map((row) => [row.type, row.n]))
    },
  }
}
