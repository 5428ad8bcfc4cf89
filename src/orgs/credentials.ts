/**
 * Listing and revoking an org's credentials: its admin API keys and its admins (remove, change a
 * password). Creating them lives next to the org rules in `service.ts`. Shared by the CLI, the
 * admin API and the console, so each rule (the last admin stays, a revoked credential stops at
 * once, every change is audited with who made it) is said once. Plain functions; no HTTP here.
 *
 * "At once" needs no cache to clear: the admin API looks the key's hash up on every request, and a
 * console or API-by-cookie request looks up the session and then its admin row, so deleting the row
 * (and the admin's session rows with it) is what ends them.
 */
import { conflict, notFound } from '../errors.ts'
import { endOtherSessionsOf, endSessionsOf } from '../sessions/service.ts'
import type { Repositories, Store } from '../store/index.ts'
import type { AdminRow } from '../store/orgs.ts'
import { checkPassword, generatePassword, hashPassword, isValidEmail, type Org } from './service.ts'

export interface ApiKeyItem {
  id: string
  name: string
  createdAt: string
  /** Absent until the key is first used. */
  lastUsedAt?: string
}

export interface AdminItem {
  id: string
  email: string
  createdAt: string
  /** 'password', or 'sso' for an admin made by their first console sign-in with Okta. */
  source: 'password' | 'sso'
  /** May sign in with a password while the org requires SSO for admins. */
  breakGlass: boolean
  /** The account this admin signs in with through Okta, once they have. */
  accountId: string | null
}

/** Who acts, as the audit log names it: `cli`, `api-key:<id>` or `admin:<id>`. */
export type Actor = string

const iso = (ms: number) => new Date(ms).toISOString()

/**
 * The audit row of an access change. An admin actor is also named by email, because the id of an
 * admin who is later removed says nothing to whoever reads the log.
 */
async function audit(
  store: Repositories,
  org: Org,
  action: string,
  actor: Actor,
  subject: string,
  data: Record<string, unknown>,
): Promise<void> {
  const adminId = actor.startsWith('admin:') ? actor.slice('admin:'.length) : null
  const actorEmail = adminId ? (await store.admins.byId(org.id, adminId))?.email : undefined
  await store.audit.record({
    orgId: org.id,
    kind: 'admin',
    action,
    outcome: 'success',
    actor,
    subject,
    data: actorEmail ? { ...data, actorEmail } : data,
  })
}

export async function listApiKeys(store: Store, org: Org): Promise<ApiKeyItem[]> {
  return (await store.apiKeys.list(org.id)).map((row) => ({
    id: row.id,
    name: row.name,
    createdAt: iso(row.created_at),
    ...(row.last_used_at === null ? {} : { lastUsedAt: iso(row.last_used_at) }),
  }))
}

/** Deletes the key; its very next request gets 401. A key of another org is not found. */
export async function revokeApiKey(
  store: Store,
  org: Org,
  id: string,
  actor: Actor,
): Promise<{ id: string; name: string }> {
  return store.transaction(async (tx) => {
    const row = await tx.apiKeys.byId(org.id, id)
    if (!row || !(await tx.apiKeys.remove(org.id, id))) throw notFound(`API key "${id}"`)
    await audit(tx, org, 'api_key.revoked', actor, id, { name: row.name })
    return { id, name: row.name }
  })
}

export async function listAdmins(store: Store, org: Org): Promise<AdminItem[]> {
  return (await store.admins.list(org.id)).map((row) => ({
    id: row.id,
    email: row.email,
    createdAt: iso(row.created_at),
    source: row.source,
    breakGlass: row.break_glass === 1,
    accountId: row.account_id,
  }))
}

export async function adminById(store: Repositories, org: Org, id: string): Promise<AdminRow> {
  const row = await store.admins.byId(org.id, id)
  if (!row) throw notFound(`admin "${id}"`)
  return row
}

export async function adminByEmail(store: Repositories, org: Org, email: string): Promise<AdminRow> {
  const trimmed = email.trim()
  const row = isValidEmail(trimmed) ? await store.admins.byEmail(org.id, trimmed.toLowerCase()) : null
  if (!row) throw notFound(`admin ${trimmed} in ${org.slug}`)
  return row
}

/**
 * Removes an admin and ends all of their sessions in the same transaction. The org's last admin
 * stays (409 LAST_ADMIN) unless `force` is set, which only the CLI offers: an operator with shell
 * access can always create a new one, a console user who removed the last admin could not.
 */
export async function removeAdmin(
  store: Store,
  org: Org,
  id: string,
  options: { actor: Actor; force?: boolean },
): Promise<{ id: string; email: string; endedSessions: number }> {
  return store.transaction(async (tx) => {
    const row = await adminById(tx, org, id)
    if (!options.force && (await tx.admins.count(org.id)) <= 1) {
      throw conflict(
        'LAST_ADMIN',
        `${row.email} is the only admin of ${org.slug}; add another admin first, so someone can still sign in`,
      )
    }
    // The actor's email is read before the row goes (an admin may remove themselves).
    await audit(tx, org, 'admin.removed', options.actor, id, { email: row.email })
    await tx.admins.remove(org.id, id)
    const endedSessions = await endSessionsOf(tx, org.id, id, 'admin')
    return { id, email: row.email, endedSessions }
  })
}

/**
 * Sets an admin's password (a generated one when none is given) and ends that admin's sessions,
 * except `keepSessionToken`: the session of the admin who changed their own password in it.
 */
export async function setAdminPassword(
  store: Store,
  org: Org,
  id: string,
  options: { password?: string; actor: Actor; keepSessionToken?: string },
): Promise<{ id: string; email: string; password: string; generated: boolean; endedSessions: number }> {
  const existing = await adminById(store, org, id)
  const password = options.password ?? generatePassword()
  checkPassword(password)
  const hash = await hashPassword(password)
  return store.transaction(async (tx) => {
    // The argon2 hash took a moment: the admin may have been removed meanwhile.
    if (!(await tx.admins.setPasswordHash(org.id, id, hash))) throw notFound(`admin "${id}"`)
    const endedSessions = options.keepSessionToken
      ? await endOtherSessionsOf(tx, org.id, id, 'admin', options.keepSessionToken)
      : await endSessionsOf(tx, org.id, id, 'admin')
    await audit(tx, org, 'admin.password_changed', options.actor, id, {
      email: existing.email,
      endedSessions,
    })
    return {
      id,
      email: existing.email,
      password,
      generated: options.password === undefined,
      endedSessions,
    }
  })
}
