/**
 * Applying groups and memberships. They have one source, the directory; the scheduler announces
 * their changes in the org's change feed and recomputes the roles they give. The mirror
 * (`sync_groups`, `sync_memberships`) records what was already announced, so each transition is
 * announced exactly once however often a change is applied.
 */
import { type ApplyContext, MAX_INLINE_ROLE_RECOMPUTE } from './context.ts'

/** The account id of a SCIM user, if it has one (memberships of a pending duplicate have none). */
function accountIdOf(ctx: ApplyContext, scimUserId: string): string | null {
  return ctx.store.accounts.byScimUser(ctx.orgId, scimUserId)?.id ?? null
}

/** Recompute the roles of these users now, or of everyone by a full reconcile if they are too many. */
function touchMembers(ctx: ApplyContext, members: () => string[], count: number): void {
  if (count > MAX_INLINE_ROLE_RECOMPUTE) {
    ctx.needsFullReconcile = true
    return
  }
  for (const id of members()) ctx.touched.add(id)
}

function isMapped(ctx: ApplyContext, nameLower: string): boolean {
  return ctx.store.roles.roleOfGroup(ctx.orgId, nameLower) !== null
}

export function applyGroup(ctx: ApplyContext, groupId: string): void {
  const { store, orgId, now } = ctx
  const group = store.directoryRead.group(orgId, groupId)
  const known = store.syncMirror.group(orgId, groupId)
  if (group && !known) {
    store.syncMirror.putGroup(orgId, groupId, group.display_name, now)
    ctx.emit('group.created', {
      groupId,
      data: { displayName: group.display_name, externalId: group.external_id },
    })
    return
  }
  if (group && known && group.display_name !== known.display_name) {
    store.syncMirror.putGroup(orgId, groupId, group.display_name, now)
    ctx.emit('group.updated', {
      groupId,
      data: { displayName: group.display_name, previousDisplayName: known.display_name },
    })
    // A rename can move the group in or out of a role mapping.
    if (isMapped(ctx, known.display_name_lower) || isMapped(ctx, group.display_name_lower)) {
      touchMembers(
        ctx,
        () => store.directoryRead.memberIds(orgId, groupId, MAX_INLINE_ROLE_RECOMPUTE + 1),
        store.directoryRead.memberCount(groupId),
      )
    }
    return
  }
  if (!group && known) {
    const members = store.syncMirror.memberCount(orgId, groupId)
    if (isMapped(ctx, known.display_name_lower)) {
      touchMembers(
        ctx,
        () => store.syncMirror.membersOfGroup(orgId, groupId, MAX_INLINE_ROLE_RECOMPUTE + 1),
        members,
      )
    }
    // One group.deleted event stands for the memberships that went with the group.
    while (store.syncMirror.removeGroupMembers(orgId, groupId, 5000) > 0) {}
    store.syncMirror.removeGroup(orgId, groupId)
    ctx.emit('group.deleted', { groupId, data: { displayName: known.display_name, members } })
  }
}

export function applyMembership(ctx: ApplyContext, groupId: string, userId: string): void {
  const { store, orgId } = ctx
  const inDirectory = store.directoryRead.hasMembership(orgId, groupId, userId)
  if (inDirectory) {
    if (!store.syncMirror.group(orgId, groupId)) applyGroup(ctx, groupId)
    // The insert tells whether it was announced already (INSERT OR IGNORE changes nothing then).
    if (!store.syncMirror.addMembership(orgId, userId, groupId)) return
  } else if (!store.syncMirror.removeMembership(orgId, userId, groupId)) return
  ctx.emit(inDirectory ? 'membership.added' : 'membership.removed', {
    accountId: accountIdOf(ctx, userId),
    groupId,
    data: { group: store.syncMirror.group(orgId, groupId)?.display_name ?? null, scimUserId: userId },
  })
  ctx.touched.add(userId)
}

/** Full reconcile: makes the announced memberships of one user equal to the directory's. */
export function reconcileMemberships(ctx: ApplyContext, userId: string): void {
  const { store, orgId } = ctx
  const actual = new Set(store.directoryRead.groupIdsOfUser(orgId, userId))
  const announced = new Set(store.syncMirror.groupIdsOfUser(orgId, userId))
  for (const groupId of actual) if (!announced.has(groupId)) applyMembership(ctx, groupId, userId)
  for (const groupId of announced) if (!actual.has(groupId)) applyMembership(ctx, groupId, userId)
}

/** End of batch: each touched user's account gets the role its groups give (highest wins). */
export function recomputeRoles(ctx: ApplyContext): void {
  const { store, orgId, now } = ctx
  for (const userId of ctx.touched) {
    const account = store.accounts.byScimUser(orgId, userId)
    if (!account) continue
    const role = ctx.hasAdminMapping ? store.roles.roleOf(orgId, userId) : 'member'
    if (role === account.role) continue
    store.accounts.setRole(orgId, account.id, role, now)
    ctx.emit('account.role_changed', { accountId: account.id, data: { from: account.role, to: role } })
    ctx.audit('account.role_changed', account.id, { from: account.role, to: role })
  }
  ctx.touched.clear()
}
