/**
 * Applying groups and memberships. They have one source, the directory; the scheduler announces
 * their changes in the org's change feed and recomputes the roles they give (from the directory's
 * current memberships). Group events come from comparing the directory with the announced groups
 * (`sync_groups`); a membership event is keyed by the change that caused it, so it is written once
 * however often the change is applied.
 */
import type { DirectoryChangeRow } from '../store/sync.ts'
import { type ApplyContext, MAX_INLINE_ROLE_RECOMPUTE } from './context.ts'

/** The account id of a SCIM user, if it has one (memberships of a pending duplicate have none). */
async function accountIdOf(ctx: ApplyContext, scimUserId: string): Promise<string | null> {
  let id = ctx.accountIds.get(scimUserId)
  if (id === undefined) {
    id = (await ctx.store.accounts.byScimUser(ctx.orgId, scimUserId))?.id ?? null
    ctx.accountIds.set(scimUserId, id)
  }
  return id
}

/** Recompute the roles of these users now, or of everyone by a full reconcile if they are too many. */
async function touchMembers(
  ctx: ApplyContext,
  members: () => Promise<string[]>,
  count: number,
): Promise<void> {
  if (count > MAX_INLINE_ROLE_RECOMPUTE) {
    ctx.needsFullReconcile = true
    return
  }
  for (const id of await members()) ctx.touched.add(id)
}

async function isMapped(ctx: ApplyContext, nameLower: string): Promise<boolean> {
  return (await ctx.store.roles.roleOfGroup(ctx.orgId, nameLower)) !== null
}

export async function applyGroup(ctx: ApplyContext, groupId: string): Promise<void> {
  const { store, orgId, now } = ctx
  const [group, known] = await Promise.all([
    store.directoryRead.group(orgId, groupId),
    store.syncMirror.group(orgId, groupId),
  ])
  ctx.groupNames.delete(groupId)
  if (group && !known) {
    await store.syncMirror.putGroup(orgId, groupId, group.display_name, now)
    await ctx.emit('group.created', {
      groupId,
      data: { displayName: group.display_name, externalId: group.external_id },
    })
    return
  }
  if (group && known && group.display_name !== known.display_name) {
    await store.syncMirror.putGroup(orgId, groupId, group.display_name, now)
    await ctx.emit('group.updated', {
      groupId,
      data: { displayName: group.display_name, previousDisplayName: known.display_name },
    })
    // A rename can move the group in or out of a role mapping.
    if ((await isMapped(ctx, known.display_name_lower)) || (await isMapped(ctx, group.display_name_lower))) {
      await touchMembers(
        ctx,
        () => store.directoryRead.memberIds(orgId, groupId, MAX_INLINE_ROLE_RECOMPUTE + 1),
        await store.directoryRead.memberCount(groupId),
      )
    }
    return
  }
  if (!group && known) {
    // The SCIM API reports each member's removal before the group's deletion (those recompute the
    // members' roles); anything else is repaired by a full reconcile.
    if (await isMapped(ctx, known.display_name_lower)) ctx.needsFullReconcile = true
    await store.syncMirror.removeGroup(orgId, groupId)
    await ctx.emit('group.deleted', { groupId, data: { displayName: known.display_name } })
  }
}

/**
 * Announces one membership change as it happened (`add` → membership.added, `remove` →
 * membership.removed) and marks the user's role for recomputation from the directory.
 */
export async function applyMembership(ctx: ApplyContext, change: DirectoryChangeRow): Promise<void> {
  const { store, orgId } = ctx
  const groupId = change.resource_id
  const userId = change.related_id as string
  ctx.touched.add(userId)
  const added = change.op === 'add'
  if (!(await store.syncMirror.group(orgId, groupId))) {
    if (added) await applyGroup(ctx, groupId)
    // A group that was created and deleted between two batches was never announced: a downstream
    // app cannot place its memberships, so they are not announced either (roles still follow).
    if (!(await store.syncMirror.group(orgId, groupId))) return
  }
  await ctx.emit(added ? 'membership.added' : 'membership.removed', {
    accountId: await accountIdOf(ctx, userId),
    groupId,
    changeSeq: change.seq,
    data: { group: await groupName(ctx, groupId), scimUserId: userId },
  })
}

async function groupName(ctx: ApplyContext, groupId: string): Promise<string | null> {
  let name = ctx.groupNames.get(groupId)
  if (name === undefined) {
    name =
      (await ctx.store.syncMirror.group(ctx.orgId, groupId))?.display_name ??
      (await ctx.store.directoryRead.group(ctx.orgId, groupId))?.display_name ??
      null
    ctx.groupNames.set(groupId, name)
  }
  return name
}

/** End of batch: each touched user's account gets the role its groups give (highest wins). */
export async function recomputeRoles(ctx: ApplyContext): Promise<void> {
  const { store, orgId, now } = ctx
  await ctx.prefetch({ accounts: [...ctx.touched] })
  for (const userId of ctx.touched) {
    const account = await store.accounts.byScimUser(orgId, userId)
    if (!account) continue
    const role = ctx.hasAdminMapping ? await store.roles.roleOf(orgId, userId) : 'member'
    if (role === account.role) continue
    await store.accounts.setRole(orgId, account.id, role, now)
    await ctx.emit('account.role_changed', { accountId: account.id, data: { from: account.role, to: role } })
    await ctx.audit('account.role_changed', account.id, { from: account.role, to: role })
  }
  ctx.touched.clear()
}
