/**
 * Sessions for people in a browser: SSO users (kind 'user', subject = account id) and admins (kind
 * 'admin', subject = admin id; an admin signed in through Okta also carries the account). The cookie
 * holds a random token; the store holds its SHA-256. A session is bound to one org: a cookie
 * presented under another org's URL is no session at all. Idle and absolute expiry follow the org's
 * current `sessionIdleMinutes` / `sessionMaxHours` (./lifetime.ts; IDLE_MS and ABSOLUTE_MS are the
 * defaults). An admin session opened through Okta also ends once its account is deactivated or no
 * longer mapped to the admin role. The cookies that carry the tokens are built and read in
 * src/pages/cookies.ts.
 */
import { hashSecret, newSecret, sameDigest } from '../store/ids.ts'
import type { Repositories } from '../store/index.ts'
import type { SessionForRequest, SessionKind } from '../store/sessions.ts'
import {
  DEFAULT_LIFETIME,
  lifetimeFromSettings,
  orgSessionLifetime,
  type SessionLifetime,
} from './lifetime.ts'

/** The defaults of `sessionIdleMinutes` (8 h) and `sessionMaxHours` (7 days). */
export const IDLE_MS = DEFAULT_LIFETIME.idleMs
export const ABSOLUTE_MS = DEFAULT_LIFETIME.maxMs
/** last_seen_at is written at most this often, to keep reads cheap. */
const TOUCH_EVERY_MS = 60_000

export interface IssuedSession {
  token: string
  csrfToken: string
  expiresAt: number
  /** For the cookie's Max-Age: never longer than the org's `sessionMaxHours`. */
  maxAgeSeconds: number
}

export interface ActiveSession {
  orgId: string
  kind: SessionKind
  subjectId: string
  csrfToken: string
  tokenHash: string
  /** An admin session opened through Okta: the account it came from. */
  accountId: string | null
  /** The SAML subject of a user session opened by a SAML sign-in, else null. */
  saml: SamlSubject | null
}

/** The SAML subject a user session came from, for single logout (see `src/saml/logout.ts`). */
export interface SamlSubject {
  nameId: string
  nameIdFormat: string | null
  sessionIndex: string | null
}

export interface SessionInput {
  orgId: string
  kind: SessionKind
  subjectId: string
  /** An admin session opened through Okta: the account (the session lives while it is an active admin). */
  accountId?: string
  /** The org's lifetime when the caller has it already; otherwise it is read. */
  lifetime?: SessionLifetime
  /** A user session opened by a SAML sign-in: its subject, for single logout. */
  saml?: SamlSubject | null
}

export async function issueSession(
  store: Repositories,
  input: SessionInput,
  now = Date.now(),
): Promise<IssuedSession> {
  const lifetime = input.lifetime ?? (await orgSessionLifetime(store, input.orgId))
  const token = newSecret('')
  const csrfToken = newSecret('')
  const expiresAt = now + lifetime.maxMs
  await store.sessions.insert({
    token_hash: hashSecret(token),
    org_id: input.orgId,
    kind: input.kind,
    subject_id: input.subjectId,
    csrf_token: csrfToken,
    created_at: now,
    last_seen_at: now,
    expires_at: expiresAt,
    account_id: input.accountId ?? null,
    name_id: input.saml?.nameId ?? null,
    name_id_format: input.saml?.nameIdFormat ?? null,
    session_index: input.saml?.sessionIndex ?? null,
  })
  return { token, csrfToken, expiresAt, maxAgeSeconds: Math.floor(lifetime.maxMs / 1000) }
}

/** Whether the session is over at `now`, by the org's current lifetime and its account's state. */
function ended(row: SessionForRequest, now: number): boolean {
  const lifetime = lifetimeFromSettings(row.integration_settings)
  if (row.expires_at <= now || row.created_at + lifetime.maxMs <= now) return true
  if (row.last_seen_at + lifetime.idleMs <= now) return true
  // Opened through Okta: only while the account is active (and, for the console, an admin).
  if (row.account_id !== null) {
    if (row.account_active !== 1) return true
    if (row.kind === 'admin' && row.account_role !== 'admin') return true
  }
  return false
}

/** The live session for this token in this org and of this kind, or null (expired ones are deleted). */
export async function verifySession(
  store: Repositories,
  token: string | null | undefined,
  orgId: string,
  kind: SessionKind,
  now = Date.now(),
): Promise<ActiveSession | null> {
  if (!token || token.length > 200) return null
  const digest = hashSecret(token)
  // One read: the row, the org's settings and (opened through Okta) the account's state.
  const row = await store.sessions.forRequest(digest)
  if (!row || !sameDigest(row.token_hash, digest)) return null
  if (row.org_id !== orgId || row.kind !== kind) return null
  if (ended(row, now)) {
    await store.sessions.remove(digest)
    return null
  }
  if (now - row.last_seen_at > TOUCH_EVERY_MS) await store.sessions.touch(digest, now)
  return {
    orgId: row.org_id,
    kind: row.kind,
    subjectId: row.subject_id,
    csrfToken: row.csrf_token,
    tokenHash: digest,
    accountId: row.account_id,
    saml: row.name_id
      ? { nameId: row.name_id, nameIdFormat: row.name_id_format, sessionIndex: row.session_index }
      : null,
  }
}

/** Whether a form's or header's CSRF token is the one this session carries (constant time). */
export function csrfMatches(expected: string, given: string | null | undefined): boolean {
  return typeof given === 'string' && given.length > 0 && sameDigest(expected, given)
}

export async function endSession(store: Repositories, token: string | null | undefined): Promise<void> {
  if (token) await store.sessions.remove(hashSecret(token))
}

/** Ends every session of an account (deactivation, removal) and returns how many ended. */
export function endSessionsOf(
  store: Repositories,
  orgId: string,
  subjectId: string,
  kind: SessionKind = 'user',
): Promise<number> {
  return store.sessions.removeForSubject(orgId, subjectId, kind)
}

/**
 * Ends every session of an admin or account except the one holding `keepToken` (the caller's own,
 * after a password change made in that session); returns how many ended.
 */
export function endOtherSessionsOf(
  store: Repositories,
  orgId: string,
  subjectId: string,
  kind: SessionKind,
  keepToken: string,
): Promise<number> {
  return store.sessions.removeForSubjectExcept(orgId, subjectId, kind, hashSecret(keepToken))
}
