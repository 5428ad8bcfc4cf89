/** The org's audit log as the admin API lists it: newest first, filtered by kind, keyset cursor. */
import type { AuditKind } from '../../store/audit.ts'
import type { Store } from '../../store/index.ts'
import { decodeCursor, encodeCursor, type Page, pageLimit } from './pagination.ts'

export interface AuditItem {
  id: number
  at: string
  kind: AuditKind
  action: string
  outcome: string
  actor: string | null
  subject: string | null
  reason: string | null
  data: Record<string, unknown>
}

export async function listAudit(
  store: Store,
  orgId: string,
  query: { kind?: AuditKind; limit?: number; cursor?: string },
): Promise<Page<AuditItem>> {
  const limit = pageLimit(query.limit)
  const before = decodeCursor<[number]>(query.cursor, ['number'])
  const rows = await store.audit.list(orgId, { kind: query.kind, before: before?.[0], limit: limit + 1 })
  const items = rows.slice(0, limit)
  const last = items.at(-1)
  return {
    items: items.map((row) => ({
      id: row.id,
      at: new Date(row.at).toISOString(),
      kind: row.kind,
      action: row.action,
      outcome: row.outcome,
      actor: row.actor,
      subject: row.subject,
      reason: row.reason,
      data: JSON.parse(row.data) as Record<string, unknown>,
    })),
    nextCursor: rows.length > limit && last ? encodeCursor([last.id]) : null,
  }
}
