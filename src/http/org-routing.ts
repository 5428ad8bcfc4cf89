/**
 * Org resolution. Org-scoped routes live under `/orgs/:slug/…`. An org with its own origin
 * (`--url https://acme.example.com`) is served at that origin's root: requests whose Host matches
 * are rewritten to `/orgs/{slug}/…` before routing, so every feature has one route table.
 * X-Forwarded-Host/-Proto are honoured only with TRUST_PROXY=1.
 */
import { ServiceError } from '../errors.ts'
import type { Org } from '../orgs/service.ts'
import { toOrg } from '../orgs/service.ts'
import type { Store } from '../store/index.ts'

/** Paths that stay global even on an org's own origin. */
const GLOBAL_PREFIXES = ['/orgs/', '/api/', '/docs', '/healthz', '/readyz', '/metrics']

export function requestOrigin(request: Request, trustProxy: boolean): string {
  const url = new URL(request.url)
  if (trustProxy) {
    const host = request.headers.get('x-forwarded-host')?.split(',')[0]?.trim()
    const proto = request.headers.get('x-forwarded-proto')?.split(',')[0]?.trim()
    if (host) return `${proto === 'https' || proto === 'http' ? proto : url.protocol.slice(0, -1)}://${host}`
  }
  const host = request.headers.get('host') ?? url.host
  return `${url.protocol}//${host}`
}

/** Maps the request to `/orgs/{slug}/…` when its origin belongs to an org; otherwise returns it as is. */
export function rewriteForOwnOrigin(request: Request, store: Store, trustProxy: boolean): Request {
  const url = new URL(request.url)
  if (GLOBAL_PREFIXES.some((p) => url.pathname === p.replace(/\/$/, '') || url.pathname.startsWith(p)))
    return request
  const origin = requestOrigin(request, trustProxy).toLowerCase()
  const org = store.orgs.byUrl(origin)
  if (!org) return request
  const rewritten = new URL(`/orgs/${org.slug}${url.pathname === '/' ? '' : url.pathname}${url.search}`, url)
  return new Request(rewritten, request)
}

export function resolveOrg(store: Store, slug: string): Org {
  const row = store.orgs.bySlug(slug)
  if (!row) throw new ServiceError(404, 'ORG_NOT_FOUND', `no organization "${slug}" here`)
  return toOrg(row)
}
