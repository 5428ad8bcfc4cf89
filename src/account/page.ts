/**
 * Pages for people signing in through SSO: a small shared layout (one embedded stylesheet allowed
 * by its hash, no scripts at all, no framing) and the account page built on it. Everything
 * interpolated is escaped. `sections` lets other features add blocks to the account page (for
 * example "Connect GitHub / Connect Bitbucket") without touching the layout.
 */
import { createHash } from 'node:crypto'
import { escapeText as escapeHtml } from '../web/html.ts'

const STYLE =
  'body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1f2933;line-height:1.5}h1{font-size:1.5rem}dt{font-weight:600}dd{margin:0 0 .75rem}ul{padding-left:1.25rem}section{border-top:1px solid #d9e2ec;margin-top:1.5rem;padding-top:1rem}button,.button{font:inherit;padding:.4rem .9rem;border:1px solid #52606d;border-radius:4px;background:#fff;color:#1f2933;text-decoration:none;cursor:pointer}.muted{color:#52606d}'

/** CSP: no scripts, the one stylesheet above by hash, forms only to this origin, never framed. */
export const PAGE_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`

export const PAGE_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': PAGE_CSP,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
}

/** HTML that is already safe (built from escaped parts). */
export interface SafeHtml {
  readonly safe: string
}

export const raw = (html: string): SafeHtml => ({ safe: html })

/** A complete page; `title` is escaped, `body` must be built with `escapeHtml`. */
export function page(
  status: number,
  title: string,
  body: SafeHtml,
  headers: Record<string, string> | [string, string][] = {},
): Response {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><main>${body.safe}</main></body></html>`
  const all = new Headers(PAGE_HEADERS)
  for (const [name, value] of Array.isArray(headers) ? headers : Object.entries(headers))
    all.append(name, value)
  return new Response(html, { status, headers: all })
}

/** A page with a title, a message and optionally one link (e.g. "Sign in again"). */
export function messagePage(
  status: number,
  title: string,
  message: string,
  link?: { href: string; label: string },
  headers: Record<string, string> = {},
): Response {
  const action = link
    ? `<p><a class="button" href="${escapeHtml(link.href)}">${escapeHtml(link.label)}</a></p>`
    : ''
  return page(
    status,
    title,
    raw(`<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>${action}`),
    headers,
  )
}

export interface AccountView {
  orgName: string
  name: string
  email: string
  role: string
  groups: string[]
  source: string
  logoutUrl: string
  csrfToken: string
  /** Extra blocks from other features, already safe. */
  sections?: SafeHtml[]
}

export function accountPage(view: AccountView): Response {
  const groups = view.groups.length
    ? `<ul>${view.groups.map((g) => `<li>${escapeHtml(g)}</li>`).join('')}</ul>`
    : '<p class="muted">You are in no groups.</p>'
  const body = `<h1>${escapeHtml(view.name || view.email)}</h1><p class="muted">Signed in to ${escapeHtml(view.orgName)}</p><dl><dt>Email</dt><dd>${escapeHtml(view.email)}</dd><dt>Role</dt><dd>${escapeHtml(view.role)}</dd><dt>Account</dt><dd>${view.source === 'okta' ? 'Managed by Okta' : 'Local account'}</dd></dl><section><h2>Groups</h2>${groups}</section>${(view.sections ?? []).map((s) => `<section>${s.safe}</section>`).join('')}<section><form method="post" action="${escapeHtml(view.logoutUrl)}"><input type="hidden" name="csrf" value="${escapeHtml(view.csrfToken)}"><button type="submit">Sign out</button></form></section>`
  return page(200, `${view.name || view.email} · ${view.orgName}`, raw(body))
}
