/**
 * Settings → Okta Integration, the metadata forms, over the same services as the admin API: set up
 * (or switch) from the IdP's metadata URL or pasted XML (`PUT …/okta` with `metadataUrl` /
 * `metadataXml`), and "Refresh now" (`POST …/okta/metadata/refresh`). A refused value comes back
 * next to its field; the first set-up shows the SCIM token once, like the manual form.
 */
import { Elysia, t } from 'elysia'
import { ServiceError } from '../errors.ts'
import type { AppDeps } from '../http/context.ts'
import { metadataDepsOf, refreshMetadataNow, setUpFromMetadata } from '../integration/metadata.ts'
import { redirect } from '../pages/shell.ts'
import { type ConsoleContext, consolePages } from './console.ts'
import { renderIntegrationPage } from './integration-routes.ts'
import { CONSOLE_FORM, pageDoc } from './openapi.ts'

const SlugParams = t.Object({ slug: t.String() })
const Csrf = t.String({ maxLength: 200 })
const MetadataForm = t.Object({
  _csrf: Csrf,
  metadataUrl: t.Optional(t.String({ maxLength: 2048 })),
  metadataXml: t.Optional(t.String({ maxLength: 1024 * 1024 })),
})
const CsrfForm = t.Object({ _csrf: Csrf })

const page = (context: ConsoleContext) => `${context.basePath}/admin/integration`

export function integrationMetadataRoutes(deps: AppDeps) {
  const { store, config } = deps
  const metadata = metadataDepsOf(config, deps.metrics)

  /** A refusal of the service as the page shows it: next to the field, or above the form. */
  const refused = (
    context: ConsoleContext,
    error: ServiceError,
    values = { metadataUrl: '', metadataXml: '' },
  ) =>
    renderIntegrationPage(deps, context, {
      values: { ssoUrl: '', issuer: '', certificate: '', nextCertificate: '', ...values },
      errors: error.field ? { [error.field]: error.message } : {},
      flashes: [
        { kind: 'error', text: error.field ? 'Please correct the field marked below.' : error.message },
      ],
      status: error.status,
    })

  return new Elysia({ prefix: '/orgs/:slug/admin/integration', normalize: false })
    .use(consolePages(deps))
    .post(
      '/metadata',
      async (context) => {
        const values = {
          metadataUrl: context.body.metadataUrl?.trim() ?? '',
          metadataXml: context.body.metadataXml ?? '',
        }
        const input = values.metadataUrl
          ? { metadataUrl: values.metadataUrl }
          : { metadataXml: values.metadataXml }
        try {
          const { scimToken } = await setUpFromMetadata(store, context.org, input, metadata, context.actor)
          // The token is in this one answer only (no redirect, no cache); later views never have it.
          if (scimToken) {
            return await renderIntegrationPage(deps, context, {
              scimToken,
              flashes: [{ kind: 'ok', text: 'The integration is set up from the metadata.' }],
            })
          }
          return redirect(`${page(context)}?saved=1`)
        } catch (error) {
          if (error instanceof ServiceError && error.status < 500) return refused(context, error, values)
          throw error
        }
      },
      {
        params: SlugParams,
        body: MetadataForm,
        parse: ['urlencoded', 'formdata'],
        admin: { form: '/admin/integration' },
        detail: pageDoc('Console', 'Set up from the IdP metadata URL or XML (form post)', {
          200: 'Set up; on first set-up the page shows the SCIM token once',
          ...CONSOLE_FORM,
          400: 'The metadata is unusable: the form again, naming the field and why',
        }),
      },
    )
    .post(
      '/metadata/refresh',
      async (context) => {
        try {
          const outcome = await refreshMetadataNow(store, context.org, metadata)
          // A failure shows on the page itself (the metadata card's error).
          if (outcome.ok === false) return await renderIntegrationPage(deps, context)
          return redirect(`${page(context)}?refreshed=1`)
        } catch (error) {
          if (error instanceof ServiceError && error.status < 500) return refused(context, error)
          throw error
        }
      },
      {
        params: SlugParams,
        body: CsrfForm,
        parse: ['urlencoded', 'formdata'],
        admin: { form: '/admin/integration', integration: true },
        detail: pageDoc('Console', 'Read the IdP metadata again now (form post)', {
          303: 'Refreshed: back to the integration page',
          200: 'The refresh failed: the page with the error',
          ...CONSOLE_FORM,
        }),
      },
    )
}
