/**
 * Where to send the person after sign-in. RelayState and `?next=` are untrusted: only a relative
 * path on the org's own origin and under the org's path is followed; anything else (`//evil`,
 * `/\evil`, `https://…`, control characters, `..` escaping the org) is ignored, never redirected to.
 */

/** Backslashes, whitespace and control characters: browsers rewrite or drop them in URLs. */
function hasUnsafeCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code <= 0x20 || code === 0x7f || code === 0x5c) return true
  }
  return /\s/.test(text)
}

/** The safe absolute URL for `candidate`, or null. `orgUrl` is `{PUBLIC_URL}/orgs/{slug}` or an origin. */
export function safeNextUrl(candidate: string | null | undefined, orgUrl: string): string | null {
  if (!candidate || candidate.length > 1024) return null
  // A path, not a scheme-relative or backslash URL, with no characters browsers would rewrite.
  if (!candidate.startsWith('/') || candidate.startsWith('//') || hasUnsafeCharacter(candidate)) {
    return null
  }
  const base = new URL(orgUrl)
  let target: URL
  try {
    target = new URL(candidate, base.origin)
  } catch {
    return null
  }
  if (target.origin !== base.origin) return null
  const prefix = base.pathname.replace(/\/$/, '')
  if (prefix && target.pathname !== prefix && !target.pathname.startsWith(`${prefix}/`)) return null
  // Encoded dots or slashes could be decoded into an escape by something downstream.
  if (/%2e|%2f|%5c/i.test(target.pathname)) return null
  return `${target.origin}${target.pathname}${target.search}`
}

/** The org's path as the browser sees it (`/orgs/acme`, or '' for an org on its own origin). */
export function orgPath(orgUrl: string): string {
  return new URL(orgUrl).pathname.replace(/\/$/, '')
}
