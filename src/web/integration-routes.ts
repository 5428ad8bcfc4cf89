/**
 * Settings → Okta Integration pages over the integration service (the same functions the admin API
 * calls): view, set up / update, rotate the SCIM token (with a confirm step), and remove (dry-run
 * count first, the org slug typed to confirm, then progress on the settings page).
 */
import { Elysia, t } from 'elysia'
import { currentAdmin } from '../admin/session.ts'
import { ServiceError } from '../errors.ts'
import type { AppDeps } from '../http/context.ts'
import { ErrorBody, errorJson } from '../http/errors.ts'
import { resolveOrg } from '../http/org-routing.ts'
import { IntegrationStatusModel } from '../integration/model.ts'
import {
  integrationStatus,
  type RemovalResult,
  removeIntegration,
  rotateScimToken,
  setUpIntegration,
} from '../integration/service.ts'
import { redirect } from '../pages/shell.ts'
import { resync } from '../sync/resync.ts'
import { type ConsoleContext, consolePage, consolePages } from './console.ts'
import { formatCount } from './format.ts'
import type { Flash } from './layout.ts'
import { CONSOLE_FORM, CONSOLE_PAGE, pageDoc } from './openapi.ts'
import type { FieldErrors } from './views/forms.ts'
import {
  integrationPage,
  removeConfirmPage,
  rotateConfirmPage,
  type SetUpValues,
  valuesFromStatus,
} from './views/integration.ts'

const SlugParams = t.Object({ slug: t.String() })
const Csrf = t.String({ maxLength: 200 })
const SetUpForm = t.Object({
  _csrf: Csrf,
  ssoUrl: t.String({ maxLength: 2048 }),
  issuer: t.String({ maxLength: 1024 }),
  certificate: t.String({ maxLength: 20000 }),
  nextCertificate: t.Optional(t.String({ maxLength: 20000 })),
  retireNext: t.Optional(t.Literal('1')),
})
const RemoveForm = t.Object({ _csrf: Csrf, confirmSlug: t.String({ maxLength: 200 }) })
const CsrfForm = t.Object({ _csrf: Csrf })
const Saved = t.Object(
  {
    saved: t.Optional(t.String()),
    refreshed: t.Optional(t.String()),
    removing: t.Optional(t.String()),
    resynced: t.Optional(t.String()),
  },
  { additionalProperties: true },
)

const page = (context: ConsoleContext) => `${context.basePath}/admin/integration`

export interface RenderOptions {
  values?: SetUpValues
  errors?: FieldErrors
  scimToken?: string
  status?: number
  flashes?: Flash[]
}

/** The integration page for the signed-in admin (also rendered by ./integration-metadata.ts's forms). */
export async function renderIntegrationPage(
  deps: Pick<AppDeps, 'store' | 'config'>,
  context: ConsoleContext,
  options: RenderOptions = {},
): Promise<Response> {
  const status = await integrationStatus(deps.store, context.org, deps.config.publicUrl)
  const body = integrationPage({
    basePath: context.basePath,
    slug: context.org.slug,
    csrfToken: context.admin.csrfToken,
    status,
    apiStatusUrl: `${context.basePath}/admin/integration/status.json`,
    values: options.values ?? valuesFromStatus(status),
    errors: options.errors ?? {},
    scimToken: options.scimToken,
  })
  return consolePage(context, 'Okta integration', 'integration', body, {
    status: options.status,
    flashes: options.flashes,
  })
}

