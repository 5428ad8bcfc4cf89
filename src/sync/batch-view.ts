/**
 * One sync batch's view of its transaction: the same repositories, with the reads the apply
 * functions make per change (a directory user or group, the account of a SCIM user or of an email,
 * an announced group, a role) answered from rows fetched for the whole batch up front, one query
 * per kind (`prefetch`). On PostgreSQL each of those reads was a round trip; a batch of 500 changes
 * made a few thousand.
 *
 * The view is a cache, never a second source of truth: the writes the batch makes through it
 * update the cached rows the same way they update the tables (an inserted account is found by its
 * SCIM user and its email, a changed email moves its key, a removed account is gone). Every write
 * goes to the transaction at once, except new accounts: they are inserted together by `flush()`
 * (one statement), and a change to one of them before that changes the row to insert. A read the
 * cache cannot answer goes to the transaction as before (after `flush()` if it reads accounts).
 * The directory is never written by the scheduler, so its rows stay as read. Only the view's org
 * is cached; any other org goes straight through.
 */
import type { AccountRow } from '../store/accounts.ts'
import type { DirectoryGroupRow, DirectoryUserRow } from '../store/directory-read.ts'
import type { Repositories } from '../store/index.ts'
import type { LinkedIdentityRow } from '../store/linked-identities.ts'
import type { Role } from '../store/roles.ts'
import type { MirrorGroupRow } from '../store/sync-mirror.ts'
import { profileOf } from './profile.ts'

export interface Prefetch {
  /** Users whose directory row, account, email matches and duplicate pair the batch reads. */
  users?: string[]
  /** Rows of some of `users` the caller already holds (a reconcile page). */
  userRows?: DirectoryUserRow[]
  /** SCIM users whose account (and role) the batch reads, but not their directory row. */
  accounts?: string[]
  /** Accounts the caller already holds (a reconcile page of linked accounts). */
  accountRows?: AccountRow[]
  /** Groups whose directory row and announced row the batch reads. */
  groups?: string[]
  groupRows?: DirectoryGroupRow[]
  /** Whether roles come from mappings at all (else every role is `member` and none is read). */
  roles?: boolean
}

export interface BatchView {
  /** The transaction's repositories with the cached reads. */
  readonly store: Repositories
  prefetch(what: Prefetch): Promise<void>
  /** Inserts the accounts created so far. */
  flush(): Promise<void>
}

const unique = (ids: Iterable<string>) => [...new Set(ids)]

