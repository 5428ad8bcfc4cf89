/**
 * Webhooks, the admin side: the API under `/api/v1/orgs/{slug}/webhooks…` and the console page
 * Settings → Webhooks (`{orgURL}/admin/webhooks`), both thin over `src/webhooks/service.ts`. A
 * secret is only ever in the one answer that made it (create, rotate); the console renders that
 * answer directly instead of redirecting, so the secret is never in a URL or a later page.
 */
import { Elysia, t } from 'elysia'
import { ServiceError } from '../errors.ts'
import type { AppDeps } from '../http/context.ts'
import { ErrorBody } from '../http/errors.ts'
import { redirect } from '../pages/shell.ts'
import { type ConsoleContext, consolePage, consolePages, doneNotices } from '../web/console.ts'
import type { Flash } from '../web/layout.ts'
import { CONSOLE_FORM, CONSOLE_PAGE, pageDoc } from '../web/openapi.ts'
import { type WebhooksPageInput, webhooksPage } from '../web/views/webhooks.ts'
import {
  CreatedWebhookModel,
  DeliveryListModel,
  DeliveryModel,
  EVENT_TYPES,
  NewWebhookBody,
  PatchWebhookBody,
  ReplayBody,
  WebhookListModel,
  WebhookModel,
  WebhookParams,
} from '../webhooks/model.ts'
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listDeliveries,
  listWebhooks,
  patchWebhook,
  replayWebhook,
  rotateWebhookSecret,
  testWebhook,
} from '../webhooks/service.ts'
import { adminApi } from './api.ts'
import { OrgSlugParams } from './model.ts'

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody }
// Elysia's `t` (not bare TypeBox) for query strings: it coerces `?limit=2` to a number.
const ListQuery = t.Object(
  {
    limit: t.Optional(
      t.Integer({ minimum: 1, maximum: 1000, description: 'Page size (default 100, max 1000)' }),
    ),
    cursor: t.Optional(t.String({ maxLength: 64, description: 'The `nextCursor` of the previous page' })),
  },
  { additionalProperties: false },
)
const tags = ['Webhooks']
const NoContent = t.Void({ description: 'Done; no body' })

