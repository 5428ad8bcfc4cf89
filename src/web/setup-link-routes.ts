/**
 * The setup-link page, `{orgURL}/setup/{token}`: everything the customer's IT admin needs and
 * nothing else. The token in the path is the only credential (src/setup/links.ts); the page sets no
 * cookie, so it can reach no console page, no admin API route and no other org. What it can do: show
 * the values and steps for its IdP, set the integration up from the IdP's metadata URL or XML, or
 * from its three values (the integration service's own set-ups, audited with the link as actor), show the SCIM token once, make a new one, and answer its
 * live checks at `{link}/status.json`. An expired, revoked or unknown link is a clear page.
 */
import { Elysia, t } from 'elysia'
import { ServiceError } from '../errors.ts'
import { clientAddress } from '../http/client-address.ts'
import type { AppDeps } from '../http/context.ts'
import { ErrorBody, errorJson } from '../http/errors.ts'
import { metadataDepsOf, setUpFromMetadata } from '../integration/metadata.ts'
import { integrationStatus, oktaValues, rotateScimToken, setUpIntegration } from '../integration/service.ts'
import { basePathOf } from '../orgs/service.ts'
import { htmlResponse, messagePage } from '../pages/shell.ts'
import { GUIDES } from '../setup/guides.ts'
import {
  auditLinkUse,
  type OpenedLink,
  openSetupLink,
  SetupLinkRefused,
  setupChecks,
} from '../setup/links.ts'
import { SetupChecksModel } from '../setup/model.ts'
import { consolePages } from './console.ts'
import { page } from './layout.ts'
import { pageDoc } from './openapi.ts'
import type { FieldErrors } from './views/forms.ts'
import { setupLinkPage } from './views/setup.ts'

const LinkParams = t.Object({ slug: t.String(), token: t.String({ maxLength: 200 }) })
const SetUpForm = t.Object({
  ssoUrl: t.String({ maxLength: 2048 }),
  issuer: t.String({ maxLength: 1024 }),
  certificate: t.String({ maxLength: 20000 }),
  justInTime: t.Optional(t.Literal('1')),
})
const MetadataForm = t.Object({
  metadataUrl: t.Optional(t.String({ maxLength: 2048 })),
  metadataXml: t.Optional(t.String({ maxLength: 1024 * 1024 })),
  justInTime: t.Optional(t.Literal('1')),
})

const LINK_ANSWERS = {
  404: 'No such setup link (page)',
  410: 'The link expired or was revoked (page)',
}

function refusedPage(error: SetupLinkRefused): Response {
  const title = error.reason === 'unknown' ? 'Setup link not found' : `Setup link ${error.reason}`
  return messagePage(error.status, title, error.message)
}

