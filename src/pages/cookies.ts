/**
 * Every cookie okta-bridge sets, built and read by one rule (the pages module's share of HTTP
 * headers). A cookie belongs to one org, and its scope follows the org URL as the browser sees it:
 *
 * - **https**: the name carries the `__Host-` prefix, so the browser accepts it only with Secure,
 *   Path=/ and no Domain — no sibling subdomain or plain-http page can plant or shadow it. Path=/
 *   means a cookie is no longer kept apart by path where several orgs share an origin
 *   (`https://sso.example.com/orgs/acme`, `/orgs/globex`), so the name also carries the org id:
 *   `__Host-okb_session_<orgId>`.
 * - **http** (development, or TLS ended by a proxy the org URL does not mention): the plain name,
 *   `okb_session`, scoped by the org's path as before, since `__Host-` needs Secure.
 *
 * Reading uses the same name rule, so a cookie of another org (or an old unprefixed one) is simply
 * not there.
 */

import { type Org, orgUrl } from '../orgs/service.ts'

export type CookieKind = 'session' | 'admin' | 'samlRequest' | 'loginCsrf' | 'firstRunCsrf'

interface CookieRule {
  name: string
  sameSite: 'Lax' | 'Strict' | 'cross-site-post'
  /** Under http only: a sub-path of the org's path the cookie is limited to. */
  subPath?: string
}

const RULES: Record<CookieKind, CookieRule> = {
  /** The SSO user's session (`{orgURL}/account`, `/me`). */
  session: { name: 'okb_session', sameSite: 'Lax' },
  /** The admin console's session. */
  admin: { name: 'okb_admin', sameSite: 'Lax' },
  /**
   * Binds an SP-initiated request to the browser that started it. It must come back on Okta's
   * cross-site POST to the ACS: SameSite=None (which browsers require to be Secure) under https;
   * under plain http it has no SameSite attribute, which browsers treat as Lax but still send on a
   * top-level POST within two minutes.
   */
  samlRequest: { name: 'okb_saml_request', sameSite: 'cross-site-post', subPath: '/okta' },
  /** The double-submit half of the admin sign-in form's CSRF token. */
  loginCsrf: { name: 'okb_login_csrf', sameSite: 'Strict' },
  /** The double-submit half of the first-run form's CSRF token (no org exists yet). */
  firstRunCsrf: { name: 'okb_first_run_csrf', sameSite: 'Strict' },
}

/** Where an org's cookies live: decided by its URL as the browser sees it. */
export interface CookieScope {
  orgId: string
  secure: boolean
  /** The org URL's path without a trailing slash: `/orgs/acme`, or '' on its own origin. */
  basePath: string
}

export function cookieScope(orgId: string, orgUrl: string): CookieScope {
  const url = new URL(orgUrl)
  return { orgId, secure: url.protocol === 'https:', basePath: url.pathname.replace(/\/+$/, '') }
}

/** Where this org's cookies live, from the org and the server's public URL. */
export function orgCookieScope(org: Pick<Org, 'id' | 'slug' | 'url'>, publicUrl: string): CookieScope {
  return cookieScope(org.id, orgUrl(org, publicUrl))
}

/** Where the instance's own cookies live (the first-run page, before any org): the public URL. */
export function instanceCookieScope(publicUrl: string): CookieScope {
  return cookieScope('instance', publicUrl)
}

export function cookieName(kind: CookieKind, scope: CookieScope): string {
  const { name } = RULES[kind]
  return scope.secure ? `__Host-${name}_${scope.orgId}` : name
}

/** A Set-Cookie value; always HttpOnly (no script of ours reads a cookie). */
export function setCookie(
  kind: CookieKind,
  scope: CookieScope,
  value: string,
  maxAgeSeconds: number,
): string {
  const rule = RULES[kind]
  const path = scope.secure ? '/' : `${scope.basePath}${rule.subPath ?? ''}` || '/'
  const parts = [
    `${cookieName(kind, scope)}=${value}`,
    `Path=${path}`,
    'HttpOnly',
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
  ]
  if (rule.sameSite !== 'cross-site-post') parts.push(`SameSite=${rule.sameSite}`)
  else if (scope.secure) parts.push('SameSite=None')
  if (scope.secure) parts.push('Secure')
  return parts.join('; ')
}

/** The Set-Cookie value that removes the cookie (same name and path, empty, Max-Age=0). */
export function clearCookie(kind: CookieKind, scope: CookieScope): string {
  return setCookie(kind, scope, '', 0)
}

/** The value of this org's cookie of this kind in a Cookie header, or null. */
export function readCookie(header: string | null, kind: CookieKind, scope: CookieScope): string | null {
  if (!header) return null
  const name = cookieName(kind, scope)
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return null
}