export function webhookRoutes(deps: AppDeps) {
  const { store, config, metrics } = deps
  const policy = { allowPrivate: config.allowPrivateOutbound }
  const sender = { store, policy, timeoutMs: config.webhookTimeoutMs, metrics }

  const api = new Elysia({ prefix: '/api/v1/orgs/:slug', normalize: false })
    .use(adminApi(deps))
    .post(
      '/webhooks',
      async ({ org, actor, body, set }) => {
        const created = await createWebhook(store, org, body, { policy, actor })
        set.status = 201
        return created
      },
      {
        params: OrgSlugParams,
        body: NewWebhookBody,
        parse: 'json',
        response: { 201: CreatedWebhookModel, ...errors },
        detail: {
          tags,
          summary: 'Add a webhook endpoint (the signing secret is in this answer only)',
          description:
            'The endpoint receives every event written from now on (`POST …/replay` sends older ones), signed per ' +
            'Standard Webhooks. A URL that resolves to a loopback, private or link-local address is refused (400) ' +
            'unless the server runs with ALLOW_PRIVATE_OUTBOUND=1.',
        },
      },
    )
    .get('/webhooks', ({ org, query }) => listWebhooks(store, org, query), {
      params: OrgSlugParams,
      query: ListQuery,
      response: { 200: WebhookListModel, ...errors },
      detail: {
        tags,
        summary: "List the org's webhook endpoints",
        description: 'Oldest first. Never a secret.',
      },
    })
    .get('/webhooks/:id', ({ org, params }) => getWebhook(store, org, params.id), {
      params: WebhookParams,
      response: { 200: WebhookModel, ...errors },
      detail: {
        tags,
        summary: 'One endpoint with its delivery state',
        description:
          '`cursor` is the last event delivered, `lagSeconds` the age of the oldest undelivered one.',
      },
    })
    .patch(
      '/webhooks/:id',
      ({ org, actor, params, body }) => patchWebhook(store, org, params.id, body, { policy, actor }),
      {
        params: WebhookParams,
        body: PatchWebhookBody,
        parse: 'json',
        response: { 200: WebhookModel, ...errors },
        detail: {
          tags,
          summary: 'Change an endpoint',
          description: '`enabled: true` on a disabled endpoint resumes from the first undelivered event.',
        },
      },
    )
    .delete(
      '/webhooks/:id',
      async ({ org, actor, params }) => {
        await deleteWebhook(store, org, params.id, actor)
        return new Response(null, { status: 204, headers: { 'cache-control': 'no-store' } })
      },
      {
        params: WebhookParams,
        response: { 204: NoContent, ...errors },
        detail: { tags, summary: 'Delete an endpoint and its delivery log' },
      },
    )
    .post(
      '/webhooks/:id/rotate-secret',
      ({ org, actor, params }) => rotateWebhookSecret(store, org, params.id, { actor }),
      {
        params: WebhookParams,
        response: { 200: CreatedWebhookModel, ...errors },
        detail: {
          tags,
          summary: 'Rotate the signing secret (the new one is in this answer only)',
          description:
            'For 24 hours every request carries two signatures, under the new and the previous secret, so receivers can switch without losing a request.',
        },
      },
    )
    .post('/webhooks/:id/test', ({ org, params }) => testWebhook(sender, org, params.id), {
      params: WebhookParams,
      response: { 200: DeliveryModel, ...errors },
      detail: {
        tags,
        summary: 'Send a webhook.test event now',
        description: 'Outside the feed: the cursor does not move. The answer is the logged attempt.',
      },
    })
    .post(
      '/webhooks/:id/replay',
      ({ org, actor, params, body }) => replayWebhook(store, org, params.id, body.afterEventId, { actor }),
      {
        params: WebhookParams,
        body: ReplayBody,
        parse: 'json',
        response: { 200: WebhookModel, ...errors },
        detail: { tags, summary: 'Send every event after `afterEventId` again, in order' },
      },
    )
    .get(
      '/webhooks/:id/deliveries',
      ({ org, params, query }) => listDeliveries(store, org, params.id, query),
      {
        params: WebhookParams,
        query: ListQuery,
        response: { 200: DeliveryListModel, ...errors },
        detail: { tags, summary: 'The delivery log of an endpoint, newest first' },
      },
    )

  return new Elysia().use(api).use(webhookPages(deps))
}

const SlugParams = t.Object({ slug: t.String() })
const PageParams = t.Object({ slug: t.String(), id: t.String({ maxLength: 64 }) })
const Csrf = t.String({ maxLength: 200 })
const AddForm = t.Object({
  _csrf: Csrf,
  url: t.String({ maxLength: 2048 }),
  description: t.Optional(t.String({ maxLength: 500 })),
  eventTypes: t.Optional(
    t.Union([t.String({ maxLength: 64 }), t.Array(t.String({ maxLength: 64 }), { maxItems: 50 })]),
  ),
  batch: t.Optional(t.String({ maxLength: 10 })),
})
const CsrfForm = t.Object({ _csrf: Csrf })
const done = doneNotices({
  deleted: 'The endpoint is deleted.',
  enabled: 'The endpoint is enabled: delivery resumes from the first undelivered event.',
  disabled: 'The endpoint is disabled: events wait until it is enabled again.',
  replayed: 'Every event is being sent again, in order.',
})

const listOf = (value: string | string[] | undefined) =>
  value === undefined ? [] : Array.isArray(value) ? value : [value]

