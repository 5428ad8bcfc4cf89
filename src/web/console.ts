/**
 * The console plugin every console page module starts with:
 *
 *   new Elysia({ prefix: '/orgs/:slug/admin/…', normalize: false }).use(consolePages(deps))
 *     .get('', (context) => consolePage(context, …), { admin: true })
 *
 * A route says what it needs with the `admin` macro, and its handler receives the `ConsoleContext`
 * (`org`, `basePath`, `admin`, `actor`) as part of Elysia's context:
 * - `admin: true`, a page: the signed-in admin, or the browser goes to sign-in with a `next` that
 *   brings it back here;
 * - `admin: { form: '/admin/groups' }`, a form post from that page (path under the org's base path):
 *   sign-in brings the browser back to the page, and the form's `_csrf` must be the session's token,
 *   otherwise the answer is the "This form has expired" page (403);
 * - `integration: true` in either object: only once the Okta integration is set up, otherwise back
 *   to the integration page.
 * One macro rather than one per need, because Elysia runs macros in the order a route lists them and
 * these checks have one right order: session, then CSRF token, then integration. Errors of these
 * routes answer as pages (`pageErrors`). The rules themselves live in src/admin/ (session, CSRF) and
 * the services; this file only turns their answers into redirects and pages.
 */
import { Elysia, status, t } from 'elysia'
import { currentAdmin, type SignedInAdmin } from '../admin/session.ts'
import type { AppDeps } from '../http/context.ts'
import { answerWith, pageErrors } from '../http/error-surfaces.ts'
import { resolveOrg } from '../http/org-routing.ts'
import { integrationStatus } from '../integration/service.ts'
import { basePathOf, type Org } from '../orgs/service.ts'
import { html, type SafeHtml } from '../pages/html.ts'
import { htmlResponse, redirect } from '../pages/shell.ts'
import { csrfMatches } from '../sessions/service.ts'
import { type Flash, type Frame, type NavKey, page } from './layout.ts'

// A type, not an interface: Elysia takes only resolved values that fit `Record<string, unknown>`.
export type ConsoleContext = {
  org: Org
  /** Path of the org URL as the browser sees it: `/orgs/acme`, or '' for an org on its own origin. */
  basePath: string
  admin: SignedInAdmin
  /** `admin:<id>`, for the audit log: the same form the admin API uses for a session. */
  actor: string
}

/** What a console route needs besides a signed-in admin (see the module comment). */
export interface ConsoleRoute {
  form?: string
  integration?: true
}

/** The path the browser asked for, even when an own-origin request was rewritten to `/orgs/{slug}/…`. */
export function browserPath(request: Request, org: Org, basePath: string): string {
  const url = new URL(request.url)
  const internal = `/orgs/${org.slug}`
  const path = url.pathname.startsWith(`${internal}/`) ? url.pathname.slice(internal.length) : url.pathname
  return `${basePath}${path}${url.search}`
}

function loginRedirect(basePath: string, next: string): Response {
  return redirect(`${basePath}/admin/login?next=${encodeURIComponent(next)}`)
}

function formExpired(context: ConsoleContext, formPage: string): Response {
  return htmlResponse(
    'console',
    page(
      frame(context, 'This form has expired'),
      html`<p>The page was open too long or came from somewhere else, so it was not sent. <a href="${formPage}">Open it again</a> and retry.</p>`,
    ),
    403,
  )
}

const csrfOf = (body: unknown): string | undefined => {
  const value = (body as { _csrf?: unknown } | null | undefined)?._csrf
  return typeof value === 'string' ? value : undefined
}

export function consolePages(deps: AppDeps) {
  const { store, config, log } = deps
  return new Elysia().onError({ as: 'scoped' }, answerWith(pageErrors(log))).macro({
    admin: (route: true | ConsoleRoute) => ({
      async resolve({ params, request, body }) {
        const needs: ConsoleRoute = route === true ? {} : route
        const org = await resolveOrg(store, (params as { slug: string }).slug)
        const basePath = basePathOf(org, config.publicUrl)
        const admin = await currentAdmin(store, org, request, config.publicUrl)
        const formPage = needs.form === undefined ? undefined : `${basePath}${needs.form}`
        if (!admin)
          return status(303, loginRedirect(basePath, formPage ?? browserPath(request, org, basePath)))
        const context: ConsoleContext = { org, basePath, admin, actor: `admin:${admin.adminId}` }
        if (formPage !== undefined && !csrfMatches(admin.csrfToken, csrfOf(body))) {
          return status(403, formExpired(context, formPage))
        }
        if (needs.integration && !(await integrationStatus(store, org, config.publicUrl)).configured) {
          return status(303, redirect(`${basePath}/admin/integration`))
        }
        return context
      },
    }),
  })
}

export function frame(context: ConsoleContext, title: string, active?: NavKey, flashes?: Flash[]): Frame {
  return {
    title,
    org: context.org,
    basePath: context.basePath,
    admin: { email: context.admin.email, csrfToken: context.admin.csrfToken, via: context.admin.via },
    active,
    flashes,
  }
}

export function consolePage(
  context: ConsoleContext,
  title: string,
  active: NavKey | undefined,
  body: SafeHtml,
  options: { status?: number; flashes?: Flash[] } = {},
): Response {
  return htmlResponse(
    'console',
    page(frame(context, title, active, options.flashes), body),
    options.status ?? 200,
  )
}

/**
 * The "done" notices of a page after its forms' 303 (`?revoked=1`): the query model that accepts
 * them, and the flash for the one a request carries. One table of `param → message` says both.
 */
export function doneNotices(messages: Record<string, string>) {
  const query = t.Object(
    Object.fromEntries(Object.keys(messages).map((key) => [key, t.Optional(t.String())])),
    { additionalProperties: true },
  )
  const flashes = (values: Record<string, unknown>): Flash[] => {
    const done = Object.keys(messages).find((key) => values[key])
    return done ? [{ kind: 'ok', text: messages[done] as string }] : []
  }
  return { query, flashes }
}
