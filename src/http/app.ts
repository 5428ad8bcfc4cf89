/**
 * Assembles the HTTP application: request logging and metrics, the one error mapper per surface,
 * then every feature's routes. `createFetch` adds what must happen before routing (own-origin org
 * rewrite, the body guard: content type, size, shape) and the headers every response carries; it is
 * what both the server and the tests call.
 */
import { Elysia } from 'elysia'
import { accountRoutes } from '../account/routes.ts'
import { accessRoutes } from '../admin/access-routes.ts'
import type { AdminRouteDeps } from '../admin/auth.ts'
import { directoryRoutes } from '../admin/directory-routes.ts'
import { integrationRoutes } from '../admin/integration-routes.ts'
import { samlAdminRoutes } from '../admin/saml-routes.ts'
import { syncRoutes } from '../admin/sync-routes.ts'
import { ServiceError } from '../errors.ts'
import { samlRoutes } from '../saml/routes.ts'
import { scimErrorSurface, scimRoutes } from '../scim/routes.ts'
import { adminSessionLookup, webRoutes } from '../web/index.ts'
import { guardBody, refusedBody } from './body-limit.ts'
import { createBodyValidation } from './body-validation.ts'
import { rememberPeerAddress } from './client-address.ts'
import type { AppDeps } from './context.ts'
import { docsRoutes } from './docs.ts'
import { errorPage, mapAdminError } from './errors.ts'
import { operationsRoutes } from './operations.ts'
import { rewriteForOwnOrigin } from './org-routing.ts'

/** A surface decides how an error looks: SCIM JSON, admin JSON, or a page for people. */
export interface ErrorSurface {
  matches(path: string): boolean
  map(code: string | number, error: unknown, request: Request): Response
}

const started = new WeakMap<Request, number>()

function wantsHtml(request: Request): boolean {
  return (request.headers.get('accept') ?? '').includes('text/html')
}

export function createApp(input: AppDeps & Partial<AdminRouteDeps>, surfaces: ErrorSurface[] = []) {
  // The admin API also accepts the console's admin session cookie (with its CSRF header).
  const deps: AdminRouteDeps = {
    ...input,
    adminSession: input.adminSession ?? adminSessionLookup(input.store, input.config.publicUrl),
  }
  const { log, metrics } = deps
  const scimSurface = scimErrorSurface(log)
  const logUnexpected = (error: unknown, request: Request) =>
    log.error('unhandled error', {
      path: new URL(request.url).pathname,
      error: error instanceof Error ? error.message : String(error),
      stack: error instanceof Error ? error.stack : undefined,
    })

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
    .onError(({ code, error, request, set }) => {
      const path = new URL(request.url).pathname
      const surface = [scimSurface, ...surfaces].find((s) => s.matches(path))
      let response: Response
      const refused = refusedBody(request)
      if (refused) response = refused
      else if (surface) response = surface.map(code, error, request)
      else if (!path.startsWith('/api/') && wantsHtml(request)) {
        if (error instanceof ServiceError && error.status < 500) {
          response = errorPage(
            error.status,
            error.status === 404 ? 'Not found' : 'Something is not right',
            error.message,
          )
        } else if (code === 'NOT_FOUND')
          response = errorPage(404, 'Not found', 'There is no page at this address.')
        else if (code === 'VALIDATION' || code === 'PARSE') {
          response = errorPage(400, 'Bad request', 'The request could not be understood.')
        } else {
          logUnexpected(error, request)
          response = errorPage(500, 'Something went wrong', 'Please try again in a moment.')
        }
      } else response = mapAdminError(code, error, (e) => logUnexpected(e, request), request)
      set.status = response.status
      return response
    })
    // Before Elysia's own body validation, whose error message costs as much as the value is big.
    .onTransform({ as: 'global' }, (context) => bodyValidation.check(context))
    .use(operationsRoutes(deps))
    .use(docsRoutes(deps.version))
    .use(integrationRoutes(deps))
    .use(samlAdminRoutes(deps))
    .use(samlRoutes(deps))
    .use(accountRoutes(deps))
    .use(directoryRoutes(deps))
    .use(syncRoutes(deps))
    .use(accessRoutes(deps))
    .use(scimRoutes(deps))
    .use(webRoutes(deps))
  bodyValidation.learn(app.routes)
  return app
}

export type App = ReturnType<typeof createApp>

/**
 * Headers every response carries, set in this one place (pages, JSON, SCIM, errors, 404s, docs,
 * assets, refusals made before routing): no browser may guess a type other than the declared one.
 */
function withBaselineHeaders(response: Response): Response {
  try {
    response.headers.set('x-content-type-options', 'nosniff')
    return response
  } catch {
    // A response with immutable headers (e.g. from Response.redirect) is copied.
    const copy = new Response(response.body, response)
    copy.headers.set('x-content-type-options', 'nosniff')
    return copy
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
    const routed = await rewriteForOwnOrigin(request, store, config.trustProxy)
    if (routed instanceof Response) return withBaselineHeaders(routed)
    // After the rewrite, so the body is judged by the surface it is routed to.
    const guarded = guardBody(routed, config.maxBodyBytes)
    if (guarded instanceof Response) return withBaselineHeaders(guarded)
    if (peer) rememberPeerAddress(guarded, peer)
    return withBaselineHeaders(await app.handle(guarded))
  }
}
