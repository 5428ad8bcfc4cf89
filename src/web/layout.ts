/**
 * The frame every console page shares (stylesheet and script, navigation, sign-out, flash
 * messages), inside the document shell of src/pages/shell.ts. A console page goes out with
 * `htmlResponse('console', …)`, which puts the console's security headers on it
 * (src/pages/headers.ts: scripts and styles only from our own origin, no framing, no caching).
 */
import type { Org } from '../orgs/service.ts'
import { html, type SafeHtml } from '../pages/html.ts'
import { htmlDocument } from '../pages/shell.ts'
import { assetUrl } from './assets.ts'

export type NavKey =
  | 'integration'
  | 'users'
  | 'groups'
  | 'duplicates'
  | 'audit'
  | 'sign-in-attempts'
  | 'access'
  | 'setup-links'
  | 'guides'
  | 'webhooks'

const NAV: { key: NavKey; path: string; label: string }[] = [
  { key: 'integration', path: '/admin/integration', label: 'Okta integration' },
  { key: 'users', path: '/admin/users', label: 'Users' },
  { key: 'groups', path: '/admin/groups', label: 'Groups and roles' },
  { key: 'duplicates', path: '/admin/duplicates', label: 'Duplicates' },
  { key: 'audit', path: '/admin/audit', label: 'Audit log' },
  { key: 'sign-in-attempts', path: '/admin/sign-in-attempts', label: 'Sign-in attempts' },
  { key: 'access', path: '/admin/access', label: 'Access' },
  { key: 'webhooks', path: '/admin/webhooks', label: 'Webhooks' },
  { key: 'setup-links', path: '/admin/setup-links', label: 'Setup links' },
  { key: 'guides', path: '/admin/guides', label: 'IdP guides' },
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
  admin?: { email: string; csrfToken: string; via?: 'password' | 'okta' }
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
<span class="who">${frame.admin.email}${frame.admin.via === 'okta' ? html` <span class="badge" title="Signed in with Okta">Okta</span>` : html``}</span>
<button type="submit" class="link">Sign out</button>
</form>`
}

export function page(frame: Frame, body: SafeHtml): SafeHtml {
  return htmlDocument(
    html`${frame.title} · ${frame.org.name}`,
    html`<link rel="stylesheet" href="${assetUrl(frame.basePath, 'console.css')}">
<script src="${assetUrl(frame.basePath, 'console.js')}" defer></script>`,
    html`<a class="skip" href="#main">Skip to content</a>
<header class="top">
<p class="brand"><strong>${frame.org.name}</strong> <span class="muted">okta-bridge</span></p>
${navigation(frame)}
</header>
<main id="main" tabindex="-1">
<h1>${frame.title}</h1>
${flashList(frame.flashes)}
${body}
</main>`,
  )
}
