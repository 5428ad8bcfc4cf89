/**
 * The per-org change feed for downstream apps, written by the sync scheduler in the same
 * transaction as the change it describes. Ids increase; SQLite has one writer at a time, so a
 * reader following `id > cursor` never skips an event committed later with a smaller id.
 */
import type { Db } from './database.ts'

export interface EventRow {
  id: number
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
}

export function eventRepository(db: Db) {
  const insert = db.query(
    'INSERT INTO events (org_id, type, at, account_id, group_id, data) VALUES (?, ?, ?, ?, ?, ?)',
  )
  const page = db.query<EventRow, [string, number, number]>(
    'SELECT * FROM events WHERE org_id = ? AND id > ? ORDER BY id LIMIT ?',
  )
  const countByType = db.query<{ type: string; n: number }, [string]>(
    'SELECT type, count(*) AS n FROM events WHERE org_id = ? GROUP BY type',
  )
  return {
    append(orgId: string, event: NewEvent, at: number): void {
      insert.run(
        orgId,
        event.type,
        at,
        event.accountId ?? null,
        event.groupId ?? null,
        JSON.stringify(event.data ?? {}),
      )
    },
    /** Events after the exclusive id cursor, oldest first. */
    after: (orgId: string, afterId: number, limit: number) => page.all(orgId, afterId, limit),
    countByType(orgId: string): Record<string, number> {
      return Object.fromEntries(countByType.all(orgId).map((row) => [row.type, row.n]))
    },
  }
}
