/**
 * Admin sign-in for the console: the email + password check (argon2id via Bun.password), the admin
 * session cookie (named and scoped by src/pages/cookies.ts), the CSRF token of that session, and the
 * lookup that lets the admin API accept the same cookie. Plain functions; no Elysia here.
 *
 * CSRF: every console form carries the session's token in `_csrf`; API calls authenticated by the
 * cookie must send it in `X-CSRF-Token` for any method that changes something. SameSite=Lax on the
 * cookie is a second fence, not the only one.
 */
import { ServiceError } from '../errors.ts'
import type { AdminSessionLookup } from '../http/admin-auth.ts'
import { type Org, orgUrl } from '../orgs/service.ts'
import { type CookieScope, clearCookie, cookieScope, readCookie, setCookie } from '../pages/cookies.ts'
import { ABSOLUTE_MS, endSession, issueSession, verifySession } from '../sessions/service.ts'
import { sameDigest } from '../store/ids.ts'
import type { Store } from '../store/index.ts'

export const CSRF_HEADER = 'x-csrf-token'
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** Path of the org URL as the browser sees it: `/orgs/acme`, or '' for an org on its own origin. */
export function basePathOf(org: Pick<Org, 'slug' | 'url'>, publicUrl: string): string {
  return new URL(orgUrl(org, publicUrl)).pathname.replace(/\/+$/, '')
}

/** Where this org's console cookies live (see src/pages/cookies.ts). */
export function consoleCookieScope(org: Pick<Org, 'id' | 'slug' | 'url'>, publicUrl: string): CookieScope {
  return cookieScope(org.id, orgUrl(org, publicUrl))
}

export interface SignedInAdmin {
  adminId: string
  email: string
  csrfToken: string
  token: string
}

// Verifying against a real argon2id hash when the email is unknown makes both answers take as long,
// so response time does not tell which admin emails exist.
let decoyHash: Promise<string> | null = null
function decoy(): Promise<string> {
  decoyHash ??= Bun.password.hash(crypto.randomUUID(), { algorithm: 'argon2id' })
  return decoyHash
}

/** The admin with this email and password in this org, or null. */
export async function checkAdminPassword(
  store: Store,
  org: Org,
  email: string,
  password: string,
): Promise<{ adminId: string } | null> {
  const admin = await store.admins.byEmail(org.id, email.trim().toLowerCase())
  if (!admin) {
    await Bun.password.verify(password, await decoy()).catch(() => false)
    return null
  }
  const ok = await Bun.password.verify(password, admin.password_hash).catch(() => false)
  return ok ? { adminId: admin.id } : null
}

export async function startAdminSession(
  store: Store,
  org: Org,
  adminId: string,
  publicUrl: string,
): Promise<{ cookie: string; csrfToken: string }> {
  const issued = await issueSession(store, { orgId: org.id, kind: 'admin', subjectId: adminId })
  await store.audit.record({
    orgId: org.id,
    kind: 'admin',
    action: 'admin.signed_in',
    outcome: 'success',
    actor: `admin:${adminId}`,
  })
  const cookie = setCookie('admin', consoleCookieScope(org, publicUrl), issued.token, ABSOLUTE_MS / 1000)
  return { cookie, csrfToken: issued.csrfToken }
}

/** The signed-in admin of this org for this request, or null (no, expired or foreign cookie). */
export async function currentAdmin(
  store: Store,
  org: Org,
  request: Request,
  publicUrl: string,
): Promise<SignedInAdmin | null> {
  const token = readCookie(request.headers.get('cookie'), 'admin', consoleCookieScope(org, publicUrl))
  const session = await verifySession(store, token, org.id, 'admin')
  if (!session || !token) return null
  const admin = await store.admins.byId(org.id, session.subjectId)
  if (!admin) return null
  return { adminId: admin.id, email: admin.email, csrfToken: session.csrfToken, token }
}

export async function endAdminSession(
  store: Store,
  org: Org,
  request: Request,
  publicUrl: string,
): Promise<string> {
  const scope = consoleCookieScope(org, publicUrl)
  await endSession(store, readCookie(request.headers.get('cookie'), 'admin', scope))
  return clearCookie('admin', scope)
}

export function csrfMatches(expected: string, given: string | null | undefined): boolean {
  return typeof given === 'string' && given.length > 0 && sameDigest(expected, given)
}

/**
 * The admin API's cookie authentication. Safe methods need only the session; anything else also
 * needs `X-CSRF-Token`, because a browser attaches the cookie to requests other sites start.
 */
export function adminSessionLookup(store: Store, publicUrl: string): AdminSessionLookup {
  return async (org, request) => {
    const admin = await currentAdmin(store, org, request, publicUrl)
    if (!admin) return null
    if (
      !SAFE_METHODS.has(request.method) &&
      !csrfMatches(admin.csrfToken, request.headers.get(CSRF_HEADER))
    ) {
      throw new ServiceError(
        403,
        'CSRF_TOKEN_INVALID',
        'requests authenticated by the admin session cookie must send its CSRF token in X-CSRF-Token',
      )
    }
    return { adminId: admin.adminId }
  }
}

/**
 * Where to go after signing in: only a path inside this org's console. Anything else (another
 * origin, `//host`, a backslash trick, another org) falls back to the integration page.
 */
export function safeNext(next: string | null | undefined, basePath: string): string {
  const fallback = `${basePath}/admin/integration`
  if (!next || next.length > 2000) return fallback
  if (!next.startsWith(`${basePath}/admin`) || /[\\\s]/.test(next) || next.startsWith('//')) return fallback
  try {
    const parsed = new URL(next, 'http://console.invalid')
    if (parsed.origin !== 'http://console.invalid') return fallback
    const path = parsed.pathname
    if (path !== `${basePath}/admin` && !path.startsWith(`${basePath}/admin/`)) return fallback
    if (path.startsWith(`${basePath}/admin/login`) || path.startsWith(`${basePath}/admin/logout`))
      return fallback
    return `${path}${parsed.search}`
  } catch {
    return fallback
  }
}
