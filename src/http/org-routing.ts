/**
 * Org resolution. Org-scoped routes live under `/orgs/:slug/…`. An org with its own origin
 * (`--url https://acme.example.com`) is served at that origin's root: requests whose Host matches
 * are rewritten to `/orgs/{slug}/…` before routing, so every feature has one route table.
 * X-Forwarded-Host/-Proto are honoured only with TRUST_PROXY=1. Matching is by host (and port), not
 * scheme: the server itself speaks plain HTTP, usually behind a TLS proxy that keeps the Host header.
 */
import { ServiceError } from '../errors.ts'
import type { Org } from '../orgs/service.ts'
import { toOrg } from '../orgs/service.ts'
import type { Store } from '../store/index.ts'

/** Paths that stay global even on an org's own origin. */
const GLOBAL_PREFIXES = ['/orgs/', '/api/', '/docs', '/healthz', '/readyz', '/metrics']

/** The scheme and host a request was sent to (behind a trusted proxy: what the proxy says it got). */
export function requestOrigin(request: Request, trustProxy: boolean): string {
  const url = new URL(request.url)
  let scheme = url.protocol.slice(0, -1)
  let host = request.headers.get('host') ?? url.host
  if (trustProxy) {
    const forwardedHost = request.headers.get('x-forwarded-host')?.split(',')[0]?.trim()
    const forwardedProto = request.headers.get('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase()
    if (forwardedHost) host = forwardedHost
    if (forwardedProto === 'https' || forwardedProto === 'http') scheme = forwardedProto
  }
  return `${scheme}://${host}`
}

/** `host[:port]` lower-cased, without the port when it is the default of either web scheme. */
function hostKey(host: string): string {
  return host.toLowerCase().replace(/:(80|443)$/, '')
}

/**
 * The org whose own origin names this request's host. The Host header carries no scheme, and a TLS
 * proxy in front of the plain-http server does not change it, so an org at https://acme.example.com
 * is matched by host alone; the scheme the request came in with is tried first, in case two orgs
 * differ only in scheme.
 */
function orgByHost(store: Store, origin: string) {
  const [scheme, host] = origin.split('://') as [string, string]
  const key = hostKey(host)
  const schemes = scheme === 'https' ? ['https', 'http'] : ['http', 'https']
  for (const candidate of schemes) {
    const org = store.orgs.byUrl(`${candidate}://${key}`)
    if (org) return org
  }
  // An org whose URL names the default port of the other scheme (http://x:443) is kept exact.
  return store.orgs.byUrl(origin.toLowerCase())
}

/** Maps the request to `/orgs/{slug}/…` when its host belongs to an org; otherwise returns it as is. */
export function rewriteForOwnOrigin(request: Request, store: Store, trustProxy: boolean): Request {
  const url = new URL(request.url)
  if (GLOBAL_PREFIXES.some((p) => url.pathname === p.replace(/\/$/, '') || url.pathname.startsWith(p)))
    return request
  const org = orgByHost(store, requestOrigin(request, trustProxy))
  if (!org) return request
  const rewritten = new URL(`/orgs/${org.slug}${url.pathname === '/' ? '' : url.pathname}${url.search}`, url)
  return new Request(rewritten, request)
}

export function resolveOrg(store: Store, slug: string): Org {
  const row = store.orgs.bySlug(slug)
  if (!row) throw new ServiceError(404, 'ORG_NOT_FOUND', `no organization "${slug}" here`)
  return toOrg(row)
}
