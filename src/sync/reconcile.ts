/**
 * Full reconcile (drift repair): walks the org's whole directory and org state in small keyset
 * batches and re-applies each resource from its current directory state — the same idempotent
 * functions the change feed uses — so whatever drifted (a crash before the feed existed, a
 * restore, a manual edit, a skipped change) is put right, with events for each real fix.
 *
 * Phases, in order, each a keyset walk resumed from `sync_state.reconcile_cursor`:
 *   groups        directory groups      → group created / renamed
 *   users         directory users       → account, profile, active, sessions, duplicates, role
 *   accounts      accounts linked to a SCIM user → the user is gone: delete / unlink
 *   mirrorGroups  announced groups      → the group is gone: group.deleted
 * Memberships have no org-side copy to drift (roles are computed from the directory), so the users
 * phase recomputes every role from the directory's memberships.
 *
 * The reconcile never runs ahead of the change feed: a user or group with changes the feed has not
 * applied yet is left to the feed, which announces them in the directory's order (applying it here
 * from its current state would announce, say, a new group before the creation of the user the SCIM
 * client created first). Too far behind the feed, a batch waits for it to catch up.
 */
import { endSessionsOf } from '../sessions/service.ts'
import type { Keyset } from '../store/directory-read.ts'
import type { Repositories, Store } from '../store/index.ts'
import { type ApplyContext, createApplyContext, tally } from './context.ts'
import { applyGroup, recomputeRoles } from './groups.ts'
import { applyUser } from './users.ts'

type Phase = 'groups' | 'users' | 'accounts' | 'mirrorGroups' | 'done'
const PHASES: Phase[] = ['groups', 'users', 'accounts', 'mirrorGroups', 'done']

interface Cursor {
  phase: Phase
  /** `createdAt:id` for directory walks, an id for the others, '' at the start of a phase. */
  after: string
}

function parseCursor(raw: string | null): Cursor {
  if (!raw) return { phase: 'groups', after: '' }
  const bar = raw.indexOf('|')
  const phase = raw.slice(0, bar) as Phase
  return PHASES.includes(phase) ? { phase, after: raw.slice(bar + 1) } : { phase: 'groups', after: '' }
}

function parseKeyset(after: string): Keyset | null {
  if (!after) return null
  const colon = after.indexOf(':')
  return { createdAt: Number(after.slice(0, colon)), id: after.slice(colon + 1) }
}

const nextPhase = (phase: Phase): Phase => PHASES[PHASES.indexOf(phase) + 1] ?? 'done'

/** Past this many unapplied changes a reconcile batch waits for the feed instead of reading them. */
export const MAX_FEED_AHEAD = 2000

/** The users and groups that unapplied feed changes are about (membership: group and user). */
interface FeedAhead {
  users: Set<string>
  groups: Set<string>
}

/** What the feed has yet to apply, or null when that is more than MAX_FEED_AHEAD changes. */
async function feedAhead(store: Repositories, orgId: string, appliedSeq: number): Promise<FeedAhead | null> {
  const changes = await store.syncState.changesAfter(orgId, appliedSeq, MAX_FEED_AHEAD + 1)
  if (changes.length > MAX_FEED_AHEAD) return null
  const ahead: FeedAhead = { users: new Set(), groups: new Set() }
  for (const change of changes) {
    if (change.kind === 'user') ahead.users.add(change.resource_id)
    else ahead.groups.add(change.resource_id)
    if (change.kind === 'membership' && change.related_id) ahead.users.add(change.related_id)
  }
  return ahead
}

/** The items a reconcile walks, counted when it starts. */
export async function reconcileTotal(store: Repositories, orgId: string): Promise<number> {
  const counts = await Promise.all([
    store.directoryRead.countGroups(orgId),
    store.directoryRead.countUsers(orgId),
    store.accounts.countLinked(orgId),
    store.syncMirror.countGroups(orgId),
  ])
  return counts.reduce((sum, n) => sum + n, 0)
}

/** Starts (or restarts from the beginning) a full reconcile of the org; call inside a transaction. */
export async function startFullReconcile(
  store: Repositories,
  orgId: string,
  now = Date.now(),
): Promise<boolean> {
  const state = await store.syncState.ensure(orgId, now)
  if (state.removal_running === 1) return false
  await store.syncState.startReconcile(orgId, await reconcileTotal(store, orgId), now)
  return true
}

export interface ReconcileBatchResult {
  processed: number
  finished: boolean
  leaseHeld: boolean
  /** The cursor moved (items, or a phase with none left): the batch got somewhere. */
  moved: boolean
}

/**
 * Walks up to `limit` items of the current phase(s) and returns how many. With `skip`, only moves
 * the cursor (used to step over one item whose repair keeps failing).
 */
