/**
 * TypeBox models of sign-in attempts and the checker: what `GET …/saml/attempts`, `GET
 * …/saml/attempts/{reference}` and `POST …/saml/check` answer and take. The one schema source:
 * the services derive their types from these, and /docs documents them.
 */
import { type Static, Type as T } from '@sinclair/typebox'
import { ACS_FORM_MAX_BYTES } from './form.ts'
import { TRACE_STEPS } from './trace.ts'

export const ATTEMPT_OUTCOMES = ['accepted', 'rejected', 'rate_limited'] as const
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number]

export const Outcome = T.Union([T.Literal('accepted'), T.Literal('rejected'), T.Literal('rate_limited')])

const Nullable = <S extends ReturnType<typeof T.String>>(schema: S) => T.Union([schema, T.Null()])

export const TraceStepModel = T.Object(
  {
    step: T.String({
      description: `The check, named after its file (src/saml/steps/<step>.ts, form.ts, xml.ts, service.ts): ${TRACE_STEPS.join(', ')}`,
    }),
    ok: T.Boolean(),
    detail: T.String({ description: 'What was found (and expected); at most 300 characters' }),
  },
  { title: 'SamlTraceStep' },
)

const traceFields = {
  outcome: T.Union([T.Literal('accepted'), T.Literal('rejected'), T.Literal('rate_limited')], {
    description: 'accepted, rejected, or rate_limited (one row per burst of a client)',
  }),
  reason: Nullable(T.String({ description: 'The rejection reason code (docs/saml.md); null when accepted' })),
  flow: T.Union([T.Literal('idp_initiated'), T.Literal('sp_initiated'), T.Null()], {
    description: 'From InResponseTo; null when the response could not be read',
  }),
  issuer: Nullable(T.String()),
  nameId: Nullable(T.String()),
  audience: Nullable(T.String({ description: 'The Audience value(s) in the assertion, space-separated' })),
  destination: Nullable(T.String()),
  inResponseTo: Nullable(T.String()),
  signed: T.Boolean({
    description:
      'True when the values were read from verified content; false: read from the posted document before its signature was checked (display only, anyone can write them)',
  }),
  attributes: T.Record(T.String(), T.Array(T.String()), {
    description: 'The assertion attributes, capped: 20 names, 10 values each, 200 characters a value',
  }),
  steps: T.Array(TraceStepModel, { description: 'The steps run, in order; the failing one last' }),
}

export const AttemptModel = T.Object(
  {
    id: T.String({ description: 'The attempt reference the person sees, e.g. K3QX-9M2A-7ZPD' }),
    at: T.String({ format: 'date-time' }),
    ...traceFields,
    clientAddress: Nullable(T.String()),
  },
  { title: 'SamlAttempt' },
)
export type AttemptItem = Static<typeof AttemptModel>

export const AttemptDetailModel = T.Composite(
  [
    AttemptModel,
    T.Object({ advice: T.Array(T.String(), { description: 'What to change, in plain words' }) }),
  ],
  { title: 'SamlAttemptDetail' },
)
export type AttemptDetail = Static<typeof AttemptDetailModel>

export const AttemptPageModel = T.Object(
  { items: T.Array(AttemptModel), nextCursor: Nullable(T.String()) },
  { title: 'SamlAttemptPage' },
)

export const AttemptParams = T.Object({
  slug: T.String(),
  reference: T.String({
    maxLength: 40,
    description: 'The attempt id / reference (dashes and case optional)',
  }),
})

export const CheckBody = T.Object(
  {
    samlResponse: T.String({
      minLength: 1,
      maxLength: ACS_FORM_MAX_BYTES,
      description: 'The SAMLResponse form value as the browser posts it (base64, not URL-encoded)',
    }),
  },
  { additionalProperties: false, title: 'SamlCheck' },
)

export const CheckResultModel = T.Object(
  {
    ...traceFields,
    outcome: T.Union([T.Literal('accepted'), T.Literal('rejected')], {
      description: 'What the sign-in would be (nothing was stored or changed)',
    }),
    advice: T.Array(T.String()),
    landsOn: T.Union(
      [
        T.Object({
          accountId: Nullable(T.String({ description: 'null when the account would be created' })),
          email: T.String(),
          createsAccount: T.Boolean({ description: 'True: a just-in-time account would be created' }),
        }),
        T.Null(),
      ],
      { description: 'The account the sign-in would land on; null when it would be rejected' },
    ),
  },
  { title: 'SamlCheckResult' },
)
export type CheckResult = Static<typeof CheckResultModel>
