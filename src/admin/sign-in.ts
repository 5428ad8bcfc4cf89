/**
 * Admin sign-in and sign-out as the console's sign-in page uses them: the email + password check
 * (argon2id via Bun.password), the session it starts (`session.ts` finds it again), the audit rows
 * of every attempt and sign-out, and where the browser may go after signing in. The page itself
 * (forms, the login CSRF pair, throttles) is src/web/auth-routes.ts.
 */
import type { Org } from '../orgs/service.ts'
import { orgCookieScope, setCookie } from '../pages/cookies.ts'
import { ABSOLUTE_MS, issueSession } from '../sessions/service.ts'
import type { Store } from '../store/index.ts'

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

/** Starts a session for a signed-in admin (audited); the Set-Cookie that carries it. */
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
  const cookie = setCookie('admin', orgCookieScope(org, publicUrl), issued.token, ABSOLUTE_MS / 1000)
  return { cookie, csrfToken: issued.csrfToken }
}

/** A refused sign-in attempt (wrong password, or over a throttle) in the audit log. */
export async function recordSignInFailure(
  store: Store,
  org: Org,
  attempt: { email: string; client: string; reason: string },
): Promise<void> {
  await store.audit.record({
    orgId: org.id,
    kind: 'admin',
    action: 'admin.sign_in',
    outcome: 'failure',
    subject: attempt.email,
    reason: attempt.reason,
    data: { client: attempt.client },
  })
}

export async function recordSignOut(store: Store, org: Org, adminId: string): Promise<void> {
  await store.audit.record({
    orgId: org.id,
    kind: 'admin',
    action: 'admin.signed_out',
    outcome: 'success',
    actor: `admin:${adminId}`,
  })
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
