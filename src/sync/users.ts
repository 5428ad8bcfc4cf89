/**
 * Applying one provisioned user to the org state, from its *current* directory row (so applying the
 * same change twice changes nothing): create its account, flow profile and active changes, end the
 * sessions of a deactivated account, delete (or unlink) the account of a deleted user, or record a
 * duplicate instead of a second account when the email belongs to a pre-existing account.
 */
import { createAccount } from '../accounts/service.ts'
import { endSessionsOf } from '../sessions/service.ts'
import type { AccountRow } from '../store/accounts.ts'
import type { DirectoryUserRow } from '../store/directory-read.ts'
import type { MatchedOn } from '../store/duplicates.ts'
import type { Repositories } from '../store/index.ts'
import { type ApplyContext, tally } from './context.ts'
import { profileOf } from './profile.ts'

export interface PreexistingMatch {
  account: AccountRow
  matchedOn: MatchedOn
}

/**
 * The account that existed before the integration and has the same email (its own, or one of its
 * linked identities'), not linked to another provisioned user yet. Null when there is none.
 */
export async function findPreexisting(
  store: Repositories,
  orgId: string,
  emailLower: string,
): Promise<PreexistingMatch | null> {
  const byEmail = await store.accounts.byEmail(orgId, emailLower)
  if (byEmail) return byEmail.scim_user_id === null ? { account: byEmail, matchedOn: 'email' } : null
  for (const identity of await store.linkedIdentities.byEmail(orgId, emailLower)) {
    const account = await store.accounts.byId(orgId, identity.account_id)
    if (account && account.scim_user_id === null) {
      return { account, matchedOn: `linked:${identity.provider}` }
    }
  }
  return null
}

export async function applyUser(ctx: ApplyContext, scimUserId: string): Promise<void> {
  const { store, orgId, now } = ctx
  ctx.accountIds.delete(scimUserId)
  const [user, account] = await Promise.all([
    store.directoryRead.user(orgId, scimUserId),
    store.accounts.byScimUser(orgId, scimUserId),
  ])
  if (!user) {
    if (account) await detachAccount(ctx, account, 'deleted in the identity provider')
    return
  }
  if (account) {
    await updateAccount(ctx, account, user)
    return
  }
  const profile = profileOf(user)
  const match = await findPreexisting(store, orgId, profile.emailLower)
  if (match) {
    if (ctx.autoLinkDuplicates) {
      await mergeInto(ctx, match.account, user, match.matchedOn, 'automatic')
      return
    }
    if (await store.duplicates.record(orgId, user.id, match.account.id, match.matchedOn, now)) {
      tally(ctx, 'duplicatesDetected')
      await ctx.audit('duplicate.detected', match.account.id, {
        scimUserId: user.id,
        matchedOn: match.matchedOn,
      })
    }
    return
  }
  await store.duplicates.remove(orgId, user.id)
  // An account is created for an active user only; a user pushed inactive waits for activation.
  if (user.active !== 1) return
  if (await store.accounts.byEmail(orgId, profile.emailLower)) {
    // The email belongs to an account already linked to another provisioned user.
    tally(ctx, 'conflicts')
    await ctx.audit('account.conflict', null, { scimUserId: user.id, email: profile.email }, 'skipped')
    return
  }
  const role = ctx.hasAdminMapping ? await store.roles.roleOf(orgId, user.id) : 'member'
  const origin = { via: 'scim', scimUserId: user.id } as const
  await createAccount(
    store,
    { orgId, email: profile.email, name: profile.name, role, origin },
    now,
    (event) => ctx.emit('account.created', event),
  )
}

/** Flows the directory's view of a linked user to its account: profile, active, role. */
export async function updateAccount(
  ctx: ApplyContext,
  account: AccountRow,
  user: DirectoryUserRow,
): Promise<void> {
  const { store, orgId, now } = ctx
  // A merged pre-existing account keeps its own email and name (see docs/sync.md); only accounts
  // the integration created take their profile from the identity provider.
  if (account.created_via_integration === 1) {
    const profile = profileOf(user)
    let email = profile.email
    if (profile.emailLower !== account.email_lower) {
      const other = await store.accounts.byEmail(orgId, profile.emailLower)
      if (other && other.id !== account.id) {
        email = account.email
        tally(ctx, 'conflicts')
        await ctx.audit(
          'account.conflict',
          account.id,
          { scimUserId: user.id, email: profile.email },
          'skipped',
        )
      }
    }
    if (email !== account.email || profile.name !== account.name) {
      await store.accounts.setProfile(orgId, account.id, email, profile.name, now)
      const changes: Record<string, { from: string; to: string }> = {}
      if (email !== account.email) changes.email = { from: account.email, to: email }
      if (profile.name !== account.name) changes.name = { from: account.name, to: profile.name }
      await ctx.emit('account.updated', { accountId: account.id, data: { changes } })
    }
  }
  if (user.active === 1 && account.active === 0) {
    await store.accounts.setActive(orgId, account.id, true, now)
    await ctx.emit('account.reactivated', { accountId: account.id, data: { scimUserId: user.id } })
    await ctx.audit('account.reactivated', account.id, { scimUserId: user.id })
  } else if (user.active === 0 && account.active === 1) {
    await store.accounts.setActive(orgId, account.id, false, now)
    const sessionsEnded = await endSessionsOf(store, orgId, account.id)
    await ctx.emit('account.deactivated', {
      accountId: account.id,
      data: { scimUserId: user.id, sessionsEnded },
    })
    await ctx.audit('account.deactivated', account.id, { scimUserId: user.id, sessionsEnded })
  }
  ctx.touched.add(user.id)
}

/**
 * The provisioned user is gone: the account the integration created is deleted (with its sessions
 * and linked identities); a merged pre-existing account stays and only loses the Okta link.
 */
export async function detachAccount(ctx: ApplyContext, account: AccountRow, reason: string): Promise<void> {
  const { store, orgId, now } = ctx
  if (account.created_via_integration === 1) {
    const sessionsEnded = await endSessionsOf(store, orgId, account.id)
    await store.accounts.remove(orgId, account.id)
    await ctx.emit('account.deleted', { accountId: account.id, data: { email: account.email, reason } })
    await ctx.audit('account.deleted', account.id, { email: account.email, reason, sessionsEnded })
    return
  }
  await store.accounts.setScimUser(orgId, account.id, null, now)
  await ctx.emit('account.updated', {
    accountId: account.id,
    data: { unlinked: { scimUserId: account.scim_user_id, reason } },
  })
  await ctx.audit('account.unlinked', account.id, { scimUserId: account.scim_user_id, reason })
}

/**
 * Merges a provisioned user into the pre-existing account: the account keeps its data, links and
 * source, and takes the Okta identity (scim_user_id); from then on Okta governs its active state
 * and role.
 */
export async function mergeInto(
  ctx: ApplyContext,
  account: AccountRow,
  user: DirectoryUserRow,
  matchedOn: MatchedOn,
  how: 'automatic' | 'resync',
): Promise<void> {
  const { store, orgId, now } = ctx
  await store.accounts.setScimUser(orgId, account.id, user.id, now)
  await store.duplicates.remove(orgId, user.id)
  const provisionedEmail = profileOf(user).email
  await ctx.emit('account.merged', {
    accountId: account.id,
    data: { scimUserId: user.id, provisionedEmail, matchedOn, how },
  })
  await ctx.audit('account.merged', account.id, { scimUserId: user.id, provisionedEmail, matchedOn, how })
  await updateAccount(ctx, { ...account, scim_user_id: user.id }, user)
}
