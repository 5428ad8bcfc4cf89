/**
 * The change feed for downstream apps, as the admin API serves it: events after a cursor, oldest
 * first. The cursor is the last event id the reader saw; `nextCursor` is where to continue (the
 * same cursor when nothing new happened), so a follower polls with it forever without gaps.
 */
import { invalid } from '../errors.ts'
import type { EventRow } from '../store/events.ts'
import type { Repositories } from '../store/index.ts'

export interface FeedEvent {
  id: number
  type: string
  at: string
  accountId?: string
  groupId?: string
  data: Record<string, unknown>
}

export interface EventPage {
  events: FeedEvent[]
  nextCursor: string | null
}

export function parseEventCursor(after: string | undefined): number {
  if (after === undefined || after === '') return 0
  if (!/^\d{1,15}$/.test(after)) {
    throw invalid('after', 'after must be the nextCursor of a previous answer (a non-negative integer)')
  }
  return Number(after)
}

/** An event as the feed shows it (and as a webhook body carries it). */
export function feedEvent(row: EventRow): FeedEvent {
  const event: FeedEvent = {
    id: row.id,
    type: row.type,
    at: new Date(row.at).toISOString(),
    data: JSON.parse(row.data) as Record<string, unknown>,
  }
  if (row.account_id) event.accountId = row.account_id
  if (row.group_id) event.groupId = row.group_id
  return event
}

export async function listEvents(
  store: Repositories,
  orgId: string,
  query: { after?: string; limit?: number },
): Promise<EventPage> {
  const after = parseEventCursor(query.after)
  const rows = await store.events.after(orgId, after, query.limit ?? 100)
  const events = rows.map(feedEvent)
  const last = rows.at(-1)
  return { events, nextCursor: last ? String(last.id) : query.after ? String(after) : null }
}
