/**
 * Assembles the HTTP application: request logging and metrics, the one error mapper per surface,
 * then every feature's routes. `createFetch` adds what must happen before routing (own-origin org
 * rewrite, body size limit) and is what both the server and the tests call.
 */
import { Elysia } from 'elysia'
import { accountRoutes } from '../account/routes.ts'
import type { AdminRouteDeps } from '../admin/auth.ts'
import { directoryRoutes } from '../admin/directory-routes.ts'
import { integrationRoutes } from '../admin/integration-routes.ts'
import { samlAdminRoutes } from '../admin/saml-routes.ts'
import { syncRoutes } from '../admin/sync-routes.ts'
import { ServiceError } from '../errors.ts'
import { rememberPeerAddress } from '../saml/client-address.ts'
import { samlRoutes } from '../saml/routes.ts'
import { scimErrorSurface, scimRoutes } from '../scim/routes.ts'
import { adminSessionLookup, webRoutes } from '../web/index.ts'
import { carryBodyLimit, limitStreamedBody, overflowResponse, tooLargeResponse } from './body-limit.ts'
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
    adminSession: input.adminSession ?? adminSessionLookup(input.store),
  }
  const { log, metrics } = deps
  const scimSurface = scimErrorSurface(log)
  const logUnexpected = (error: unknown, request: Request) =>
    log.error('unhandled error', {
      path: new URL(request.url).pathname,
      error: error instanceof Error ? error.message : String(error),
      stack: error instanceof Error ? error.stack : undefined,
    })

  return new Elysia({ normalize: false })
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
      const overflow = overflowResponse(request)
      if (overflow) response = overflow
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
    .use(operationsRoutes(deps))
    .use(docsRoutes(deps.version))
    .use(integrationRoutes(deps))
    .use(samlAdminRoutes(deps))
    .use(samlRoutes(deps))
    .use(accountRoutes(deps))
    .use(directoryRoutes(deps))
    .use(syncRoutes(deps))
    .use(scimRoutes(deps))
    .use(webRoutes(deps))
}

export type App = ReturnType<typeof createApp>

/** The server's fetch handler: limits and own-origin rewrite, then the Elysia app. */
export function createFetch(app: { handle(request: Request): Promise<Response> }, deps: AppDeps) {
  const { config, store } = deps
  return async (
    request: Request,
    server?: { requestIP(request: Request): { address: string } | null },
  ): Promise<Response> => {
    if (Number(request.headers.get('content-length') ?? '0') > config.maxBodyBytes) {
      return tooLargeResponse(new URL(request.url).pathname, config.maxBodyBytes)
    }
    const incoming = limitStreamedBody(request, config.maxBodyBytes) ?? request
    const routed = rewriteForOwnOrigin(incoming, store, config.trustProxy)
    carryBodyLimit(incoming, routed)
    // Per-client rate limits (SAML) need the socket's address, which only the server knows.
    const peer = server?.requestIP(request)?.address
    if (peer) rememberPeerAddress(routed, peer)
    return app.handle(routed)
  }
}
