/**
 * What the person sees when the ACS or the sign-in start refuses: the friendly text for the
 * reason's group (never the internal reason), with a way forward where there is one, and the
 * attempt's short reference when one was recorded: the admin types it into the console's
 * "Sign-in attempts" page (or `GET …/saml/attempts/{reference}`) to see what went wrong.
 */
import { html } from '../pages/html.ts'
import { standalonePage } from '../pages/shell.ts'
import { type Audience, PERSON_MESSAGES } from './rejection.ts'

export function rejectionPage(
  audience: Audience,
  loginUrl: string,
  headers: Record<string, string> = {},
  reference?: string,
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
