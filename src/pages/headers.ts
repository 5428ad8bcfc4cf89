/**
 * The security headers of every page okta-bridge serves, in one place. Every page is never framed,
 * never sniffed, sends no referrer and is not cached (a console page may show a secret once). What
 * a page may load depends on its kind, so each kind has its Content-Security-Policy:
 *
 * - `console`: the admin console, whose script and stylesheet are embedded assets served from our
 *   own origin (src/web/assets.ts); nothing inline.
 * - `standalone`: the pages for people outside the console (the account page, SAML sign-in pages,
 *   error pages): no script at all, one inline stylesheet (`STANDALONE_STYLE`) allowed by its hash.
 * - `docs`: Swagger UI at `/docs`, served from our own origin; it sets inline style attributes.
 */
import { createHash } from 'node:crypto'
import { html } from './html.ts'

export type PageKind = 'console' | 'standalone' | 'docs'

/** The stylesheet of a standalone page, written inline; the policy allows exactly this text. */
export const STANDALONE_STYLE = html`<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1f2933;line-height:1.5}h1{font-size:1.5rem}dt{font-weight:600}dd{margin:0 0 .75rem}ul{padding-left:1.25rem}section{border-top:1px solid #d9e2ec;margin-top:1.5rem;padding-top:1rem}button,.button{font:inherit;padding:.4rem .9rem;border:1px solid #52606d;border-radius:4px;background:#fff;color:#1f2933;text-decoration:none;cursor:pointer}.muted{color:#52606d}</style>`

const styleHash = createHash('sha256')
  .update(STANDALONE_STYLE.toString().replace(/^<style>|<\/style>$/g, ''))
  .digest('base64')

export const CONTENT_SECURITY_POLICY: Record<PageKind, string> = {
  console:
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  standalone: `default-src 'none'; style-src 'sha256-${styleHash}'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  docs: "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
}

/** The headers of an HTML page of this kind: content type and every security header. */
export function pageHeaders(kind: PageKind): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': CONTENT_SECURITY_POLICY[kind],
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  }
}
