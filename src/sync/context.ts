/**
 * The state of one sync batch: the org, the time, the org's sync settings, the SCIM users whose role
 * must be recomputed at the end of the batch, and tallies for the batch's one summary audit row.
 * Every change-applying function takes it, so events and per-account audit rows are written in
 * the batch's transaction, in the order the changes are applied.
 *
 * `store` is the batch's view of its transaction (./batch-view.ts): reads the batch prefetched
 * are answered from memory. New accounts, events and per-account audit rows are queued in order and
 * written by `flush()` in one statement each: call it before the transaction ends, before writing
 * anything else to `events` or `audit_log` in it, and before reading `counts`.
 */
import { readSettings } from '../integration/settings.ts'
import type { AuditEntry } from '../store/audit.ts'
import type { NewEvent } from '../store/events.ts'
import type { Repositories } from '../store/index.ts'
import { batchView, type Prefetch } from './batch-view.ts'

export type EventType =
  | 'account.created'
  | 'account.updated'
  | 'account.deactivated'
  | 'account.reactivated'
  | 'account.deleted'
  | 'account.merged'
  | 'account.role_changed'
  | 'group.created'
  | 'group.updated'
  | 'group.deleted'
  | 'membership.added'
  | 'membership.removed'
  // Written by the integration (src/integration/certificate-events.ts), not by the scheduler.
  | 'integration.certificate_expiring'
  | 'integration.certificate_rotated'

/** Above this many members, a group rename or deletion recomputes roles by a full reconcile. */
export const MAX_INLINE_ROLE_RECOMPUTE = 2000

export interface ApplyContext {
  /** The batch's view of its transaction: every read and write of the batch goes through it. */
  store: Repositories
  orgId: string
  now: number
  /** Who the audit log names: `sync` for the scheduler, the admin for a resync's merges. */
  actor: string
  autoLinkDuplicates: boolean
  /** Cached: whether any mapping gives `admin` (if none, every role is `member`). */
  hasAdminMapping: boolean
  /** SCIM user ids whose account role is recomputed at the end of the batch. */
  touched: Set<string>
  /** Set when a change affects too many roles to recompute inline. */
  needsFullReconcile: boolean
  counts: Record<string, number>
  /** Per-batch caches for membership events: SCIM user → account id, group → displayName. */
  accountIds: Map<string, string | null>
  groupNames: Map<string, string | null>
  /** Queues an event (written by `flush`, once: not if an event keyed by the same change exists). */
  emit(type: EventType, event: Omit<NewEvent, 'type'>): Promise<void>
  /** Queues a per-account audit row, for security-relevant changes only (see docs/sync.md). */
  audit(
    action: string,
    subject: string | null,
    data?: Record<string, unknown>,
    outcome?: AuditEntry['outcome'],
  ): Promise<void>
  /** Reads what the batch is about to apply in one query per kind (see ./batch-view.ts). */
  prefetch(what: Omit<Prefetch, 'roles'>): Promise<void>
  /** Writes the queued accounts, events and audit rows, in order, and counts the events written. */
  flush(): Promise<void>
}

export async function createApplyContext(
  store: Repositories,
  orgId: string,
  now: number,
  actor = 'sync',
): Promise<ApplyContext> {
  const [integration, hasAdminMapping] = await Promise.all([
    store.integrations.get(orgId),
    store.roles.hasAdminMapping(orgId),
  ])
  const counts: Record<string, number> = {}
  const view = batchView(store, orgId)
  let events: NewEvent[] = []
  let audits: AuditEntry[] = []
  return {
    store: view.store,
    orgId,
    now,
    actor,
    autoLinkDuplicates: integration ? readSettings(integration.settings).autoLinkDuplicates : false,
    hasAdminMapping,
    touched: new Set(),
    needsFullReconcile: false,
    counts,
    accountIds: new Map(),
    groupNames: new Map(),
    async emit(type, event) {
      events.push({ type, ...event })
    },
    async audit(action, subject, data, outcome = 'success') {
      audits.push({ orgId, kind: 'sync', action, outcome, actor, subject, data })
    },
    prefetch: (what) => view.prefetch({ ...what, roles: hasAdminMapping }),
    async flush() {
      const queued = events
      const entries = audits
      events = []
      audits = []
      // Three tables, no order between them: the statements go out together.
      const [written] = await Promise.all([
        queued.length > 0 ? store.events.appendMany(orgId, queued, now) : [],
        entries.length > 0 ? store.audit.recordMany(entries, now) : undefined,
        view.flush(),
      ])
      queued.forEach((event, index) => {
        if (written[index]) counts[event.type] = (counts[event.type] ?? 0) + 1
      })
    },
  }
}

/** Adds a tally that is not an event (e.g. a duplicate detected, a conflict skipped). */
export function tally(ctx: ApplyContext, name: string, by = 1): void {
  ctx.counts[name] = (ctx.counts[name] ?? 0) + by
}
