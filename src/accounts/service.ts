/**
 * The one writer of new accounts: every account row (provisioned by the scheduler, created just in
 * time at a SAML sign-in, or local, made by an admin) is built here, with its linked identities,
 * and announced with its `account.created` event in the caller's transaction. The callers keep
 * what is theirs: the scheduler its duplicate and conflict rules, the ACS its sign-in, the admin
 * side its validation and audit row.
 *
 * The event's data is the same for every way in: `{email, name, role, source, scimUserId, via}`,
 * `via` saying which (`scim`, `saml_jit`, `admin`). Plain functions over the store; they take
 * `Repositories` so they run inside a transaction (`tx`).
 */
import type { AccountRow } from '../store/accounts.ts'
import type { NewEvent } from '../store/events.ts'
import { newId } from '../store/ids.ts'
import type { Repositories } from '../store/index.ts'
import type { LinkedIdentityRow, LinkedProvider } from '../store/linked-identities.ts'

/** How an account came to be. */
export type AccountOrigin =
  /** Provisioned: the scheduler applied an active SCIM user (src/sync/users.ts). */
  | { via: 'scim'; scimUserId: string }
  /** Just in time: an unknown person signed in through SAML and the org allows it (src/saml/service.ts). */
  | { via: 'saml_jit' }
  /** Local: an admin created it outside the integration (src/admin/services/users.ts). */
  | { via: 'admin' }

export interface NewAccount {
  orgId: string
  email: string
  name: string
  role: string
  origin: AccountOrigin
  /** GitHub / Bitbucket identities to link from the start (local accounts). */
  linkedIdentities?: readonly IdentityToLink[]
}

export interface IdentityToLink {
  provider: LinkedProvider
  login: string
  email: string
}

/** Writes one event; the scheduler passes its batch's writer so the event is counted with the batch. */
export type EventWriter = (event: NewEvent) => Promise<unknown>

/**
 * Creates the account, links its identities and writes its `account.created` event. The caller has
 * checked that the email is free in the org (the store's uniqueness refuses a second one anyway).
 */
export async function createAccount(
  store: Repositories,
  input: NewAccount,
  now: number,
  emit: EventWriter = (event) => store.events.append(input.orgId, event, now),
): Promise<AccountRow> {
  const { origin } = input
  const account: AccountRow = {
    id: newId(),
    org_id: input.orgId,
    email: input.email,
    email_lower: input.email.toLowerCase(),
    name: input.name,
    source: origin.via === 'admin' ? 'local' : 'okta',
    active: 1,
    role: input.role,
    scim_user_id: origin.via === 'scim' ? origin.scimUserId : null,
    created_via_integration: origin.via === 'admin' ? 0 : 1,
    last_sign_in_at: null,
    created_at: now,
    updated_at: now,
  }
  await store.accounts.insert(account)
  for (const identity of input.linkedIdentities ?? []) await linkIdentity(store, account, identity, now)
  await emit({
    type: 'account.created',
    accountId: account.id,
    data: {
      email: account.email,
      name: account.name,
      role: account.role,
      source: account.source,
      scimUserId: account.scim_user_id,
      via: origin.via,
    },
  })
  return account
}

/** Links a GitHub / Bitbucket identity to the account (the caller removes an older one first). */
export async function linkIdentity(
  store: Repositories,
  account: Pick<AccountRow, 'id' | 'org_id'>,
  identity: IdentityToLink,
  now: number,
): Promise<LinkedIdentityRow> {
  const row: LinkedIdentityRow = {
    id: newId(),
    org_id: account.org_id,
    account_id: account.id,
    provider: identity.provider,
    login: identity.login,
    email: identity.email,
    email_lower: identity.email.toLowerCase(),
    created_at: now,
  }
  await store.linkedIdentities.insert(row)
  return row
}
