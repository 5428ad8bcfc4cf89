/**
 * Assembles the HTTP application: request logging and metrics, every feature's routes (the admin
 * side as one plugin, src/admin/index.ts), then the fallback error mapper; each mount answers its
 * own errors (src/http/error-surfaces.ts). `createFetch` adds what must happen before routing
 * (own-origin org rewrite, the body guard: content type, size, shape), the request id every log
 * line of the request carries (src/http/request-id.ts) and the headers every response carries; it
 * is what both the server and the tests call.
 */
import { Elysia } from 'elysia'
import { accountRoutes } from '../account/routes.ts'
import { adminRoutes } from '../admin/index.ts'
import { withRequestId } from '../observability/log.ts'
import { samlRoutes } from '../saml/routes.ts'
import { SCIM_PATH, scimErrorSurface, scimRoutes } from '../scim/routes.ts'
import { webRoutes } from '../web/index.ts'
import { guardBody } from './body-limit.ts'
import { createBodyValidation } from './body-validation.ts'
import { rememberPeerAddress } from './client-address.ts'
import type { AppDeps } from './context.ts'
import { docsRoutes } from './docs.ts'
import { answerWith, fallbackErrors } from './error-surfaces.ts'
import { operationsRoutes } from './operations.ts'
import { rewriteForOwnOrigin } from './org-routing.ts'
import { REQUEST_ID_HEADER, requestIdOf } from './request-id.ts'

const started = new WeakMap<Request, number>()

export function createApp(deps: AppDeps) {
  const { log, metrics } = deps
  const bodyValidation = createBodyValidation()
  const app = new Elysia({ normalize: false })
    .onRequest(({ request }) => {
      started.set(request, performance.now())
    })
    .onAfterResponse(({ request, route, set, params, responseValue }) => {
      const begin = started.get(request)
      const seconds = begin === undefined ? 0 : (performance.now() - begin) / 1000
      // A handler that returns a Response (pages, SAML, redirects) sets its status there, not in `set`.
      const status = String(
        responseValue instanceof Response
          ? responseValue.status
          : typeof set.status === 'number'
            ? set.status
            : 200,
      )
      const labels = { route: route || 'unmatched', method: request.method, status }
      metrics.httpRequests.inc(labels)
      metrics.httpDuration.observe(labels, seconds)
      const slug = (params as Record<string, string> | undefined)?.slug
      log.info('request', { ...labels, durationMs: Math.round(seconds * 100000) / 100, org: slug ?? null })
    })
    // Before Elysia's own body validation, whose error message costs as much as the value is big.
    .onTransform({ as: 'global' }, (context) => bodyValidation.check(context))
    // Mounts that answer their own errors (src/http/error-surfaces.ts) come before the fallback:
    // a hook applies to the routes registered after it, so theirs is the only one on their routes.
    .use(adminRoutes(deps))
    .use(scimRoutes(deps))
    // The fallback, for every route below and for a request that matched no route.
    .onError(answerWith(fallbackErrors(log, [{ path: SCIM_PATH, surface: scimErrorSurface(log) }])))
    .use(operationsRoutes(deps))
    .use(docsRoutes(deps.version))
    .use(samlRoutes(deps))
    .use(accountRoutes(deps))
    .use(webRoutes(deps))
  bodyValidation.learn(app.routes)
  return app
}

export type App = ReturnType<typeof createApp>

/**
 * Headers every response carries, set in this one place (pages, JSON, SCIM, errors, 404s, docs,
 * assets, refusals made before routing): no browser may guess a type other than the declared one,
 * and the caller learns the request id its request is logged under.
 */
function withBaselineHeaders(response: Response, requestId: string): Response {
  const set = (target: Response) => {
    target.headers.set('x-content-type-options', 'nosniff')
    target.headers.set(REQUEST_ID_HEADER, requestId)
    return target
  }
  try {
    return set(response)
  } catch {
    // A response with immutable headers (e.g. from Response.redirect) is copied.
    return set(new Response(response.body, response))
  }
}

/** The server's fetch handler: own-origin rewrite and body guard, then the Elysia app. */
export function createFetch(app: { handle(request: Request): Promise<Response> }, deps: AppDeps) {
  const { config, store } = deps
  return async (
    request: Request,
    server?: { requestIP(request: Request): { address: string } | null },
  ): Promise<Response> => {
    // Per-client throttles and the proxy-trust decision need the socket's address, which only the
    // server knows.
    const peer = server?.requestIP(request)?.address
    if (peer) rememberPeerAddress(request, peer)
    const requestId = requestIdOf(request, config.trustProxy)
    return withRequestId(requestId, async () => {
      const routed = await rewriteForOwnOrigin(request, store, config.trustProxy)
      if (routed instanceof Response) return withBaselineHeaders(routed, requestId)
      // After the rewrite, so the body is judged by the surface it is routed to.
      const guarded = guardBody(routed, config.maxBodyBytes)
      if (guarded instanceof Response) return withBaselineHeaders(guarded, requestId)
      if (peer) rememberPeerAddress(guarded, peer)
      return withBaselineHeaders(await app.handle(guarded), requestId)
    })
  }
}
