/**
 * The admin's browser session: the cookie that carries it (named and scoped by src/pages/cookies.ts
 * under the org URL), the signed-in admin it stands for, and its end. The console pages, the sign-in
 * page and the admin API's cookie authentication (`principal.ts`) all find the admin here. Plain
 * functions; no Elysia.
 *
 * CSRF: a session carries a token; every console form sends it in `_csrf` and an API call made with
 * the cookie sends it in `X-CSRF-Token` for any method that changes something. SameSite=Lax on the
 * cookie is a second fence, not the only one.
 */
import type { Org } from '../orgs/service.ts'
import { clearCookie, orgCookieScope, readCookie } from '../pages/cookies.ts'
import { endSession, verifySession } from '../sessions/service.ts'
import type { Store } from '../store/index.ts'

export const CSRF_HEADER = 'x-csrf-token'

export interface SignedInAdmin {
  adminId: string
  email: string
  /** How this session was opened: with a password, or through Okta (`{orgURL}/admin/sso`). */
  via: 'password' | 'okta'
  csrfToken: string
  /** The session's token, so a password change can keep this one session. */
  token: string
}

/** The signed-in admin of this org for this request, or null (no, expired or foreign cookie). */
export async function currentAdmin(
  store: Store,
  org: Org,
  request: Request,
  publicUrl: string,
): Promise<SignedInAdmin | null> {
  const token = readCookie(request.headers.get('cookie'), 'admin', orgCookieScope(org, publicUrl))
  const session = await verifySession(store, token, org.id, 'admin')
  if (!session || !token) return null
  const admin = await store.admins.byId(org.id, session.subjectId)
  if (!admin) return null
  return {
    adminId: admin.id,
    email: admin.email,
    via: session.accountId ? 'okta' : 'password',
    csrfToken: session.csrfToken,
    token,
  }
}

/** Ends this request's admin session (if any) and returns the Set-Cookie that clears its cookie. */
export async function endAdminSession(
  store: Store,
  org: Org,
  request: Request,
  publicUrl: string,
): Promise<string> {
  const scope = orgCookieScope(org, publicUrl)
  await endSession(store, readCookie(request.headers.get('cookie'), 'admin', scope))
  return clearCookie('admin', scope)
}
