/**
 * Users of an org as the admin API and the console show them: every account (provisioned or local)
 * with its groups from the directory and its linked GitHub/Bitbucket identities, listed with filters
 * and a keyset cursor; and the creation of a local account (one that exists outside the
 * integration, e.g. before it was set up).
 */
import { createAccount } from '../../accounts/service.ts'
import { conflict, invalid } from '../../errors.ts'
import { isValidEmail } from '../../orgs/service.ts'
import type { AccountRow } from '../../store/accounts.ts'
import type { Repositories, Store } from '../../store/index.ts'
import type { LinkedProvider } from '../../store/linked-identities.ts'
import { decodeCursor, encodeCursor, type Page, pageLimit } from './pagination.ts'

export interface LinkedIdentity {
  provider: LinkedProvider
  login: string
  email: string
}

export interface UserItem {
  id: string
  email: string
  name: string
  source: 'okta' | 'local'
  active: boolean
  role: string
  groups: string[]
  createdViaIntegration: boolean
  /** The SCIM user this account is linked to (provisioned, or merged), or null. */
  scimUserId: string | null
  linkedIdentities: LinkedIdentity[]
  createdAt: string
  updatedAt: string
  lastSignInAt: string | null
}

export interface UserQuery {
  email?: string
  source?: 'okta' | 'local'
  active?: 'true' | 'false'
  q?: string
  limit?: number
  cursor?: string
}

export interface NewLocalUser {
  email: string
  name: string
  linkedIdentities?: LinkedIdentity[]
}

export async function toUserItem(store: Repositories, account: AccountRow): Promise<UserItem> {
  const [groups, linked] = await Promise.all([
    account.scim_user_id ? store.directoryRead.groupNamesOfUser(account.org_id, account.scim_user_id) : [],
    store.linkedIdentities.ofAccount(account.org_id, account.id),
  ])
  return {
    id: account.id,
    email: account.email,
    name: account.name,
    source: account.source,
    active: account.active === 1,
    role: account.role,
    groups,
    createdViaIntegration: account.created_via_integration === 1,
    scimUserId: account.scim_user_id,
    linkedIdentities: linked.map((li) => ({ provider: li.provider, login: li.login, email: li.email })),
    createdAt: new Date(account.created_at).toISOString(),
    updatedAt: new Date(account.updated_at).toISOString(),
    lastSignInAt: account.last_sign_in_at ? new Date(account.last_sign_in_at).toISOString() : null,
  }
}

export async function listUsers(store: Store, orgId: string, query: UserQuery): Promise<Page<UserItem>> {
  const limit = pageLimit(query.limit)
  const after = decodeCursor<[number, string]>(query.cursor, ['number', 'string'])
  const search = query.q?.trim()
  const rows = await store.accounts.list(orgId, {
    emailLower: query.email?.trim().toLowerCase(),
    source: query.source,
    active: query.active === undefined ? undefined : query.active === 'true',
    search: search ? search : undefined,
    after: after ? { createdAt: after[0], id: after[1] } : undefined,
    limit: limit + 1,
  })
  const items = rows.slice(0, limit)
  const last = items.at(-1)
  return {
    items: await Promise.all(items.map((row) => toUserItem(store, row))),
    nextCursor: rows.length > limit && last ? encodeCursor([last.created_at, last.id]) : null,
  }
}

export async function getUser(store: Store, orgId: string, id: string): Promise<UserItem | null> {
  const row = await store.accounts.byId(orgId, id)
  return row ? toUserItem(store, row) : null
}

function validateLocalUser(input: NewLocalUser): { email: string; name: string; linked: LinkedIdentity[] } {
  const email = input.email.trim()
  if (!isValidEmail(email)) throw invalid('email', `"${input.email}" is not a valid email address`)
  const name = input.name.trim()
  if (!name) throw invalid('name', 'name must not be empty')
  const linked = (input.linkedIdentities ?? []).map((li, i) => {
    const liEmail = li.email.trim()
    if (!isValidEmail(liEmail)) {
      throw invalid(`linkedIdentities.${i}.email`, `"${li.email}" is not a valid email address`)
    }
    const login = li.login.trim()
    if (!login) throw invalid(`linkedIdentities.${i}.login`, 'login must not be empty')
    return { provider: li.provider, login, email: liEmail }
  })
  const providers = new Set(linked.map((li) => li.provider))
  if (providers.size !== linked.length) {
    throw invalid('linkedIdentities', 'at most one linked identity per provider')
  }
  return { email, name, linked }
}

/** Creates a local account (source `local`, not created via the integration). */
export async function createLocalUser(
  store: Store,
  orgId: string,
  input: NewLocalUser,
  actor: string,
): Promise<UserItem> {
  const { email, name, linked } = validateLocalUser(input)
  return store.transaction(async (tx) => {
    if (await tx.accounts.byEmail(orgId, email.toLowerCase())) {
      throw conflict('EMAIL_TAKEN', `an account with email ${email} already exists`, 'email')
    }
    // Downstream apps follow every account, local ones included: the service writes its event.
    const row = await createAccount(
      tx,
      { orgId, email, name, role: 'member', origin: { via: 'admin' }, linkedIdentities: linked },
      Date.now(),
    )
    await tx.audit.record({
      orgId,
      kind: 'admin',
      action: 'account.created',
      outcome: 'success',
      actor,
      subject: row.id,
      data: { email, source: 'local', linkedIdentities: linked.map((li) => li.provider) },
    })
    return toUserItem(tx, row)
  })
}
