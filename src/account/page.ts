/**
 * The account page of a person signed in through SSO, a standalone page (src/pages/shell.ts: no
 * scripts, no framing). `sections` lets other features add blocks to it (for example "Connect
 * GitHub / Connect Bitbucket") without touching it.
 */
import { html, type SafeHtml } from '../pages/html.ts'
import { standalonePage } from '../pages/shell.ts'

export interface AccountView {
  orgName: string
  name: string
  email: string
  role: string
  groups: string[]
  source: string
  logoutUrl: string
  csrfToken: string
  /** Extra blocks from other features. */
  sections?: SafeHtml[]
}

export function accountPage(view: AccountView): Response {
  const groups = view.groups.length
    ? html`<ul>${view.groups.map((g) => html`<li>${g}</li>`)}</ul>`
    : html`<p class="muted">You are in no groups.</p>`
  const body = html`<h1>${view.name || view.email}</h1><p class="muted">Signed in to ${view.orgName}</p><dl><dt>Email</dt><dd>${view.email}</dd><dt>Role</dt><dd>${view.role}</dd><dt>Account</dt><dd>${view.source === 'okta' ? 'Managed by Okta' : 'Local account'}</dd></dl><section><h2>Groups</h2>${groups}</section>${(view.sections ?? []).map((s) => html`<section>${s}</section>`)}<section><form method="post" action="${view.logoutUrl}"><input type="hidden" name="csrf" value="${view.csrfToken}"><button type="submit">Sign out</button></form></section>`
  return standalonePage(200, `${view.name || view.email} · ${view.orgName}`, body)
}
