/**
 * Sign-in attempts you can debug, the admin API: `GET /api/v1/orgs/{slug}/saml/attempts` (newest
 * first, `?outcome=&limit=&cursor=`), `GET …/saml/attempts/{reference}` (one, with advice) and
 * `POST …/saml/check {samlResponse}` (the dry run of src/saml/check.ts). Thin: auth, then the
 * services. The console twin is src/web/sign-in-attempts-pages.ts.
 */
import { Elysia, t } from 'elysia'
import type { AppDeps } from '../http/context.ts'
import { ErrorBody } from '../http/errors.ts'
import {
  AttemptDetailModel,
  AttemptPageModel,
  AttemptParams,
  CheckBody,
  CheckResultModel,
  Outcome,
} from '../saml/attempts-model.ts'
import { checkSamlResponse } from '../saml/check.ts'
import type { SamlDeps } from '../saml/service.ts'
import { adminApi } from './api.ts'
import { OrgSlugParams } from './model.ts'
import { getAttempt, listAttempts } from './services/sign-in-attempts.ts'

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody }
const tags = ['SAML']
const AttemptQuery = t.Object(
  {
    outcome: t.Optional(Outcome),
    // Elysia's `t.Integer` (not TypeBox's) is coerced from the query string.
    limit: t.Optional(
      t.Integer({ minimum: 1, maximum: 1000, description: 'Page size (default 100, max 1000)' }),
    ),
    cursor: t.Optional(
      t.String({ maxLength: 200, description: 'The `nextCursor` of the previous page, unchanged' }),
    ),
  },
  { additionalProperties: false },
)

/** What the SAML services need of the app's dependencies. */
export function samlDepsOf(deps: AppDeps): SamlDeps {
  return {
    store: deps.store,
    metrics: deps.metrics,
    publicUrl: deps.config.publicUrl,
    maxAssertionValidityMs: deps.config.samlMaxAssertionValidityMinutes * 60_000,
  }
}

export function signInAttemptRoutes(deps: AppDeps) {
  const { store, config } = deps
  return new Elysia({ prefix: '/api/v1/orgs/:slug/saml', normalize: false })
    .use(adminApi(deps))
    .get('/attempts', ({ org, query }) => listAttempts(store, org.id, query), {
      params: OrgSlugParams,
      query: AttemptQuery,
      response: { 200: AttemptPageModel, ...errors },
      detail: {
        tags,
        summary: 'Sign-in attempts, newest first (kept SAML_ATTEMPT_RETENTION_DAYS, 30 by default)',
        description:
          'Every ACS attempt, accepted or not, as a trace: the values read and the steps run. No raw assertion, no signature bytes. `signed: false` values were read before the signature was checked: display only. Dry runs of `…/saml/check` are not listed.',
      },
    })
    .get(
      '/attempts/:reference',
      ({ org, params }) => getAttempt(store, org, params.reference, config.publicUrl),
      {
        params: AttemptParams,
        response: { 200: AttemptDetailModel, ...errors },
        detail: {
          tags,
          summary: 'One sign-in attempt by its reference (from the person’s error page), with advice',
        },
      },
    )
    .post('/check', ({ org, body }) => checkSamlResponse(samlDepsOf(deps), org, body.samlResponse), {
      params: OrgSlugParams,
      body: CheckBody,
      parse: 'json',
      response: { 200: CheckResultModel, ...errors },
      detail: {
        tags,
        summary: 'Check a SAMLResponse (dry run of the whole sign-in pipeline)',
        description:
          'No session, no replay-cache entry, no account change, no AuthnRequest consumed, nothing stored. Answers the steps, the outcome and reason the sign-in would have, advice, and the account it would land on.',
      },
    })
}