async function walk(
  ctx: ApplyContext,
  cursor: Cursor,
  limit: number,
  deadline: number,
  ahead: FeedAhead,
  skip = false,
): Promise<number> {
  const { store, orgId } = ctx
  // Items the feed is about to apply are its to announce (see the module comment).
  const apply = skip
    ? { group: async () => {}, user: async () => {} }
    : {
        group: async (id: string) => {
          if (!ahead.groups.has(id)) await applyGroup(ctx, id)
        },
        user: async (id: string) => {
          if (ahead.users.has(id)) return
          await applyUser(ctx, id)
          ctx.touched.add(id)
        },
      }
  let items = 0
  // The first page is walked whatever the clock says: a batch that began past its budget (a busy
  // machine) still moves the cursor, so every batch makes progress.
  let stepped = false
  while (cursor.phase !== 'done' && items < limit && (!stepped || performance.now() < deadline)) {
    stepped = true
    const size = Math.min(50, limit - items)
    let page = 0
    switch (cursor.phase) {
      case 'groups': {
        const groups = await store.directoryRead.groupsPage(orgId, parseKeyset(cursor.after), size)
        if (!skip) await ctx.prefetch({ groups: groups.map((g) => g.id), groupRows: groups })
        for (const group of groups) {
          await apply.group(group.id)
          cursor.after = `${group.created_at}:${group.id}`
        }
        page = groups.length
        break
      }
      case 'users': {
        const users = await store.directoryRead.usersPage(orgId, parseKeyset(cursor.after), size)
        if (!skip) await ctx.prefetch({ users: users.map((u) => u.id), userRows: users })
        for (const user of users) {
          await apply.user(user.id)
          const account = skip ? null : await store.accounts.byScimUser(orgId, user.id)
          // Sessions of an inactive account must not exist (they may if a crash hit mid-deactivation
          // before the feed existed, or a session was issued by mistake).
          if (account && account.active === 0) {
            const ended = await endSessionsOf(store, orgId, account.id)
            if (ended > 0) tally(ctx, 'sessionsEnded', ended)
          }
          cursor.after = `${user.created_at}:${user.id}`
        }
        page = users.length
        break
      }
      case 'accounts': {
        const accounts = await store.accounts.linkedPage(orgId, cursor.after, size)
        if (!skip) {
          const ids = accounts.map((account) => account.scim_user_id as string)
          await ctx.prefetch({ users: ids, accountRows: accounts })
        }
        for (const account of accounts) {
          const scimUserId = account.scim_user_id as string
          if (!(await store.directoryRead.user(orgId, scimUserId))) await apply.user(scimUserId)
          cursor.after = scimUserId
        }
        page = accounts.length
        break
      }
      case 'mirrorGroups': {
        const groups = await store.syncMirror.groupsPage(orgId, cursor.after, size)
        if (!skip) await ctx.prefetch({ groups: groups.map((g) => g.group_id) })
        for (const group of groups) {
          if (!(await store.directoryRead.group(orgId, group.group_id))) await apply.group(group.group_id)
          cursor.after = group.group_id
        }
        page = groups.length
        break
      }
    }
    items += page
    if (page < size) {
      cursor.phase = nextPhase(cursor.phase)
      cursor.after = ''
    }
  }
  return items
}

export async function reconcileBatch(
  store: Store,
  orgId: string,
  options: {
    holder: string
    leaseMs: number
    limit: number
    budgetMs: number
    now?: number
    skipOne?: string
  },
): Promise<ReconcileBatchResult> {
  const now = options.now ?? Date.now()
  return store.transaction(async (tx) => {
    if (!(await tx.leases.tryAcquire(`sync:${orgId}`, options.holder, now, options.leaseMs))) {
      return { processed: 0, finished: false, leaseHeld: false, moved: false }
    }
    const state = await tx.syncState.ensure(orgId, now)
    if (state.reconcile_running !== 1 || state.removal_running === 1) {
      return { processed: 0, finished: false, leaseHeld: true, moved: false }
    }
    const ahead = await feedAhead(tx, orgId, state.applied_seq)
    if (ahead === null) return { processed: 0, finished: false, leaseHeld: true, moved: false }
    const ctx = await createApplyContext(tx, orgId, now)
    const cursor = parseCursor(state.reconcile_cursor)
    const items = options.skipOne
      ? await walk(ctx, cursor, 1, Number.POSITIVE_INFINITY, ahead, true)
      : await walk(ctx, cursor, options.limit, performance.now() + options.budgetMs, ahead)
    if (options.skipOne) {
      await tx.syncState.setError(orgId, `full reconcile skipped one item: ${options.skipOne}`, now)
      await tx.audit.record(
        {
          orgId,
          kind: 'sync',
          action: 'sync.reconcile.item_skipped',
          outcome: 'failure',
          actor: 'sync',
          reason: options.skipOne,
          data: { cursor: state.reconcile_cursor },
        },
        now,
      )
    }
    await recomputeRoles(ctx)
    await ctx.flush()
    const processed = state.reconcile_processed + items
    if (Object.keys(ctx.counts).length > 0) {
      await tx.audit.record(
        {
          orgId,
          kind: 'sync',
          action: 'sync.reconcile.repaired',
          outcome: 'success',
          actor: 'sync',
          data: ctx.counts,
        },
        now,
      )
    }
    if (cursor.phase === 'done') {
      await tx.syncState.finishReconcile(orgId, processed, now)
      // A finished reconcile has repaired whatever an earlier error left behind (unless it had
      // to skip something itself).
      if (!options.skipOne && !state.last_error?.startsWith('full reconcile skipped'))
        await tx.syncState.setError(orgId, null, now)
      await tx.audit.record(
        {
          orgId,
          kind: 'sync',
          action: 'sync.reconcile.finished',
          outcome: 'success',
          actor: 'sync',
          data: { processed, durationMs: now - (state.reconcile_started_at ?? now) },
        },
        now,
      )
      return { processed: items, finished: true, leaseHeld: true, moved: true }
    }
    const total = Math.max(state.reconcile_total, processed + 1)
    const saved = `${cursor.phase}|${cursor.after}`
    await tx.syncState.reconcileProgress(orgId, saved, processed, total, now)
    return { processed: items, finished: false, leaseHeld: true, moved: saved !== state.reconcile_cursor }
  })
}
