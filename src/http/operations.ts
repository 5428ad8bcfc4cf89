/**
 * Health, readiness and Prometheus metrics. `/healthz` and `/readyz` are open and say nothing about
 * orgs. `/metrics` names every org and every SAML failure reason, so it is never public by default:
 * - `METRICS_TOKEN` set: it requires `Authorization: Bearer <token>` (401 otherwise);
 * - `METRICS_PORT` set: it is served only by a second listener (`metricsListener`) that answers
 *   nothing else, and the main port answers 404 (with a token too, that listener requires it);
 * - neither: the main port answers 404, and the server says at start how to turn it on.
 */
import { Elysia, t } from 'elysia'
import type { Config } from '../config/index.ts'
import { hashSecret, sameDigest } from '../store/ids.ts'
import type { AppDeps } from './context.ts'
import { ErrorBody, errorJson } from './errors.ts'

const EXPOSITION = 'text/plain; version=0.0.4; charset=utf-8'

/** How /metrics is reached with this config, for the start-up log line. */
export function metricsAccess(config: Pick<Config, 'metricsToken' | 'metricsPort'>): string {
  if (config.metricsPort !== undefined) {
    return config.metricsToken ? 'metrics port, bearer token' : 'metrics port only'
  }
  if (config.metricsToken) return 'main port, bearer token'
  return 'off: set METRICS_TOKEN (scrape with Authorization: Bearer) or METRICS_PORT (a separate listener)'
}

/** Constant-time: both sides are hashed first, so neither the length nor a prefix leaks. */
function bearerMatches(request: Request, token: string): boolean {
  const header = request.headers.get('authorization') ?? ''
  const match = /^Bearer +(\S{1,512})$/i.exec(header.trim())
  return match !== null && sameDigest(hashSecret(match[1] as string), hashSecret(token))
}

/** The exposition, or the 401 a missing or wrong token gets. */
async function metricsResponse(
  { config, metrics }: Pick<AppDeps, 'config' | 'metrics'>,
  request: Request,
): Promise<Response> {
  if (config.metricsToken && !bearerMatches(request, config.metricsToken)) {
    const refused = errorJson(
      401,
      'UNAUTHENTICATED',
      '/metrics requires Authorization: Bearer <METRICS_TOKEN>',
    )
    refused.headers.set('www-authenticate', 'Bearer realm="metrics"')
    return refused
  }
  return new Response(await metrics.registry.render(), {
    headers: { 'content-type': EXPOSITION, 'cache-control': 'no-store' },
  })
}

const notServed = () => errorJson(404, 'NOT_FOUND', 'not found')

/** The fetch handler of the METRICS_PORT listener: `GET /metrics` and nothing else. */
export function metricsListener(
  deps: Pick<AppDeps, 'config' | 'metrics'>,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const { pathname } = new URL(request.url)
    if (pathname !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) return notServed()
    return metricsResponse(deps, request)
  }
}

export function operationsRoutes({ store, metrics, config }: AppDeps) {
  const onMainPort = config.metricsPort === undefined && config.metricsToken !== undefined
  return new Elysia()
    .get('/healthz', () => ({ status: 'ok' as const }), {
      response: t.Object({ status: t.Literal('ok') }),
      detail: { tags: ['Operations'], summary: 'Liveness: 200 while the server is serving', security: [] },
    })
    .get(
      '/readyz',
      async ({ set }) => {
        let ok = false
        try {
          ok = await store.ping()
        } catch {
          ok = false
        }
        if (!ok) set.status = 503
        return { status: ok ? ('ready' as const) : ('unavailable' as const) }
      },
      {
        response: {
          200: t.Object({ status: t.Literal('ready') }),
          503: t.Object({ status: t.Literal('unavailable') }),
        },
        detail: { tags: ['Operations'], summary: 'Readiness: 200 when the store answers', security: [] },
      },
    )
    .get(
      '/metrics',
      ({ request }) => (onMainPort ? metricsResponse({ config, metrics }, request) : notServed()),
      {
        detail: {
          tags: ['Operations'],
          summary: 'Prometheus metrics (text exposition format)',
          description:
            'Served only with METRICS_TOKEN set (send it as a bearer token), or only on the METRICS_PORT listener; otherwise 404.',
          security: [{ metricsToken: [] }],
          // The body is text, not a model: declared here since it has no TypeBox schema to derive from.
          responses: {
            200: {
              description: 'Prometheus text exposition format 0.0.4',
              content: { 'text/plain': { schema: { type: 'string' } } },
            },
            401: {
              description: 'Missing or wrong bearer token (WWW-Authenticate: Bearer)',
              content: { 'application/json': { schema: ErrorBody } },
            },
            404: {
              description: 'Not served on this port (METRICS_PORT is set, or metrics are off)',
              content: { 'application/json': { schema: ErrorBody } },
            },
          },
        },
      },
    )
}
