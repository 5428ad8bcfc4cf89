/**
 * Setup links for the customer's IT admin: the admin API (`/api/v1/orgs/{slug}/setup-links`: make,
 * list, revoke) and the console pages that do the same (`{orgURL}/admin/setup-links`), plus the
 * console's IdP guides (`{orgURL}/admin/guides?idp=…`). Thin: auth, then src/setup/links.ts. The
 * link's own page is src/web/setup-link-routes.ts.
 */
import { Elysia, t } from 'elysia'
import { ServiceError } from '../errors.ts'
import type { AppDeps } from '../http/context.ts'
import { ErrorBody } from '../http/errors.ts'
import { oktaValues } from '../integration/service.ts'
import { redirect } from '../pages/shell.ts'
import { createSetupLink, listSetupLinks, revokeSetupLink } from '../setup/links.ts'
import {
  CreatedSetupLinkModel,
  CreateSetupLinkBody,
  IDPS,
  type Idp,
  SetupLinkListModel,
} from '../setup/model.ts'
import { consolePage, consolePages } from '../web/console.ts'
import { CONSOLE_FORM, CONSOLE_PAGE, pageDoc } from '../web/openapi.ts'
import { guidesPage, setupLinksPage } from '../web/views/setup.ts'
import { adminApi } from './api.ts'
import { OrgSlugParams } from './model.ts'

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody }
const tags = ['Setup links']
const LinkParams = t.Object({ slug: t.String(), id: t.String({ maxLength: 100 }) })
const NoContent = t.Void({ description: 'Revoked; no body' })
const SlugParams = t.Object({ slug: t.String() })
const Csrf = t.String({ maxLength: 200 })
const NewLinkForm = t.Object({
  _csrf: Csrf,
  idp: t.String({ maxLength: 20 }),
  expiresInHours: t.String({ maxLength: 10 }),
})
const GuideQuery = t.Object({ idp: t.Optional(t.String({ maxLength: 20 })) }, { additionalProperties: true })

export function setupLinkAdminRoutes(deps: AppDeps) {
  const { store, config } = deps
  const api = new Elysia({ prefix: '/api/v1/orgs/:slug', normalize: false })
    .use(adminApi(deps))
    .get('/setup-links', async ({ org }) => ({ items: await listSetupLinks(store, org), nextCursor: null }), {
      params: OrgSlugParams,
      response: { 200: SetupLinkListModel, ...errors },
      detail: { tags, summary: "List the org's setup links (newest first; never their URL)" },
    })
    .post(
      '/setup-links',
      async ({ org, actor, body, set }) => {
        const created = await createSetupLink(store, org, body, actor, config.publicUrl)
        set.status = 201
        return created
      },
      {
        params: OrgSlugParams,
        body: CreateSetupLinkBody,
        parse: 'json',
        response: { 201: CreatedSetupLinkModel, ...errors },
        detail: {
          tags,
          summary: "Make a setup link for the IdP's admin (the URL is in this answer only)",
          description:
            'The link opens a page that needs no account and can only set up this integration: values and steps for `idp`, the set-up form, the SCIM token once, live checks at `{url}/status.json`.',
        },
      },
    )
    .delete(
      '/setup-links/:id',
      async ({ org, actor, params }) => {
        await revokeSetupLink(store, org, params.id, actor)
        return new Response(null, { status: 204, headers: { 'cache-control': 'no-store' } })
      },
      {
        params: LinkParams,
        response: { 204: NoContent, ...errors },
        detail: { tags, summary: 'Revoke a setup link (its page answers "revoked" at once)' },
      },
    )

  const pages = new Elysia({ prefix: '/orgs/:slug/admin', normalize: false })
    .use(consolePages(deps))
    .get(
      '/setup-links',
      async (context) => {
        const body = setupLinksPage({
          basePath: context.basePath,
          csrfToken: context.admin.csrfToken,
          links: await listSetupLinks(store, context.org),
        })
        return consolePage(context, 'Setup links', 'setup-links', body)
      },
      {
        params: SlugParams,
        admin: true,
        detail: pageDoc('Console', 'Setup links for the IdP admin', {
          200: 'Make, copy, revoke',
          ...CONSOLE_PAGE,
        }),
      },
    )
    .post(
      '/setup-links',
      async (context) => {
        const { body } = context
        try {
          const created = await createSetupLink(
            store,
            context.org,
            { idp: body.idp, expiresInHours: Number(body.expiresInHours.trim()) },
            context.actor,
            config.publicUrl,
          )
          const page = setupLinksPage({
            basePath: context.basePath,
            csrfToken: context.admin.csrfToken,
            links: await listSetupLinks(store, context.org),
            created,
          })
          // The URL is in this one answer only (no redirect, no cache).
          return consolePage(context, 'Setup links', 'setup-links', page, {
            status: 201,
            flashes: [{ kind: 'ok', text: 'Setup link made.' }],
          })
        } catch (error) {
          if (!(error instanceof ServiceError) || error.status >= 500) throw error
          const page = setupLinksPage({
            basePath: context.basePath,
            csrfToken: context.admin.csrfToken,
            links: await listSetupLinks(store, context.org),
            error: error.message,
          })
          return consolePage(context, 'Setup links', 'setup-links', page, {
            status: error.status,
            flashes: [{ kind: 'error', text: error.message }],
          })
        }
      },
      {
        params: SlugParams,
        body: NewLinkForm,
        parse: ['urlencoded', 'formdata'],
        admin: { form: '/admin/setup-links' },
        detail: pageDoc('Console', 'Make a setup link (form post)', {
          201: 'The page with the new link, shown once',
          ...CONSOLE_FORM,
        }),
      },
    )
    .post(
      '/setup-links/:id/revoke',
      async (context) => {
        await revokeSetupLink(store, context.org, context.params.id, context.actor)
        return redirect(`${context.basePath}/admin/setup-links`)
      },
      {
        params: LinkParams,
        body: t.Object({ _csrf: Csrf }),
        parse: ['urlencoded', 'formdata'],
        admin: { form: '/admin/setup-links' },
        detail: pageDoc('Console', 'Revoke a setup link (form post)', { 303: 'Revoked', ...CONSOLE_FORM }),
      },
    )
    .get(
      '/guides',
      (context) => {
        const wanted = context.query.idp ?? 'okta'
        const idp: Idp = (IDPS as readonly string[]).includes(wanted) ? (wanted as Idp) : 'okta'
        const body = guidesPage(oktaValues(context.org, config.publicUrl), idp)
        return consolePage(context, 'Guides for every identity provider', 'guides', body)
      },
      {
        params: SlugParams,
        query: GuideQuery,
        admin: true,
        detail: pageDoc('Console', 'IdP guides: Okta, Entra ID, JumpCloud, Google Workspace, other', {
          200: 'The values to type into the IdP under its own field names, and its steps',
          ...CONSOLE_PAGE,
        }),
      },
    )
  return new Elysia().use(api).use(pages)
}