export function batchView(tx: Repositories, orgId: string): BatchView {
  const users = new Map<string, DirectoryUserRow | null>()
  const groups = new Map<string, DirectoryGroupRow | null>()
  const mirror = new Map<string, MirrorGroupRow | null>()
  const accountById = new Map<string, AccountRow | null>()
  const accountByScim = new Map<string, AccountRow | null>()
  const accountByEmail = new Map<string, AccountRow | null>()
  const linkedByEmail = new Map<string, LinkedIdentityRow[]>()
  const hasDuplicate = new Map<string, boolean>()
  const roleOf = new Map<string, Role>()
  const roleOfGroup = new Map<string, Role | null>()

  // Every cached account row is indexed by its id, SCIM user and email, so a write by id finds
  // every key that names it.
  const remember = (row: AccountRow) => {
    accountById.set(row.id, row)
    if (row.scim_user_id !== null) accountByScim.set(row.scim_user_id, row)
    accountByEmail.set(row.email_lower, row)
  }
  const forget = (row: AccountRow) => {
    accountById.set(row.id, null)
    if (row.scim_user_id !== null && accountByScim.get(row.scim_user_id)?.id === row.id)
      accountByScim.set(row.scim_user_id, null)
    if (accountByEmail.get(row.email_lower)?.id === row.id) accountByEmail.set(row.email_lower, null)
  }
  const change = (id: string, patch: Partial<AccountRow>) => {
    const old = accountById.get(id)
    if (!old) return false
    forget(old)
    const row = { ...old, ...patch }
    remember(row)
    if (pending.has(id)) pending.set(id, row)
    return true
  }
  const mine = (org: string) => org === orgId
  /** Accounts created by the batch and not inserted yet, by id, in creation order. */
  const pending = new Map<string, AccountRow>()
  const isPending = (org: string, id: string) => mine(org) && pending.has(id)
  async function flush(): Promise<void> {
    if (pending.size === 0) return
    const rows = [...pending.values()]
    pending.clear()
    await tx.accounts.insertMany(rows)
  }

  /** A read-through cache entry: the cached value, else `load` (and cached). */
  async function through<K, V>(map: Map<K, V>, key: K, load: () => Promise<V>): Promise<V> {
    if (map.has(key)) return map.get(key) as V
    const value = await load()
    map.set(key, value)
    return value
  }

  const accounts: Repositories['accounts'] = {
    ...tx.accounts,
    async insert(row) {
      if (!mine(row.org_id)) return tx.accounts.insert(row)
      pending.set(row.id, row)
      remember(row)
    },
    async insertMany(rows) {
      for (const row of rows) await accounts.insert(row)
    },
    async list(org, filter) {
      await flush()
      return tx.accounts.list(org, filter)
    },
    async linkedPage(org, after, limit) {
      await flush()
      return tx.accounts.linkedPage(org, after, limit)
    },
    async countLinked(org) {
      await flush()
      return tx.accounts.countLinked(org)
    },
    async byScimUsers(org, ids) {
      await flush()
      return tx.accounts.byScimUsers(org, ids)
    },
    async byEmails(org, emails) {
      await flush()
      return tx.accounts.byEmails(org, emails)
    },
    async byId(org, id) {
      if (!mine(org)) return tx.accounts.byId(org, id)
      if (accountById.has(id)) return accountById.get(id) ?? null
      const row = await tx.accounts.byId(org, id)
      if (row) remember(row)
      else accountById.set(id, null)
      return row
    },
    async byEmail(org, emailLower) {
      if (!mine(org)) return tx.accounts.byEmail(org, emailLower)
      if (accountByEmail.has(emailLower)) return accountByEmail.get(emailLower) ?? null
      const row = await tx.accounts.byEmail(org, emailLower)
      if (row) remember(row)
      else accountByEmail.set(emailLower, null)
      return row
    },
    async byScimUser(org, scimUserId) {
      if (!mine(org)) return tx.accounts.byScimUser(org, scimUserId)
      if (accountByScim.has(scimUserId)) return accountByScim.get(scimUserId) ?? null
      const row = await tx.accounts.byScimUser(org, scimUserId)
      if (row) remember(row)
      else accountByScim.set(scimUserId, null)
      return row
    },
    async recordSignIn(org, id, at) {
      if (!isPending(org, id)) await tx.accounts.recordSignIn(org, id, at)
      if (mine(org)) change(id, { last_sign_in_at: at })
    },
    async setProfile(org, id, email, name, at) {
      if (!isPending(org, id)) await tx.accounts.setProfile(org, id, email, name, at)
      if (!mine(org)) return
      const emailLower = email.toLowerCase()
      if (!change(id, { email, email_lower: emailLower, name, updated_at: at }))
        accountByEmail.delete(emailLower)
    },
    async setActive(org, id, active, at) {
      if (!isPending(org, id)) await tx.accounts.setActive(org, id, active, at)
      if (mine(org)) change(id, { active: active ? 1 : 0, updated_at: at })
    },
    async setRole(org, id, role, at) {
      if (!isPending(org, id)) await tx.accounts.setRole(org, id, role, at)
      if (mine(org)) change(id, { role, updated_at: at })
    },
    async setScimUser(org, id, scimUserId, at) {
      if (!isPending(org, id)) await tx.accounts.setScimUser(org, id, scimUserId, at)
      if (!mine(org)) return
      if (!change(id, { scim_user_id: scimUserId, updated_at: at }) && scimUserId !== null)
        accountByScim.delete(scimUserId)
    },
    async remove(org, id) {
      const removed = isPending(org, id) ? 1 : await tx.accounts.remove(org, id)
      if (isPending(org, id)) pending.delete(id)
      if (mine(org)) {
        const old = accountById.get(id)
        if (old) forget(old)
        else accountById.set(id, null)
      }
      return removed
    },
  }

  const directoryRead: Repositories['directoryRead'] = {
    ...tx.directoryRead,
    user: (org, id) =>
      mine(org) ? through(users, id, () => tx.directoryRead.user(org, id)) : tx.directoryRead.user(org, id),
    group: (org, id) =>
      mine(org)
        ? through(groups, id, () => tx.directoryRead.group(org, id))
        : tx.directoryRead.group(org, id),
  }

  const syncMirror: Repositories['syncMirror'] = {
    ...tx.syncMirror,
    group: (org, groupId) =>
      mine(org)
        ? through(mirror, groupId, () => tx.syncMirror.group(org, groupId))
        : tx.syncMirror.group(org, groupId),
    async putGroup(org, groupId, displayName, at) {
      await tx.syncMirror.putGroup(org, groupId, displayName, at)
      if (mine(org))
        mirror.set(groupId, {
          org_id: org,
          group_id: groupId,
          display_name: displayName,
          display_name_lower: displayName.toLowerCase(),
          applied_at: at,
        })
    },
    async removeGroup(org, groupId) {
      await tx.syncMirror.removeGroup(org, groupId)
      if (mine(org)) mirror.set(groupId, null)
    },
    async clearGroups(org) {
      const cleared = await tx.syncMirror.clearGroups(org)
      if (mine(org)) mirror.clear()
      return cleared
    },
  }

  const linkedIdentities: Repositories['linkedIdentities'] = {
    ...tx.linkedIdentities,
    byEmail: (org, emailLower) =>
      mine(org)
        ? through(linkedByEmail, emailLower, () => tx.linkedIdentities.byEmail(org, emailLower))
        : tx.linkedIdentities.byEmail(org, emailLower),
    async insert(row) {
      await tx.linkedIdentities.insert(row)
      linkedByEmail.delete(row.email_lower)
    },
    async removeOfAccount(org, accountId) {
      const removed = await tx.linkedIdentities.removeOfAccount(org, accountId)
      linkedByEmail.clear()
      return removed
    },
  }

  const duplicates: Repositories['duplicates'] = {
    ...tx.duplicates,
    async record(org, scimUserId, accountId, matchedOn, at) {
      const changed = await tx.duplicates.record(org, scimUserId, accountId, matchedOn, at)
      if (mine(org)) hasDuplicate.set(scimUserId, true)
      return changed
    },
    async remove(org, scimUserId) {
      if (mine(org) && hasDuplicate.get(scimUserId) === false) return 0
      const removed = await tx.duplicates.remove(org, scimUserId)
      if (mine(org)) hasDuplicate.set(scimUserId, false)
      return removed
    },
  }

  const roles: Repositories['roles'] = {
    ...tx.roles,
    roleOf: (org, scimUserId) =>
      mine(org)
        ? through(roleOf, scimUserId, () => tx.roles.roleOf(org, scimUserId))
        : tx.roles.roleOf(org, scimUserId),
    roleOfGroup: (org, nameLower) =>
      mine(org)
        ? through(roleOfGroup, nameLower, () => tx.roles.roleOfGroup(org, nameLower))
        : tx.roles.roleOfGroup(org, nameLower),
    async replace(org, mappings) {
      await tx.roles.replace(org, mappings)
      roleOf.clear()
      roleOfGroup.clear()
    },
  }

  const store: Repositories = {
    ...tx,
    accounts,
    directoryRead,
    syncMirror,
    linkedIdentities,
    duplicates,
    roles,
  }

  /** Accounts (and roles) of SCIM users not cached yet. */
  async function prefetchAccounts(ids: string[], withRoles: boolean): Promise<void> {
    const missing = ids.filter((id) => !accountByScim.has(id))
    const needRoles = withRoles ? ids.filter((id) => !roleOf.has(id)) : []
    const [found, admins] = await Promise.all([
      missing.length > 0 ? tx.accounts.byScimUsers(orgId, missing) : [],
      needRoles.length > 0 ? tx.roles.adminsAmong(orgId, needRoles) : [],
    ])
    for (const row of found) remember(row)
    for (const id of missing) if (!accountByScim.has(id)) accountByScim.set(id, null)
    const adminSet = new Set(admins)
    for (const id of needRoles) roleOf.set(id, adminSet.has(id) ? 'admin' : 'member')
  }

  /**
   * What applying these users reads besides their row and account: the accounts and linked
   * identities holding their emails (pre-existing matches, conflicts) and their duplicate pairs.
   */
  async function prefetchMatches(ids: string[]): Promise<void> {
    const emails: string[] = []
    const pairless: string[] = []
    for (const id of ids) {
      const user = users.get(id)
      if (!user) continue
      const emailLower = profileOf(user).emailLower
      const account = accountByScim.get(id)
      if (account?.email_lower === emailLower) continue
      if (!accountByEmail.has(emailLower)) emails.push(emailLower)
      if (!account) {
        if (!linkedByEmail.has(emailLower)) emails.push(emailLower)
        if (!hasDuplicate.has(id)) pairless.push(id)
      }
    }
    const wanted = unique(emails)
    const [byEmail, linked, pairs] = await Promise.all([
      wanted.length > 0 ? tx.accounts.byEmails(orgId, wanted) : [],
      wanted.length > 0 ? tx.linkedIdentities.byEmails(orgId, wanted) : [],
      pairless.length > 0 ? tx.duplicates.ofScimUsers(orgId, pairless) : [],
    ])
    // An account cached already (written by this batch) wins over the row just read.
    for (const row of byEmail) if (!accountById.has(row.id)) remember(row)
    for (const email of wanted) {
      if (!accountByEmail.has(email)) accountByEmail.set(email, null)
      linkedByEmail.set(email, [])
    }
    for (const row of linked) linkedByEmail.get(row.email_lower)?.push(row)
    for (const id of pairless) hasDuplicate.set(id, false)
    for (const pair of pairs) hasDuplicate.set(pair.scim_user_id, true)
  }

  return {
    store,
    flush,
    async prefetch(what) {
      for (const row of what.userRows ?? []) users.set(row.id, row)
      for (const row of what.groupRows ?? []) groups.set(row.id, row)
      for (const row of what.accountRows ?? []) if (!accountById.has(row.id)) remember(row)
      const userIds = unique(what.users ?? [])
      const groupIds = unique(what.groups ?? [])
      const missingUsers = userIds.filter((id) => !users.has(id))
      const missingGroups = groupIds.filter((id) => !groups.has(id))
      const missingMirror = groupIds.filter((id) => !mirror.has(id))
      const [userRows, groupRows, mirrorRows] = await Promise.all([
        missingUsers.length > 0 ? tx.directoryRead.usersByIds(orgId, missingUsers) : [],
        missingGroups.length > 0 ? tx.directoryRead.groupsByIds(orgId, missingGroups) : [],
        missingMirror.length > 0 ? tx.syncMirror.groupsByIds(orgId, missingMirror) : [],
        prefetchAccounts(unique([...userIds, ...(what.accounts ?? [])]), what.roles === true),
      ])
      for (const row of userRows) users.set(row.id, row)
      for (const id of missingUsers) if (!users.has(id)) users.set(id, null)
      for (const row of groupRows) groups.set(row.id, row)
      for (const id of missingGroups) if (!groups.has(id)) groups.set(id, null)
      for (const row of mirrorRows) mirror.set(row.group_id, row)
      for (const id of missingMirror) if (!mirror.has(id)) mirror.set(id, null)
      await prefetchMatches(userIds)
    },
  }
}
