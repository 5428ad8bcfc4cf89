/**
 * TypeBox models of the webhooks admin API (`/api/v1/orgs/{slug}/webhooks…`): validation, the
 * service's types (`Static<…>`) and OpenAPI in one place. The names and shapes are the contract of
 * issue 11; fields may be added, never renamed.
 */
import { type Static, Type as T } from '@sinclair/typebox'
import type { EventType } from '../sync/context.ts'

/** Every type of the org's change feed, the values `eventTypes` may list. */
export const EVENT_TYPES = [
  'account.created',
  'account.updated',
  'account.deactivated',
  'account.reactivated',
  'account.deleted',
  'account.merged',
  'account.role_changed',
  'group.created',
  'group.updated',
  'group.deleted',
  'membership.added',
  'membership.removed',
  'integration.certificate_expiring',
  'integration.certificate_rotated',
] as const satisfies readonly EventType[]

// Fails to compile when the feed gains a type this list does not have.
const everyType: Exclude<EventType, (typeof EVENT_TYPES)[number]> extends never ? true : never = true
void everyType

/** The type of the event `POST …/webhooks/{id}/test` sends (never part of the feed). */
export const TEST_EVENT_TYPE = 'webhook.test'

const DateTime = T.String({ format: 'date-time' })
const NullableDateTime = T.Union([DateTime, T.Null()])

export const WebhookParams = T.Object({
  slug: T.String({ description: 'Organization slug', examples: ['acme'] }),
  id: T.String({ maxLength: 64, description: 'Webhook endpoint id' }),
})

const Url = T.String({
  maxLength: 2048,
  description: 'http(s) URL that receives the POSTs; private addresses need ALLOW_PRIVATE_OUTBOUND',
  examples: ['https://app.example.com/hooks/okta-bridge'],
})
const EventTypes = T.Array(T.String({ maxLength: 64, examples: ['account.created'] }), {
  maxItems: 50,
  description: `Only these event types (empty or absent: every type). Known types: ${EVENT_TYPES.join(', ')}`,
})
const Description = T.String({ maxLength: 500 })

export const NewWebhookBody = T.Object(
  {
    url: Url,
    eventTypes: T.Optional(EventTypes),
    batch: T.Optional(
      T.Boolean({ description: 'Send `{"events": [...]}` with up to 500 events per request' }),
    ),
    description: T.Optional(Description),
  },
  { additionalProperties: false },
)

export const PatchWebhookBody = T.Object(
  {
    url: T.Optional(Url),
    eventTypes: T.Optional(EventTypes),
    batch: T.Optional(T.Boolean()),
    enabled: T.Optional(
      T.Boolean({ description: 'false stops delivery; true resumes from the first undelivered event' }),
    ),
    description: T.Optional(Description),
  },
  { additionalProperties: false },
)

export const ReplayBody = T.Object(
  {
    afterEventId: T.Integer({
      minimum: 0,
      maximum: Number.MAX_SAFE_INTEGER,
      description: 'Every event after this id is sent again, in order (0: the whole feed)',
    }),
  },
  { additionalProperties: false },
)

export const WebhookModel = T.Object(
  {
    id: T.String(),
    url: T.String(),
    description: T.String(),
    eventTypes: T.Array(T.String(), { description: 'Empty: every type' }),
    batch: T.Boolean(),
    enabled: T.Boolean(),
    createdAt: DateTime,
    cursor: T.Integer({ description: 'The last event id delivered (or filtered out); 0 before the first' }),
    lagSeconds: T.Number({ description: 'Age of the oldest undelivered event; 0 when caught up' }),
    failingSince: T.Union([DateTime, T.Null()], { description: 'Since when the head event fails' }),
    attempt: T.Integer({ description: 'Attempts made so far at the head event' }),
    nextAttemptAt: NullableDateTime,
    lastError: T.Union([T.String(), T.Null()]),
    disabledReason: T.Union([T.String(), T.Null()], { description: 'Why delivery stopped, when it did' }),
  },
  { title: 'Webhook' },
)

export const CreatedWebhookModel = T.Composite(
  [
    WebhookModel,
    T.Object({
      secret: T.String({
        description: 'whsec_ + base64 of 32 random bytes: shown only in this answer',
        examples: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
      }),
    }),
  ],
  { title: 'CreatedWebhook' },
)

export const WebhookListModel = T.Object({
  items: T.Array(WebhookModel),
  nextCursor: T.Union([T.String(), T.Null()], { description: 'Pass as ?cursor= for the next page' }),
})

export const DeliveryModel = T.Object(
  {
    id: T.String(),
    eventIds: T.Array(T.Integer(), { description: 'The feed events the request carried ([] for a test)' }),
    messageId: T.String({ description: 'The webhook-id header: the same on every retry' }),
    attempt: T.Integer({ description: '1 for the first try of these events' }),
    status: T.Union([T.Literal('delivered'), T.Literal('failed'), T.Literal('pending')], {
      description:
        'delivered: answered 2xx; pending: not acknowledged, tried again at nextAttemptAt; failed: not acknowledged and not retried (a test, or the endpoint was disabled)',
    }),
    responseStatus: T.Union([T.Integer(), T.Null()]),
    responseBody: T.Union([T.String(), T.Null()], { description: 'The first 1 KB of the answer' }),
    durationMs: T.Union([T.Integer(), T.Null()]),
    at: DateTime,
    nextAttemptAt: NullableDateTime,
    error: T.Union([T.String(), T.Null()]),
  },
  { title: 'WebhookDelivery' },
)

export const DeliveryListModel = T.Object({
  items: T.Array(DeliveryModel, { description: 'Newest first' }),
  nextCursor: T.Union([T.String(), T.Null()]),
})

export type Webhook = Static<typeof WebhookModel>
export type CreatedWebhook = Static<typeof CreatedWebhookModel>
export type WebhookList = Static<typeof WebhookListModel>
export type NewWebhookInput = Static<typeof NewWebhookBody>
export type WebhookPatch = Static<typeof PatchWebhookBody>
export type Delivery = Static<typeof DeliveryModel>
export type DeliveryList = Static<typeof DeliveryListModel>