function webhookPages(deps: AppDeps) {
  const { store, config, metrics } = deps
  const policy = { allowPrivate: config.allowPrivateOutbound }
  const sender = { store, policy, timeoutMs: config.webhookTimeoutMs, metrics }
  const path = (context: ConsoleContext) => `${context.basePath}/admin/webhooks`
  const form = { form: '/admin/webhooks' }

  const render = async (
    context: ConsoleContext,
    extra: Partial<Pick<WebhooksPageInput, 'created' | 'values' | 'error' | 'tested'>> = {},
    flashes: Flash[] = [],
    status = 200,
  ) => {
    const { items } = await listWebhooks(store, context.org, { limit: 1000 })
    const body = webhooksPage({
      basePath: context.basePath,
      csrfToken: context.admin.csrfToken,
      hooks: items,
      eventTypes: EVENT_TYPES,
      ...extra,
    })
    return consolePage(context, 'Webhooks', 'webhooks', body, { flashes, status })
  }

  const refused = (context: ConsoleContext, error: unknown, values?: WebhooksPageInput['values']) => {
    if (!(error instanceof ServiceError) || error.status >= 500) throw error
    return render(
      context,
      { values, error: { field: error.field, message: error.message } },
      [{ kind: 'error', text: error.message }],
      error.status,
    )
  }

  const action = (
    name: string,
    summary: string,
    run: (context: ConsoleContext, id: string) => Promise<Response>,
  ) =>
    new Elysia().use(consolePages(deps)).post(
      `/orgs/:slug/admin/webhooks/:id/${name}`,
      async (context) => {
        try {
          return await run(context, context.params.id)
        } catch (error) {
          return refused(context, error)
        }
      },
      {
        params: PageParams,
        body: CsrfForm,
        parse: ['urlencoded', 'formdata'],
        admin: form,
        detail: pageDoc('Console', summary, {
          303: 'Done: back to the webhooks page',
          200: 'The page with the outcome',
          ...CONSOLE_FORM,
        }),
      },
    )

  return new Elysia()
    .use(
      new Elysia({ prefix: '/orgs/:slug/admin/webhooks', normalize: false })
        .use(consolePages(deps))
        .get(
          '',
          (context) => {
            return render(context, {}, done.flashes(context.query))
          },
          {
            params: SlugParams,
            query: done.query,
            admin: true,
            detail: pageDoc('Console', 'Settings → Webhooks: endpoints, their state, add, test, rotate', {
              200: 'The webhooks page',
              ...CONSOLE_PAGE,
            }),
          },
        )
        .post(
          '',
          async (context) => {
            const { body } = context
            const values = {
              url: body.url,
              description: body.description ?? '',
              eventTypes: listOf(body.eventTypes),
              batch: body.batch !== undefined,
            }
            try {
              const created = await createWebhook(store, context.org, values, {
                policy,
                actor: context.actor,
              })
              return await render(context, { created }, [
                {
                  kind: 'ok',
                  text: 'The endpoint is added. Copy its signing secret now: it is shown only once.',
                },
              ])
            } catch (error) {
              return refused(context, error, values)
            }
          },
          {
            params: SlugParams,
            body: AddForm,
            parse: ['urlencoded', 'formdata'],
            admin: form,
            detail: pageDoc('Console', 'Add a webhook endpoint (form post)', {
              200: 'The new endpoint and its secret, shown once',
              ...CONSOLE_FORM,
              400: 'The URL or event types are refused: the page again, naming the field',
            }),
          },
        ),
    )
    .use(
      action('rotate', 'Rotate the signing secret (form post)', async (context, id) => {
        const created = await rotateWebhookSecret(store, context.org, id, { actor: context.actor })
        return render(context, { created }, [
          {
            kind: 'ok',
            text: 'The secret is rotated; the previous one keeps signing for 24 hours. Copy the new one now.',
          },
        ])
      }),
    )
    .use(
      action('test', 'Send a webhook.test event (form post)', async (context, id) => {
        const tested = await testWebhook(sender, context.org, id)
        const text =
          tested.status === 'delivered'
            ? `The test event was delivered (HTTP ${tested.responseStatus}, ${tested.durationMs} ms).`
            : `The test event was not delivered: ${tested.error ?? 'no answer'}.`
        return render(context, { tested: { id, delivery: tested } }, [
          { kind: tested.status === 'delivered' ? 'ok' : 'error', text },
        ])
      }),
    )
    .use(
      action('enable', 'Enable an endpoint (form post)', async (context, id) => {
        await patchWebhook(store, context.org, id, { enabled: true }, { policy, actor: context.actor })
        return redirect(`${path(context)}?enabled=1`)
      }),
    )
    .use(
      action('disable', 'Disable an endpoint (form post)', async (context, id) => {
        await patchWebhook(store, context.org, id, { enabled: false }, { policy, actor: context.actor })
        return redirect(`${path(context)}?disabled=1`)
      }),
    )
    .use(
      action('delete', 'Delete an endpoint (form post)', async (context, id) => {
        await deleteWebhook(store, context.org, id, context.actor)
        return redirect(`${path(context)}?deleted=1`)
      }),
    )
}
