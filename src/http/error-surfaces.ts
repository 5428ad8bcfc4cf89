/**
 * How an error looks is the business of the place that mounts the routes, as with hono's
 * middleware `onError`: the admin API mounts `adminErrors` (src/admin/api.ts), SCIM its RFC 7644
 * mapper (src/scim/routes.ts), the console `pageErrors` (src/web/console.ts), each as
 * `.onError(answerWith(surface))` on its routes. The app registers those mounts first and its own
 * handler after them (src/http/app.ts), so that handler is only the fallback: for the routes that
 * mount none (SAML, account, docs, operations) and for a request that matched no route. Such a
 * request has no mount, so there its path is all that says which surface it was aimed at.
 *
 * A body refused while it streamed in (src/http/body-limit.ts) is answered in its surface's format
 * by the body guard's own rule, whichever mount it reached.
 */
import { ServiceError } from '../errors.ts'
import type { Logger } from '../observability/log.ts'
import { messagePage } from '../pages/shell.ts'
import { refusedBody } from './body-limit.ts'
import { mapAdminError } from './errors.ts'

/** A surface turns anything thrown (by code: Elysia's NOT_FOUND, VALIDATION, PARSE, …) into its answer. */
export type ErrorSurface = (code: string | number, error: unknown, request: Request) => Response

/** Elysia's error hook for a mount: the surface's answer, its status also in `set` for the metrics. */
export function answerWith(surface: ErrorSurface) {
  return ({
    code,
    error,
    request,
    set,
  }: {
    code: string | number
    error: unknown
    request: Request
    set: { status?: number | string }
  }): Response => {
    const response = refusedBody(request) ?? surface(code, error, request)
    set.status = response.status
    return response
  }
}

function logUnexpected(log: Logger, error: unknown, request: Request): void {
  log.error('unhandled error', {
    path: new URL(request.url).pathname,
    error: error instanceof Error ? error.message : String(error),
    stack: error instanceof Error ? error.stack : undefined,
  })
}

/** The admin API's JSON, `{"error": {"code", "message", "field"?}}` (src/http/errors.ts). */
export function adminErrors(log: Logger): ErrorSurface {
  return (code, error, request) => mapAdminError(code, error, (e) => logUnexpected(log, e, request), request)
}

const wantsHtml = (request: Request) => (request.headers.get('accept') ?? '').includes('text/html')

/** For people: a plain page to a browser, the admin API's JSON to anything that does not ask for HTML. */
export function pageErrors(log: Logger): ErrorSurface {
  const json = adminErrors(log)
  return (code, error, request) => {
    if (!wantsHtml(request)) return json(code, error, request)
    if (error instanceof ServiceError && error.status < 500) {
      return messagePage(
        error.status,
        error.status === 404 ? 'Not found' : 'Something is not right',
        error.message,
      )
    }
    if (code === 'NOT_FOUND') return messagePage(404, 'Not found', 'There is no page at this address.')
    if (code === 'VALIDATION' || code === 'PARSE') {
      return messagePage(400, 'Bad request', 'The request could not be understood.')
    }
    logUnexpected(log, error, request)
    return messagePage(500, 'Something went wrong', 'Please try again in a moment.')
  }
}

/**
 * The fallback: pages for people, except that a request under `/api/` always gets JSON, and one
 * under a mount's path in `unrouted` that reached none of its routes (SCIM's 404 for an unknown
 * endpoint) gets that mount's answer.
 */
export function fallbackErrors(
  log: Logger,
  unrouted: { path: RegExp; surface: ErrorSurface }[],
): ErrorSurface {
  const json = adminErrors(log)
  const pages = pageErrors(log)
  return (code, error, request) => {
    const path = new URL(request.url).pathname
    const mount = unrouted.find((u) => u.path.test(path))
    if (mount) return mount.surface(code, error, request)
    return path.startsWith('/api/') ? json(code, error, request) : pages(code, error, request)
  }
}
