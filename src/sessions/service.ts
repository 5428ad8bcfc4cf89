/**
 * Sessions for people in a browser: SSO users (kind 'user', subject = account id) and admins (kind
 * 'admin', subject = admin id). The cookie holds a random token; the store holds its SHA-256. A
 * session is bound to one org: a cookie presented under another org's URL is no session at all.
 * Idle expiry (no request for IDLE_MS) and absolute expiry (ABSOLUTE_MS after sign-in). The cookies
 * that carry the tokens are built and read in src/pages/cookies.ts.
 */
import { hashSecret, newSecret, sameDigest } from '../store/ids.ts'
import type { Repositories } from '../store/index.ts'
import type { SessionKind, SessionRow } from '../store/sessions.ts'

export const IDLE_MS = 8 * 3600_000
export const ABSOLUTE_MS = 7 * 24 * 3600_000
/** last_seen_at is written at most this often, to keep reads cheap. */
const TOUCH_EVERY_MS = 60_000

export interface IssuedSession {
  token: string
  csrfToken: string
  expiresAt: number
}

export interface ActiveSession {
  orgId: string
  kind: SessionKind
  subjectId: string
  csrfToken: string
  tokenHash: string
  /** The SAML subject of a user session opened by a SAML sign-in, else null. */
  saml: SamlSubject | null
}

/** The SAML subject a user session came from, for single logout (see `src/saml/logout.ts`). */
export interface SamlSubject {
  nameId: string
  nameIdFormat: string | null
  sessionIndex: string | null
}

export async function issueSession(
  store: Repositories,
  input: { orgId: string; kind: SessionKind; subjectId: string; saml?: SamlSubject | null },
  now = Date.now(),
): Promise<IssuedSession> {
  const token = newSecret('')
  const csrfToken = newSecret('')
  const expiresAt = now + ABSOLUTE_MS
  await store.sessions.insert({
    token_hash: hashSecret(token),
    org_id: input.orgId,
    kind: input.kind,
    subject_id: input.subjectId,
    csrf_token: csrfToken,
    created_at: now,
    last_seen_at: now,
    expires_at: expiresAt,
    name_id: input.saml?.nameId ?? null,
    name_id_format: input.saml?.nameIdFormat ?? null,
    session_index: input.saml?.sessionIndex ?? null,
  })
  return { token, csrfToken, expiresAt }
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
  const row: SessionRow | null = await store.sessions.byHash(digest)
  if (!row || !sameDigest(row.token_hash, digest)) return null
  if (row.org_id !== orgId || row.kind !== kind) return null
  if (row.expires_at <= now || row.last_seen_at + IDLE_MS <= now) {
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
