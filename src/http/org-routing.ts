/**
 * Org resolution. Org-scoped routes live under `/orgs/:slug/…`. An org with its own origin
 * (`--url https://acme.example.com`) is served at that origin's root: requests whose Host matches
 * are rewritten to `/orgs/{slug}/…` before routing, so every feature has one route table.
 * X-Forwarded-Host/-Proto are honoured only as TRUST_PROXY allows (`client-address.ts`). Matching is
 * by host (and port), not scheme: the server itself speaks plain HTTP, usually behind a TLS proxy that
 * keeps the Host header.
 *
 * On an org's own origin only that org exists: `/orgs/{other}/…` and `/api/v1/orgs/{other}/…` answer
 * 404 there, so another tenant's pages never share the origin (and the cookies) of this one, and a
 * RelayState or `next` cannot lead there. The org's own `/orgs/{self}/…` and `/api/v1/orgs/{self}/…`
 * keep working (the admin API is reached that way). Hosts that are no org's origin are unchanged.
 */
import { ServiceError } from '../errors.ts'
import type { Org } from '../orgs/service.ts'
import { toOrg } from '../orgs/service.ts'
import { messagePage } from '../pages/shell.ts'
import type { Repositories, Store } from '../store/index.ts'
import { forwardedValue, type ProxyTrust } from './client-address.ts'
import { errorJson } from './errors.ts'

/** Paths that stay global even on an org's own origin. */
const GLOBAL_PREFIXES = ['/orgs/', '/api/', '/docs', '/healthz', '/readyz', '/metrics']

/** Org-scoped paths of the shared route table; group 1 is the slug. */
const ORG_PATH = /^(?:\/api\/v1)?\/orgs\/([^/?#]+)/

/** The scheme and host a request was sent to (behind a trusted proxy: what the proxy says it got). */
export function requestOrigin(request: Request, trust: ProxyTrust): string {
  const url = new URL(request.url)
  let scheme = url.protocol.slice(0, -1)
  let host = request.headers.get('host') ?? url.host
  const forwardedHost = forwardedValue(request, 'x-forwarded-host', trust)
  const forwardedProto = forwardedValue(request, 'x-forwarded-proto', trust)?.toLowerCase()
  if (forwardedHost) host = forwardedHost
  if (forwardedProto === 'https' || forwardedProto === 'http') scheme = forwardedProto
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
  // An org whose URL names the default port of the other scheme (http://x:443) is kept exact, last.
  // One store read for every candidate: this runs before every request.
  return store.orgs.firstByUrl([...schemes.map((candidate) => `${candidate}://${key}`), origin.toLowerCase()])
}

/**
 * Maps the request to `/orgs/{slug}/…` when its host belongs to an org; otherwise returns it as is.
 * A 404 response when the request names another org on this org's own origin.
 */
export async function rewriteForOwnOrigin(
  request: Request,
  store: Store,
  trust: ProxyTrust,
): Promise<Request | Response> {
  const url = new URL(request.url)
  const named = ORG_PATH.exec(url.pathname)?.[1]
  if (named !== undefined) {
    const org = await orgByHost(store, requestOrigin(request, trust))
    if (org && safeDecode(named) !== org.slug) return foreignOrgResponse(request, url.pathname)
    return request
  }
  if (GLOBAL_PREFIXES.some((p) => url.pathname === p.replace(/\/$/, '') || url.pathname.startsWith(p)))
    return request
  const org = await orgByHost(store, requestOrigin(request, trust))
  if (!org) return request
  const rewritten = new URL(`/orgs/${org.slug}${url.pathname === '/' ? '' : url.pathname}${url.search}`, url)
  return new Request(rewritten, request)
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

/** The same 404 an unknown slug gets, in the format of the surface the request was for. */
function foreignOrgResponse(request: Request, path: string): Response {
  const message = 'no such organization here'
  if (/\/okta\/scim(\/|$)/.test(path)) {
    return Response.json(
      { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '404', detail: message },
      { status: 404, headers: { 'content-type': 'application/scim+json' } },
    )
  }
  const browser = (request.headers.get('accept') ?? '').includes('text/html') || /\/okta\/auth$/.test(path)
  if (!path.startsWith('/api/') && browser) return messagePage(404, 'Not found', message)
  return errorJson(404, 'ORG_NOT_FOUND', message)
}

export async function resolveOrg(store: Repositories, slug: string): Promise<Org> {
  const row = await store.orgs.bySlug(slug)
  if (!row) throw new ServiceError(404, 'ORG_NOT_FOUND', `no organization "${slug}" here`)
  return toOrg(row)
}
