/**
 * The console's "Sign-in attempts" (`{orgURL}/admin/sign-in-attempts`): the list, searchable by the
 * reference a person read on their error page and filtered by outcome; one attempt's trace with
 * what to change in Okta; and the checker, where the admin pastes a SAMLResponse for a dry run
 * (a form with the session's CSRF token, the response bounded like the ACS's). The same services
 * as the admin API (src/admin/sign-in-attempts-routes.ts); markup in views/sign-in-attempts.ts.
 */
import { Elysia, t } from 'elysia'
import { findAttempt, listAttempts } from '../admin/services/sign-in-attempts.ts'
import { samlDepsOf } from '../admin/sign-in-attempts-routes.ts'
import { ServiceError } from '../errors.ts'
import type { AppDeps } from '../http/context.ts'
import { normalizeReference } from '../saml/attempts.ts'
import { ATTEMPT_OUTCOMES, type AttemptOutcome } from '../saml/attempts-model.ts'
import { checkSamlResponse } from '../saml/check.ts'
import { ACS_FORM_MAX_BYTES } from '../saml/form.ts'
import { consolePage, consolePages } from './console.ts'
import { CONSOLE_FORM, CONSOLE_PAGE, pageDoc } from './openapi.ts'
import { attemptDetailPage, attemptsPage, checkerPage } from './views/sign-in-attempts.ts'

const PAGE_SIZE = 50
const TITLE = 'Sign-in attempts'
const SlugParams = t.Object({ slug: t.String() })
const ReferenceParams = t.Object({ slug: t.String(), reference: t.String({ maxLength: 40 }) })
const ListQuery = t.Object(
  {
    outcome: t.Optional(t.String({ maxLength: 20 })),
    reference: t.Optional(t.String({ maxLength: 40 })),
    cursor: t.Optional(t.String({ maxLength: 200 })),
  },
  { additionalProperties: true },
)
const CheckForm = t.Object({
  _csrf: t.String({ maxLength: 200 }),
  samlResponse: t.String({ maxLength: ACS_FORM_MAX_BYTES }),
})

export function signInAttemptPageRoutes(deps: AppDeps) {
  const { store, config } = deps
  return new Elysia({ prefix: '/orgs/:slug/admin/sign-in-attempts', normalize: false })
    .use(consolePages(deps))
    .get(
      '',
      async (context) => {
        const { query } = context
        const outcome = (ATTEMPT_OUTCOMES as readonly string[]).includes(query.outcome ?? '')
          ? (query.outcome as AttemptOutcome)
          : undefined
        const typed = query.reference?.trim() || undefined
        if (typed) {
          const found = await findAttempt(store, context.org, typed, config.publicUrl)
          const body = attemptsPage({
            basePath: context.basePath,
            reference: normalizeReference(typed) ?? typed,
            entries: found ? [found] : [],
            nextCursor: null,
          })
          return consolePage(context, TITLE, 'sign-in-attempts', body)
        }
        const page = await listAttempts(store, context.org.id, {
          outcome,
          cursor: query.cursor,
          limit: PAGE_SIZE,
        })
        const body = attemptsPage({
          basePath: context.basePath,
          outcome,
          entries: page.items,
          cursor: query.cursor,
          nextCursor: page.nextCursor,
        })
        return consolePage(context, TITLE, 'sign-in-attempts', body)
      },
      {
        params: SlugParams,
        query: ListQuery,
        admin: true,
        detail: pageDoc('Console', 'Sign-in attempts (search by reference, filter by outcome)', {
          200: 'The list',
          ...CONSOLE_PAGE,
        }),
      },
    )
    .get(
      '/check',
      (context) =>
        consolePage(
          context,
          'Check a SAMLResponse',
          'sign-in-attempts',
          checkerPage({ basePath: context.basePath, csrfToken: context.admin.csrfToken }),
        ),
      {
        params: SlugParams,
        admin: true,
        detail: pageDoc('Console', 'The checker: paste a SAMLResponse', { 200: 'The form', ...CONSOLE_PAGE }),
      },
    )
    .post(
      '/check',
      async (context) => {
        const form = { basePath: context.basePath, csrfToken: context.admin.csrfToken }
        try {
          const result = await checkSamlResponse(samlDepsOf(deps), context.org, context.body.samlResponse)
          return consolePage(
            context,
            'Check a SAMLResponse',
            'sign-in-attempts',
            checkerPage({ ...form, result }),
          )
        } catch (error) {
          if (!(error instanceof ServiceError) || error.status >= 500) throw error
          return consolePage(
            context,
            'Check a SAMLResponse',
            'sign-in-attempts',
            checkerPage({ ...form, error: error.message }),
            { status: error.status, flashes: [{ kind: 'error', text: error.message }] },
          )
        }
      },
      {
        params: SlugParams,
        body: CheckForm,
        parse: ['urlencoded', 'formdata'],
        admin: { form: '/admin/sign-in-attempts/check' },
        detail: pageDoc('Console', 'Check a SAMLResponse (form post, dry run)', {
          200: 'The steps, the outcome and the advice',
          ...CONSOLE_FORM,
        }),
      },
    )
    .get(
      '/:reference',
      async (context) => {
        const found = await findAttempt(store, context.org, context.params.reference, config.publicUrl)
        if (!found)
          throw new ServiceError(404, 'NOT_FOUND', 'There is no sign-in attempt with this reference.')
        return consolePage(
          context,
          `Sign-in attempt ${found.id}`,
          'sign-in-attempts',
          attemptDetailPage(context.basePath, found),
        )
      },
      {
        params: ReferenceParams,
        admin: true,
        detail: pageDoc('Console', 'One sign-in attempt: its steps and what to change in Okta', {
          200: 'The attempt',
          404: 'No such attempt in this org',
          ...CONSOLE_PAGE,
        }),
      },
    )
}