export function setupLinkRoutes(deps: AppDeps) {
  const { store, config } = deps
  const metadata = metadataDepsOf(config, deps.metrics)

  /** The link's page, or its refusal page. */
  const withLink = async (
    params: { slug: string; token: string },
    work: (opened: OpenedLink) => Promise<Response>,
  ): Promise<Response> => {
    let opened: OpenedLink
    try {
      opened = await openSetupLink(store, params.slug, params.token)
    } catch (error) {
      if (error instanceof SetupLinkRefused) return refusedPage(error)
      throw error
    }
    return work(opened)
  }

  const render = async (
    opened: OpenedLink,
    token: string,
    options: {
      form?: { ssoUrl: string; issuer: string; certificate: string; justInTime: boolean }
      metadataForm?: { metadataUrl: string; metadataXml: string }
      errors?: FieldErrors
      scimToken?: string
      status?: number
      flash?: { kind: 'ok' | 'error'; text: string }
    } = {},
  ): Promise<Response> => {
    const { org, link } = opened
    const guide = GUIDES[link.idp]
    const basePath = basePathOf(org, config.publicUrl)
    const status = await integrationStatus(store, org, config.publicUrl)
    const body = setupLinkPage({
      url: `${basePath}/setup/${token}`,
      orgName: org.name,
      link,
      values: oktaValues(org, config.publicUrl),
      checks: await setupChecks(store, org),
      configured: status.configured,
      form: options.form ?? {
        ssoUrl: status.ssoUrl ?? '',
        issuer: status.issuer ?? '',
        certificate: '',
        justInTime: status.settings?.justInTimeProvisioning ?? !guide.scim,
      },
      metadataForm: options.metadataForm,
      errors: options.errors ?? {},
      scimToken: options.scimToken,
      assetBase: basePath,
    })
    const frame = {
      title: `Set up ${guide.name}`,
      org,
      basePath,
      flashes: options.flash ? [options.flash] : [],
    }
    return htmlResponse('console', page(frame, body), options.status ?? 200)
  }

  /** Runs a set-up through the link: audited, the token shown once; a refusal is the form again. */
  const saving = async (
    opened: OpenedLink,
    token: string,
    request: Request,
    echo: {
      form: { ssoUrl: string; issuer: string; certificate: string; justInTime: boolean }
      metadataForm?: { metadataUrl: string; metadataXml: string }
    },
    save: () => Promise<{ scimToken: string | null }>,
  ): Promise<Response> => {
    try {
      const { scimToken } = await save()
      await auditLinkUse(store, opened, 'integration_saved', clientAddress(request, config.trustProxy), {
        scimTokenShown: scimToken !== null,
      })
      const guide = GUIDES[opened.link.idp]
      return render(opened, token, {
        scimToken: scimToken && guide.scim ? scimToken : undefined,
        flash: { kind: 'ok', text: 'Saved.' },
      })
    } catch (error) {
      if (error instanceof ServiceError && error.status < 500) {
        return render(opened, token, {
          ...echo,
          errors: error.field ? { [error.field]: error.message } : {},
          status: error.status,
          flash: {
            kind: 'error',
            text: error.field ? 'Please correct the field marked below.' : error.message,
          },
        })
      }
      throw error
    }
  }

  return (
    new Elysia({ prefix: '/orgs/:slug/setup/:token', normalize: false })
      // For its error pages only: nothing here needs or reads an admin session.
      .use(consolePages(deps))
      .get(
        '',
        ({ params, request }) =>
          withLink(params, async (opened) => {
            await auditLinkUse(store, opened, 'opened', clientAddress(request, config.trustProxy))
            return render(opened, params.token)
          }),
        {
          params: LinkParams,
          detail: pageDoc(
            'Console',
            "A setup link's page for the IdP admin (no account)",
            { 200: 'Values, steps, the set-up form and live checks', ...LINK_ANSWERS },
            { signedIn: false },
          ),
        },
      )
      .get(
        '/status.json',
        async ({ params }) => {
          try {
            const opened = await openSetupLink(store, params.slug, params.token)
            return Response.json(await setupChecks(store, opened.org), {
              headers: { 'cache-control': 'no-store' },
            })
          } catch (error) {
            if (error instanceof SetupLinkRefused) return errorJson(error.status, error.code, error.message)
            throw error
          }
        },
        {
          params: LinkParams,
          response: { 200: SetupChecksModel, 404: ErrorBody, 410: ErrorBody },
          detail: {
            tags: ['Console'],
            summary: "A setup link's live checks (the page polls them)",
            security: [],
          },
        },
      )
      .post(
        '',
        ({ params, body, request }) =>
          withLink(params, async (opened) => {
            const form = {
              ssoUrl: body.ssoUrl,
              issuer: body.issuer,
              certificate: body.certificate,
              justInTime: body.justInTime === '1',
            }
            return saving(opened, params.token, request, { form }, () =>
              setUpIntegration(
                store,
                opened.org,
                {
                  ssoUrl: form.ssoUrl,
                  issuer: form.issuer,
                  certificate: form.certificate,
                  settings: { justInTimeProvisioning: form.justInTime },
                },
                opened.actor,
              ),
            )
          }),
        {
          params: LinkParams,
          body: SetUpForm,
          parse: ['urlencoded', 'formdata'],
          detail: pageDoc(
            'Console',
            "Save the IdP's values through a setup link (form post)",
            {
              200: 'Saved; on first set-up the page shows the SCIM token once',
              400: 'A value is invalid: the form again, naming the field',
              ...LINK_ANSWERS,
            },
            { signedIn: false },
          ),
        },
      )
      .post(
        '/metadata',
        ({ params, body, request }) =>
          withLink(params, async (opened) => {
            const metadataForm = {
              metadataUrl: body.metadataUrl?.trim() ?? '',
              metadataXml: body.metadataXml ?? '',
            }
            const justInTime = body.justInTime === '1'
            const status = await integrationStatus(store, opened.org, config.publicUrl)
            const form = {
              ssoUrl: status.ssoUrl ?? '',
              issuer: status.issuer ?? '',
              certificate: '',
              justInTime,
            }
            const source = metadataForm.metadataUrl
              ? { metadataUrl: metadataForm.metadataUrl }
              : { metadataXml: metadataForm.metadataXml }
            return saving(opened, params.token, request, { form, metadataForm }, () =>
              setUpFromMetadata(
                store,
                opened.org,
                { ...source, settings: { justInTimeProvisioning: justInTime } },
                metadata,
                opened.actor,
              ),
            )
          }),
        {
          params: LinkParams,
          body: MetadataForm,
          parse: ['urlencoded', 'formdata'],
          detail: pageDoc(
            'Console',
            "Set up from the IdP's metadata URL or XML through a setup link (form post)",
            {
              200: 'Saved; on first set-up the page shows the SCIM token once',
              400: 'The metadata is unusable: the form again, naming the field',
              ...LINK_ANSWERS,
            },
            { signedIn: false },
          ),
        },
      )
      .post(
        '/scim-token',
        ({ params, request }) =>
          withLink(params, async (opened) => {
            if (!GUIDES[opened.link.idp].scim) return render(opened, params.token, { status: 409 })
            const { scimToken } = await rotateScimToken(store, opened.org, opened.actor)
            await auditLinkUse(store, opened, 'scim_token_rotated', clientAddress(request, config.trustProxy))
            return render(opened, params.token, { scimToken })
          }),
        {
          params: LinkParams,
          detail: pageDoc(
            'Console',
            'Make a new SCIM token through a setup link (form post)',
            {
              200: 'The page with the new token, shown once',
              409: 'Not set up yet, or the IdP has no SCIM (page)',
              ...LINK_ANSWERS,
            },
            { signedIn: false },
          ),
        },
      )
  )
}
