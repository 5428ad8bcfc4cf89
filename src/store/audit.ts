/** The audit log: who did what to which org, with the outcome and the real reason. */
import type { Db } from './database.ts'

export type AuditKind = 'scim' | 'saml' | 'admin' | 'sync'

export interface AuditEntry {
  orgId: string
  kind: AuditKind
  action: string
  outcome: 'success' | 'failure' | 'skipped'
  actor?: string | null
  subject?: string | null
  reason?: string | null
  data?: Record<string, unknown>
}

export interface AuditRow {
  id: number
  org_id: string
  at: number
  kind: AuditKind
  action: string
  outcome: string
  actor: string | null
  subject: string | null
  reason: string | null
  data: string
}

export function auditRepository(db: Db) {
  const insert = db.query(
    `INSERT INTO audit_log (org_id, at, kind, action, outcome, actor, subject, reason, data)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  const page = db.query<AuditRow, [string, number, number]>(
    'SELECT * FROM audit_log WHERE org_id = ? AND id < ? ORDER BY id DESC LIMIT ?',
  )
  const pageOfKind = db.query<AuditRow, [string, string, number, number]>(
    'SELECT * FROM audit_log WHERE org_id = ? AND kind = ? AND id < ? ORDER BY id DESC LIMIT ?',
  )
  const pruneOldest = db.query<never, [number, number]>(
    'DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < ? ORDER BY at LIMIT ?)',
  )
  const record = (entry: AuditEntry, at: number): void => {
    insert.run(
      entry.orgId,
      at,
      entry.kind,
      entry.action,
      entry.outcome,
      entry.actor ?? null,
      entry.subject ?? null,
      entry.reason ?? null,
      JSON.stringify(entry.data ?? {}),
    )
  }
  return {
    record(entry: AuditEntry, at = Date.now()): void {
      record(entry, at)
    },
    /** Records the entries in their order (ids increase along the list), all at `at`. */
    recordMany(entries: AuditEntry[], at: number): void {
      for (const entry of entries) record(entry, at)
    },
    /** Newest first; `before` is an exclusive id cursor. */
    list(orgId: string, options: { kind?: AuditKind; before?: number; limit: number }): AuditRow[] {
      const before = options.before ?? Number.MAX_SAFE_INTEGER
      return options.kind
        ? pageOfKind.all(orgId, options.kind, before, options.limit)
        : page.all(orgId, before, options.limit)
    },
    /** Deletes at most `limit` rows older than `before` (ms), oldest first; returns how many went. */
    prune(before: number, limit: number): number {
      return pruneOldest.run(before, limit).changes
    },
  }
}