export function integrationPageRoutes(deps: AppDeps) {
  const { store, config } = deps
  const render = (context: ConsoleContext, options: RenderOptions = {}) =>
    renderIntegrationPage(deps, context, options)

  return (
    new Elysia({ prefix: '/orgs/:slug/admin/integration', normalize: false })
      .use(consolePages(deps))
      // The page's live status. The admin session cookie is scoped to the org URL's path, so under
      // `{PUBLIC_URL}/orgs/{slug}` the browser does not send it to `/api/v1/…`; this answers the same
      // JSON as `GET /api/v1/orgs/{slug}/okta`, from the same service, under the org's path.
      .get(
        '/status.json',
        async ({ params, request }) => {
          const org = await resolveOrg(store, params.slug)
          if (!(await currentAdmin(store, org, request, config.publicUrl))) {
            return errorJson(401, 'UNAUTHENTICATED', 'the admin session has ended; sign in again')
          }
          return Response.json(await integrationStatus(store, org, config.publicUrl), {
            headers: { 'cache-control': 'no-store' },
          })
        },
        {
          params: SlugParams,
          response: { 200: IntegrationStatusModel, 401: ErrorBody, 404: ErrorBody },
          detail: {
            tags: ['Console'],
            summary:
              'Live integration status for the settings page (same JSON as GET /api/v1/orgs/{slug}/okta)',
            security: [{ adminSession: [] }],
          },
        },
      )
      .get(
        '',
        async (context) => {
          const { query } = context
          const merged = Number(query.resynced)
          const flash = query.saved
            ? 'Saved.'
            : query.refreshed
              ? 'The metadata was read again.'
              : query.removing
                ? 'The integration is removed; its users are being deleted.'
                : Number.isInteger(merged) && merged >= 0
                  ? `Re-sync started: ${formatCount(merged, 'duplicate pair')} merged, full reconcile running.`
                  : undefined
          return render(context, { flashes: flash ? [{ kind: 'ok', text: flash }] : [] })
        },
        {
          params: SlugParams,
          query: Saved,
          admin: true,
          detail: pageDoc('Console', 'Settings → Okta Integration', {
            200: 'The values to type into Okta, the set-up form, status, duplicates and re-sync',
            ...CONSOLE_PAGE,
          }),
        },
      )
      .post(
        '',
        async (context) => {
          const { body } = context
          const values: SetUpValues = {
            ssoUrl: body.ssoUrl,
            issuer: body.issuer,
            certificate: body.certificate,
            nextCertificate: body.nextCertificate ?? '',
            metadataUrl: '',
            metadataXml: '',
          }
          const nextCertificate =
            body.retireNext === '1'
              ? null
              : values.nextCertificate.trim() === ''
                ? undefined
                : values.nextCertificate
          try {
            const { scimToken } = await setUpIntegration(
              store,
              context.org,
              {
                ssoUrl: values.ssoUrl,
                issuer: values.issuer,
                certificate: values.certificate,
                nextCertificate,
              },
              context.actor,
            )
            // The token is in this one answer only (no redirect, no cache); later views never have it.
            if (scimToken) {
              return await render(context, {
                scimToken,
                flashes: [{ kind: 'ok', text: 'The integration is set up.' }],
              })
            }
            return redirect(`${page(context)}?saved=1`)
          } catch (error) {
            if (error instanceof ServiceError && error.status < 500) {
              // A field error goes next to its field; a refusal naming no field (a removal still
              // running) goes above the form.
              return render(context, {
                values,
                errors: error.field ? { [error.field]: error.message } : {},
                flashes: [
                  {
                    kind: 'error',
                    text: error.field ? 'Please correct the field marked below.' : error.message,
                  },
                ],
                status: error.status,
              })
            }
            throw error
          }
        },
        {
          params: SlugParams,
          body: SetUpForm,
          parse: ['urlencoded', 'formdata'],
          admin: { form: '/admin/integration' },
          detail: pageDoc('Console', 'Save the integration settings (form post)', {
            200: 'Saved; on first set-up the page shows the SCIM token once',
            ...CONSOLE_FORM,
            400: 'A value is invalid: the form again, naming the field',
          }),
        },
      )
      .post(
        '/resync',
        async (context) => {
          const result = await resync(store, context.org, { dryRun: false, actor: context.actor })
          return redirect(`${page(context)}?resynced=${result.merges.length}`)
        },
        {
          params: SlugParams,
          body: CsrfForm,
          parse: ['urlencoded', 'formdata'],
          admin: { form: '/admin/integration', integration: true },
          detail: pageDoc('Console', 'Merge duplicates and start a full reconcile (form post)', {
            303: 'Done: back to the integration page',
            ...CONSOLE_FORM,
          }),
        },
      )
      .get(
        '/rotate',
        (context) =>
          consolePage(
            context,
            'Rotate SCIM token',
            'integration',
            rotateConfirmPage(context.basePath, context.admin.csrfToken),
          ),
        {
          params: SlugParams,
          admin: true,
          detail: pageDoc('Console', 'Confirm rotating the SCIM token', {
            200: 'The confirmation page',
            ...CONSOLE_PAGE,
          }),
        },
      )
      .post(
        '/rotate',
        async (context) => {
          const { scimToken } = await rotateScimToken(store, context.org, context.actor)
          return render(context, {
            scimToken,
            flashes: [{ kind: 'ok', text: 'A new SCIM token is made; the old one no longer works.' }],
          })
        },
        {
          params: SlugParams,
          body: CsrfForm,
          parse: ['urlencoded', 'formdata'],
          admin: { form: '/admin/integration/rotate', integration: true },
          detail: pageDoc('Console', 'Rotate the SCIM token (form post)', {
            200: 'The new SCIM token, shown once',
            ...CONSOLE_FORM,
          }),
        },
      )
      .get('/remove', (context) => removePage(context), {
        params: SlugParams,
        admin: true,
        detail: pageDoc('Console', 'Confirm removing the integration', {
          200: 'How many users and groups it will delete; confirm by typing the org slug',
          ...CONSOLE_PAGE,
        }),
      })
      .post(
        '/remove',
        async (context) => {
          if (context.body.confirmSlug.trim() !== context.org.slug) {
            return removePage(context, `Type “${context.org.slug}” exactly to confirm.`)
          }
          await removeIntegration(store, context.org, false, context.actor)
          return redirect(`${page(context)}?removing=1`)
        },
        {
          params: SlugParams,
          body: RemoveForm,
          parse: ['urlencoded', 'formdata'],
          admin: { form: '/admin/integration/remove' },
          detail: pageDoc('Console', 'Remove the integration (form post)', {
            303: 'Removal started: back to the integration page',
            ...CONSOLE_FORM,
            400: 'The typed slug does not match: the confirmation page again',
          }),
        },
      )
  )

  /** The confirmation page with the dry-run's counts; without an integration, back to its page. */
  async function removePage(context: ConsoleContext, error?: string): Promise<Response> {
    let preview: RemovalResult
    try {
      preview = await removeIntegration(store, context.org, true, context.actor)
    } catch (refusal) {
      if (refusal instanceof ServiceError && refusal.code === 'NOT_CONFIGURED') return redirect(page(context))
      throw refusal
    }
    return consolePage(
      context,
      'Remove integration',
      'integration',
      removeConfirmPage({
        basePath: context.basePath,
        slug: context.org.slug,
        csrfToken: context.admin.csrfToken,
        deletedUsers: preview.deletedUsers,
        deletedGroups: preview.deletedGroups,
        error,
      }),
      { status: error ? 400 : 200 },
    )
  }
}
