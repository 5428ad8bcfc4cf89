/** Health, readiness and Prometheus metrics. */
import { Elysia, t } from 'elysia'
import type { AppDeps } from './context.ts'

export function operationsRoutes({ store, metrics }: AppDeps) {
  return new Elysia()
    .get('/healthz', () => ({ status: 'ok' as const }), {
      response: t.Object({ status: t.Literal('ok') }),
      detail: { tags: ['Operations'], summary: 'Liveness: 200 while the server is serving', security: [] },
    })
    .get(
      '/readyz',
      ({ set }) => {
        let ok = false
        try {
          ok = store.ping()
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
      () =>
        new Response(metrics.registry.render(), {
          headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
        }),
      {
        detail: {
          tags: ['Operations'],
          summary: 'Prometheus metrics (text exposition format)',
          security: [],
          // The body is text, not a model: declared here since it has no TypeBox schema to derive from.
          responses: {
            200: {
              description: 'Prometheus text exposition format 0.0.4',
              content: { 'text/plain': { schema: { type: 'string' } } },
            },
          },
        },
      },
    )
}
