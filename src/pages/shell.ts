/**
 * The page shell every HTML page shares, and the responses that carry pages: `htmlDocument` is the
 * document around a page's body (the console's frame, src/web/layout.ts, fills its head and body);
 * `standalonePage` and `messagePage` are the small pages for people outside the console (the
 * account page, SAML sign-in pages, error pages); `htmlResponse` puts a page's security headers
 * (./headers.ts) on it; `redirect` is every redirect a page answers with.
 */
import { type PageKind, pageHeaders, STANDALONE_STYLE } from './headers.ts'
import { type HtmlValue, html, type SafeHtml } from './html.ts'

/** Header values to add to an answer; a list repeats the header (two Set-Cookie). */
export type ExtraHeaders = Record<string, string | readonly string[]>

function withHeaders(base: Record<string, string>, extra: ExtraHeaders): Headers {
  const out = new Headers(base)
  for (const [name, value] of Object.entries(extra)) {
    if (typeof value === 'string') out.set(name, value)
    else for (const one of value) out.append(name, one)
  }
  return out
}

/** A complete HTML document: `title` is escaped, `head` and `body` are markup. */
export function htmlDocument(title: HtmlValue, head: SafeHtml, body: SafeHtml): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
${head}
</head>
<body>
${body}
</body>
</html>`
}

/** A page as an answer, with the security headers of its kind. */
export function htmlResponse(
  kind: PageKind,
  markup: SafeHtml,
  status = 200,
  headers: ExtraHeaders = {},
): Response {
  return new Response(markup.toString(), { status, headers: withHeaders(pageHeaders(kind), headers) })
}

/** A redirect, never cached: 303 See Other after a form post, or 302 to start a sign-in. */
export function redirect(location: string, headers: ExtraHeaders = {}, status: 302 | 303 = 303): Response {
  return new Response(null, {
    status,
    headers: withHeaders({ location, 'cache-control': 'no-store' }, headers),
  })
}

/** A page for people outside the console: no script, the one inline stylesheet, the body in `<main>`. */
export function standalonePage(
  status: number,
  title: string,
  body: SafeHtml,
  headers: ExtraHeaders = {},
): Response {
  return htmlResponse(
    'standalone',
    htmlDocument(title, STANDALONE_STYLE, html`<main>${body}</main>`),
    status,
    headers,
  )
}

/** A page with a title, a message and optionally one link (e.g. "Sign in again"). */
export function messagePage(
  status: number,
  title: string,
  message: string,
  link?: { href: string; label: string },
  headers: ExtraHeaders = {},
): Response {
  const action = link ? html`<p><a class="button" href="${link.href}">${link.label}</a></p>` : ''
  return standalonePage(status, title, html`<h1>${title}</h1><p>${message}</p>${action}`, headers)
}
