/**
 * Connecting a GitHub or Bitbucket account to a signed-in person's account, and disconnecting it.
 * Starting stores a one-time `state` bound to the account and the browser session, with the PKCE
 * verifier; finishing redeems it, exchanges the code, reads the verified email, and stores the
 * linked identity (which duplicate detection then matches provisioned users against).
 */
import { linkIdentity } from '../accounts/service.ts'
import { conflict } from '../errors.ts'
import type { Org } from '../orgs/service.ts'
import { hashSecret, sameDigest } from '../store/ids.ts'
import type { Store } from '../store/index.ts'
import type { LinkedIdentityRow } from '../store/linked-identities.ts'
import { authorizeUrl, exchangeCode, fetchIdentity, OAuthError } from './client.ts'
import { codeChallenge, newCodeVerifier, newState } from './pkce.ts'
import type { OAuthProvider, ProviderId } from './providers.ts'

export const STATE_TTL_MS = 10 * 60_000

export interface ConnectingPerson {
  org: Org
  accountId: string
  /** SHA-256 of the browser session's token: the flow must finish in the browser that started it. */
  sessionHash: string
}

/** Records the state and returns the provider URL to send the browser to. */
export async function startConnect(
  store: Store,
  person: ConnectingPerson,
  provider: OAuthProvider,
  redirectUri: string,
  now = Date.now(),
): Promise<string> {
  const state = newState()
  const verifier = newCodeVerifier()
  await store.oauth.removeExpiredStates(now)
  await store.oauth.insertState({
    state_hash: hashSecret(state),
    org_id: person.org.id,
    account_id: person.accountId,
    session_hash: person.sessionHash,
    provider: provider.id,
    code_verifier: verifier,
    expires_at: now + STATE_TTL_MS,
  })
  return authorizeUrl(provider, { redirectUri, state, codeChallenge: codeChallenge(verifier) })
}

export async function finishConnect(
  store: Store,
  person: ConnectingPerson,
  provider: OAuthProvider,
  input: { state: string; code: string; redirectUri: string },
  now = Date.now(),
): Promise<LinkedIdentityRow> {
  const row = await store.oauth.takeState(hashSecret(input.state))
  const valid =
    row !== null &&
    row.org_id === person.org.id &&
    row.account_id === person.accountId &&
    row.provider === provider.id &&
    sameDigest(row.session_hash, person.sessionHash) &&
    row.expires_at > now
  if (!row || !valid) {
    throw new OAuthError(
      `This ${provider.label} connection was not started here or took too long. Please start again.`,
      'state unknown, used, expired or bound to another session',
    )
  }
  const accessToken = await exchangeCode(provider, {
    code: input.code,
    redirectUri: input.redirectUri,
    codeVerifier: row.code_verifier,
  })
  const identity = await fetchIdentity(provider, accessToken)
  return store.transaction(async (tx) => {
    const taken = await tx.oauth.identityByLogin(person.org.id, provider.id, identity.login)
    if (taken && taken.account_id !== person.accountId) {
      throw conflict(
        'IDENTITY_TAKEN',
        `The ${provider.label} account “${identity.login}” is already connected to someone else in this organization.`,
      )
    }
    await tx.oauth.removeIdentity(person.org.id, person.accountId, provider.id)
    const linked = await linkIdentity(
      tx,
      { id: person.accountId, org_id: person.org.id },
      { provider: provider.id, login: identity.login, email: identity.email },
      now,
    )
    await tx.audit.record({
      orgId: person.org.id,
      kind: 'admin',
      action: 'identity.linked',
      outcome: 'success',
      actor: `account:${person.accountId}`,
      subject: person.accountId,
      data: { provider: provider.id, login: identity.login, email: identity.email },
    })
    return linked
  })
}

/** A connection that did not finish (refused at the provider, stale state, identity taken), audited. */
export async function recordConnectFailure(
  store: Store,
  person: Pick<ConnectingPerson, 'org' | 'accountId'>,
  reason: string,
): Promise<void> {
  await store.audit.record({
    orgId: person.org.id,
    kind: 'admin',
    action: 'identity.linked',
    outcome: 'failure',
    actor: `account:${person.accountId}`,
    subject: person.accountId,
    reason,
  })
}

export function disconnect(
  store: Store,
  org: Org,
  accountId: string,
  provider: ProviderId,
): Promise<boolean> {
  return store.transaction(async (tx) => {
    const removed = (await tx.oauth.removeIdentity(org.id, accountId, provider)) > 0
    if (removed) {
      await tx.audit.record({
        orgId: org.id,
        kind: 'admin',
        action: 'identity.unlinked',
        outcome: 'success',
        actor: `account:${accountId}`,
        subject: accountId,
        data: { provider },
      })
    }
    return removed
  })
}

export function connectedIdentities(store: Store, org: Org, accountId: string): Promise<LinkedIdentityRow[]> {
  return store.linkedIdentities.ofAccount(org.id, accountId)
}
