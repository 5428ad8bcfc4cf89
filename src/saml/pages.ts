/**
 * What the person sees when the ACS or the sign-in start refuses: the friendly text for the
 * reason's group (never the internal reason), with a way forward where there is one, and the
 * attempt's short reference when one was recorded: the admin types it into the console's
 * "Sign-in attempts" page (or `GET …/saml/attempts/{reference}`) to see what went wrong; and the
 * pages of single logout.
 */
import { type CookieScope, clearCookie } from '../pages/cookies.ts'
import { html } from '../pages/html.ts'
import { messagePage, redirect, standalonePage } from '../pages/shell.ts'
import type { SloOutcome } from './logout.ts'
import { type Audience, PERSON_MESSAGES } from './rejection.ts'

export function rejectionPage(
  audience: Audience,
  loginUrl: string,
  headers: Record<string, string> = {},
  reference?: string | null,
): Response {
  const { status, title, message } = PERSON_MESSAGES[audience]
  const link =
    audience === 'stale' || audience === 'sp_only' || audience === 'not_provisioned'
      ? html`<p><a class="button" href="${loginUrl}">Sign in again</a></p>`
      : html``
  const ref = reference
    ? html`<p id="attempt-reference">Reference: <strong><code>${reference}</code></strong>. If you ask your administrator for help, give them this reference.</p>`
    : html``
  return standalonePage(status, title, html`<h1>${title}</h1><p>${message}</p>${ref}${link}`, headers)
}

/**
 * What `{orgURL}/okta/slo` answers: the redirect carrying our LogoutResponse to the IdP, the
 * signed-out page, or the refusal page (nothing was ended, so the session cookie stays). Every
 * answer but a refusal also clears this org's session cookie, whose session is gone.
 */
export function signOutPage(outcome: SloOutcome, orgUrl: string, scope: CookieScope): Response {
  const cleared = { 'set-cookie': clearCookie('session', scope) }
  if (outcome.kind === 'redirect') return redirect(outcome.location, cleared, 302)
  if (outcome.page === 'not_configured') return rejectionPage('not_configured', '/')
  if (outcome.page === 'refused') {
    return messagePage(
      400,
      'Sign-out request refused',
      'This sign-out request could not be accepted, so nothing was changed here. To sign out, use the Sign out button on your account page.',
      { href: `${orgUrl}/account`, label: 'Your account' },
    )
  }
  return messagePage(
    200,
    'You are signed out',
    'You have been signed out of this organization.',
    { href: `${orgUrl}/account`, label: 'Sign in again' },
    cleared,
  )
}
