/**
 * The frame every console page shares (head, navigation, sign-out, flash messages) and the response
 * helpers that put the security headers on every page: a strict Content-Security-Policy without
 * inline scripts or styles, no framing, no caching of pages that may show secrets, no referrer.
 */
import type { Org } from '../orgs/service.ts'
import { assetUrl } from './assets.ts'
import { html, type SafeHtml } from './html.ts'

export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
}

export type NavKey = 'integration' | 'users' | 'groups' | 'duplicates' | 'audit' | 'access' | 'webhooks'

const NAV: { key: NavKey; path: string; label: string }[] = [
  { key: 'integration', path: '/admin/integration', label: 'Okta integration' },
  { key: 'users', path: '/admin/users', label: 'Users' },
  { key: 'groups', path: '/admin/groups', label: 'Groups and roles' },
  { key: 'duplicates', path: '/admin/duplicates', label: 'Duplicates' },
  { key: 'audit', path: '/admin/audit', label: 'Audit log' },
  { key: 'access', path: '/admin/access', label: 'Access' },
  { key: 'webhooks', path: '/admin/webhooks', label: 'Webhooks' },
]

export interface Flash {
  kind: 'ok' | 'error' | 'warn'
  text: string
}

export interface Frame {
  title: string
  org: Pick<Org, 'name' | 'slug'>
  /** Path of the org URL as the browser sees it: `/orgs/acme`, or '' for an org on its own origin. */
  basePath: string
  /** Present when an admin is signed in: shows the navigation and the sign-out button. */
  admin?: { email: string; csrfToken: string }
  active?: NavKey
  flashes?: Flash[]
}

function flashList(flashes: Flash[] | undefined): SafeHtml {
  return html`${(flashes ?? []).map(
    (f) =>
      html`<p class="flash flash-${f.kind}" role="${f.kind === 'error' ? 'alert' : 'status'}">${f.text}</p>`,
  )}`
}

function navigation(frame: Frame): SafeHtml {
  if (!frame.admin) return html``
  const links = NAV.map(
    (item) =>
      html`<li><a href="${frame.basePath}${item.path}"${
        item.key === frame.active ? html` aria-current="page"` : html``
      }>${item.label}</a></li>`,
  )
  return html`<nav aria-label="Console"><ul>${links}</ul></nav>
<form method="post" action="${frame.basePath}/admin/logout" class="signout">
<input type="hidden" name="_csrf" value="${frame.admin.csrfToken}">
<span class="who">${frame.admin.email}</span>
<button type="submit" class="link">Sign out</button>
</form>`
}

export function page(frame: Frame, body: SafeHtml): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${frame.title} · ${frame.org.name}</title>
<link rel="stylesheet" href="${assetUrl(frame.basePath, 'console.css')}">
<script src="${assetUrl(frame.basePath, 'console.js')}" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<p class="brand"><strong>${frame.org.name}</strong> <span class="muted">okta-bridge</span></p>
${navigation(frame)}
</header>
<main id="main" tabindex="-1">
<h1>${frame.title}</h1>
${flashList(frame.flashes)}
${body}
</main>
</body>
</html>`
}

export function htmlResponse(markup: SafeHtml, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(markup.toString(), {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', ...SECURITY_HEADERS, ...headers },
  })
}

/** 303 See Other: after a form POST the browser follows with a GET. */
export function redirect(location: string, headers: Record<string, string | string[]> = {}): Response {
  const out = new Headers({ location, 'cache-control': 'no-store' })
  for (const [name, value] of Object.entries(headers)) {
    for (const one of Array.isArray(value) ? value : [value]) out.append(name, one)
  }
  return new Response(null, { status: 303, headers: out })
}
