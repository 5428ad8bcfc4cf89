/**
 * The state of one sync batch: the org, the time, the org's sync settings, the SCIM users whose role
 * must be recomputed at the end of the batch, and tallies for the batch's one summary audit row.
 * Every change-applying function takes it, so events and per-account audit rows are written in
 * the batch's transaction, in the order the changes are applied.
 */
import { readSettings } from '../integration/settings.ts'
import type { AuditEntry } from '../store/audit.ts'
import type { NewEvent } from '../store/events.ts'
import type { Repositories } from '../store/index.ts'

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

/** Above this many members, a group rename or deletion recomputes roles by a full reconcile. */
export const MAX_INLINE_ROLE_RECOMPUTE = 2000

export interface ApplyContext {
  /** The batch's transaction: every read and write of the batch goes through it. */
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
  /** Appends an event; false when an event keyed by the same change exists already. */
  emit(type: EventType, event: Omit<NewEvent, 'type'>): Promise<boolean>
  /** A per-account audit row, for security-relevant changes only (see docs/sync.md). */
  audit(
    action: string,
    subject: string | null,
    data?: Record<string, unknown>,
    outcome?: AuditEntry['outcome'],
  ): Promise<void>
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
  return {
    store,
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
      const written = await store.events.append(orgId, { type, ...event }, now)
      if (written) counts[type] = (counts[type] ?? 0) + 1
      return written
    },
    async audit(action, subject, data, outcome = 'success') {
      await store.audit.record({ orgId, kind: 'sync', action, outcome, actor, subject, data }, now)
    },
  }
}

/** Adds a tally that is not an event (e.g. a duplicate detected, a conflict skipped). */
export function tally(ctx: ApplyContext, name: string, by = 1): void {
  ctx.counts[name] = (ctx.counts[name] ?? 0) + by
}
