/**
 * Admin sign-in and sign-out as the console's sign-in page uses them: the email + password check
 * (argon2id via Bun.password), the org's `requireSsoForAdmins` rule (then a password works only for
 * break-glass admins, each such sign-in audited as `admin.break_glass_sign_in`), the session it
 * starts (`session.ts` finds it again), the audit rows of every attempt and sign-out, and where the
 * browser may go after signing in. The page itself (forms, the login CSRF pair, throttles) is
 * src/web/auth-routes.ts; sign-in with Okta is src/admin/sso.ts.
 */
import { readSettings } from '../integration/settings.ts'
import type { Org } from '../orgs/service.ts'
import { orgCookieScope, setCookie } from '../pages/cookies.ts'
import { issueSession } from '../sessions/service.ts'
import type { Store } from '../store/index.ts'

// Verifying against a real argon2id hash when the email is unknown makes both answers take as long,
// so response time does not tell which admin emails exist.
let decoyHash: Promise<string> | null = null
function decoy(): Promise<string> {
  decoyHash ??= Bun.password.hash(crypto.randomUUID(), { algorithm: 'argon2id' })
  return decoyHash
}

export interface PasswordAdmin {
  adminId: string
  breakGlass: boolean
}

/** The admin with this email and password in this org, or null (an admin made through Okta has none). */
export async function checkAdminPassword(
  store: Store,
  org: Org,
  email: string,
  password: string,
): Promise<PasswordAdmin | null> {
  const admin = await store.admins.byEmail(org.id, email.trim().toLowerCase())
  if (!admin || admin.password_hash === '') {
    await Bun.password.verify(password, await decoy()).catch(() => false)
    return null
  }
  const ok = await Bun.password.verify(password, admin.password_hash).catch(() => false)
  return ok ? { adminId: admin.id, breakGlass: admin.break_glass === 1 } : null
}

/** Whether the org requires admins to sign in with Okta (`requireSsoForAdmins`). */
export async function ssoRequiredForAdmins(store: Store, org: Org): Promise<boolean> {
  const integration = await store.integrations.get(org.id)
  return integration !== null && readSettings(integration.settings).requireSsoForAdmins
}

/**
 * What a password sign-in may do in this org: go on, go on as a break-glass use (audited), or stop
 * because the org requires Okta. The answer is the same for a wrong password and for a right one of
 * an admin who is not break-glass, so the page tells nobody which passwords are right.
 */
export type PasswordSignIn =
  | { allowed: true; admin: PasswordAdmin; breakGlassUse: boolean }
  | { allowed: false; reason: 'wrong email or password' | 'sso required' }

export function passwordSignIn(found: PasswordAdmin | null, ssoRequired: boolean): PasswordSignIn {
  if (!found) return { allowed: false, reason: 'wrong email or password' }
  if (!ssoRequired) return { allowed: true, admin: found, breakGlassUse: false }
  if (!found.breakGlass) return { allowed: false, reason: 'sso required' }
  return { allowed: true, admin: found, breakGlassUse: true }
}

/**
 * Starts a session for an admin who signed in with a password (audited: `admin.signed_in`, and
 * `admin.break_glass_sign_in` when the org requires SSO); the Set-Cookie that carries it, whose
 * Max-Age is the org's `sessionMaxHours`.
 */
export async function startAdminSession(
  store: Store,
  org: Org,
  adminId: string,
  publicUrl: string,
  options: { breakGlassUse?: boolean; client?: string } = {},
): Promise<{ cookie: string; csrfToken: string }> {
  const issued = await issueSession(store, { orgId: org.id, kind: 'admin', subjectId: adminId })
  const client = options.client ? { client: options.client } : {}
  await store.audit.record({
    orgId: org.id,
    kind: 'admin',
    action: 'admin.signed_in',
    outcome: 'success',
    actor: `admin:${adminId}`,
    data: { method: 'password', ...client },
  })
  if (options.breakGlassUse) {
    const email = (await store.admins.byId(org.id, adminId))?.email
    await store.audit.record({
      orgId: org.id,
      kind: 'admin',
      action: 'admin.break_glass_sign_in',
      outcome: 'success',
      actor: `admin:${adminId}`,
      subject: adminId,
      data: { email, ...client },
    })
  }
  const cookie = setCookie('admin', orgCookieScope(org, publicUrl), issued.token, issued.maxAgeSeconds)
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
