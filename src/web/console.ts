/**
 * What every console route does first: find the org, find the signed-in admin (or send the browser
 * to sign-in with a `next` that brings it back), check the CSRF token of a form, and build the page
 * frame. Routes stay thin: context here, rules in the services, markup in `views/`.
 */
import type { AppDeps } from '../http/context.ts'
import { resolveOrg } from '../http/org-routing.ts'
import type { Org } from '../orgs/service.ts'
import { basePathOf, csrfMatches, currentAdmin, type SignedInAdmin } from './admin-session.ts'
import { html, type SafeHtml } from './html.ts'
import { type Flash, type Frame, htmlResponse, type NavKey, page, redirect } from './layout.ts'

export interface ConsoleContext {
  org: Org
  basePath: string
  admin: SignedInAdmin
}

/** The path the browser asked for, even when an own-origin request was rewritten to `/orgs/{slug}/…`. */
export function browserPath(request: Request, org: Org, basePath: string): string {
  const url = new URL(request.url)
  const internal = `/orgs/${org.slug}`
  const path = url.pathname.startsWith(`${internal}/`) ? url.pathname.slice(internal.length) : url.pathname
  return `${basePath}${path}${url.search}`
}

export function loginRedirect(basePath: string, next: string): Response {
  return redirect(`${basePath}/admin/login?next=${encodeURIComponent(next)}`)
}

/**
 * The console context, or the response to send instead: sign-in for a missing or expired session.
 * `returnTo` is where sign-in should bring the admin back (for a form POST, the page it came from).
 */
export async function consoleContext(
  deps: AppDeps,
  slug: string,
  request: Request,
  returnTo?: string,
): Promise<ConsoleContext | Response> {
  const org = await resolveOrg(deps.store, slug)
  const basePath = basePathOf(org, deps.config.publicUrl)
  const admin = await currentAdmin(deps.store, org, request, deps.config.publicUrl)
  if (!admin) return loginRedirect(basePath, returnTo ?? browserPath(request, org, basePath))
  return { org, basePath, admin }
}

/** Like `consoleContext`, and the form's `_csrf` must be this session's token. */
export async function formContext(
  deps: AppDeps,
  slug: string,
  request: Request,
  csrf: string | undefined,
  returnTo: (basePath: string) => string,
): Promise<ConsoleContext | Response> {
  const org = await resolveOrg(deps.store, slug)
  const basePath = basePathOf(org, deps.config.publicUrl)
  const context = await consoleContext(deps, slug, request, returnTo(basePath))
  if (context instanceof Response) return context
  if (!csrfMatches(context.admin.csrfToken, csrf)) {
    return htmlResponse(
      page(
        frame(context, 'This form has expired'),
        html`<p>The page was open too long or came from somewhere else, so it was not sent. <a href="${returnTo(basePath)}">Open it again</a> and retry.</p>`,
      ),
      403,
    )
  }
  return context
}

export function frame(context: ConsoleContext, title: string, active?: NavKey, flashes?: Flash[]): Frame {
  return {
    title,
    org: context.org,
    basePath: context.basePath,
    admin: { email: context.admin.email, csrfToken: context.admin.csrfToken },
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
  return htmlResponse(page(frame(context, title, active, options.flashes), body), options.status ?? 200)
}

/** `{"actor"}` for the audit log, the same form the admin API uses for a session. */
export const actorOf = (context: ConsoleContext) => `admin:${context.admin.adminId}`
