/**
 * Admin sign-in and sign-out pages: `{orgURL}/admin/login` and `{orgURL}/admin/logout`.
 *
 * The sign-in form has no session yet, so its CSRF token is a double-submit pair: a random value in
 * a short-lived HttpOnly cookie and the same value in the form. Attempts are throttled per client
 * address, per (email, client) and per email (`rate-limit.ts`); over a limit the form answers 429
 * with Retry-After before any password is checked, and only the first refusal of a burst is audited.
 */
import { Elysia, t } from 'elysia'
import { currentAdmin, endAdminSession } from '../admin/session.ts'
import {
  checkAdminPassword,
  passwordSignIn,
  recordSignInFailure,
  recordSignOut,
  safeNext,
  ssoRequiredForAdmins,
  startAdminSession,
} from '../admin/sign-in.ts'
import { consoleSsoAvailable } from '../admin/sso.ts'
import { clientAddress } from '../http/client-address.ts'
import type { AppDeps } from '../http/context.ts'
import { resolveOrg } from '../http/org-routing.ts'
import { basePathOf } from '../orgs/service.ts'
import { type CookieScope, orgCookieScope, readCookie, setCookie } from '../pages/cookies.ts'
import { htmlResponse, redirect } from '../pages/shell.ts'
import { csrfMatches } from '../sessions/service.ts'
import { newSecret } from '../store/ids.ts'
import { consolePages } from './console.ts'
import { page } from './layout.ts'
import { pageDoc } from './openapi.ts'
import type { LoginThrottle } from './rate-limit.ts'
import { loginForm } from './views/login.ts'

const SlugParams = t.Object({ slug: t.String() })
const LoginQuery = t.Object(
  { next: t.Optional(t.String({ maxLength: 2000 })) },
  { additionalProperties: true },
)
const LoginForm = t.Object({
  _csrf: t.String({ maxLength: 200 }),
  next: t.Optional(t.String({ maxLength: 2000 })),
  email: t.String({ maxLength: 320 }),
  password: t.String({ maxLength: 1024 }),
})
const LogoutForm = t.Object({ _csrf: t.String({ maxLength: 200 }) })

const loginCsrfCookie = (value: string, scope: CookieScope, maxAge = 3600) =>
  setCookie('loginCsrf', scope, value, maxAge)

export function authRoutes(deps: AppDeps & { throttle: LoginThrottle }) {
  const { store, config, throttle } = deps

  const renderLogin = async (
    slug: string,
    next: string | undefined,
    status: number,
    extra: { email?: string; error?: string; headers?: Record<string, string> } = {},
  ): Promise<Response> => {
    const org = await resolveOrg(store, slug)
    const basePath = basePathOf(org, config.publicUrl)
    const csrf = newSecret('')
    const [sso, ssoRequired] = await Promise.all([
      consoleSsoAvailable(store, org),
      ssoRequiredForAdmins(store, org),
    ])
    const body = loginForm({
      basePath,
      csrfToken: csrf,
      next: safeNext(next, basePath),
      email: extra.email,
      error: extra.error,
      sso: sso ? { required: ssoRequired } : undefined,
    })
    return htmlResponse('console', page({ title: 'Sign in', org, basePath }, body), status, {
      'set-cookie': loginCsrfCookie(csrf, orgCookieScope(org, config.publicUrl)),
      ...extra.headers,
    })
  }

  return (
    new Elysia({ prefix: '/orgs/:slug/admin', normalize: false })
      // For its error pages; these routes need no session, so they use no macro.
      .use(consolePages(deps))
      .get(
        '/login',
        async ({ params, query, request }) => {
          const org = await resolveOrg(store, params.slug)
          const basePath = basePathOf(org, config.publicUrl)
          // Already signed in: straight on.
          if (await currentAdmin(store, org, request, config.publicUrl))
            return redirect(safeNext(query.next, basePath))
          return renderLogin(params.slug, query.next, 200)
        },
        {
          params: SlugParams,
          query: LoginQuery,
          detail: pageDoc(
            'Console',
            'Admin sign-in page',
            {
              200: 'The sign-in form',
              303: 'Already signed in: on to `next`',
              404: 'No such organization (page)',
            },
            { signedIn: false },
          ),
        },
      )
      .post(
        '/login',
        async ({ params, body, request }) => {
          const org = await resolveOrg(store, params.slug)
          const basePath = basePathOf(org, config.publicUrl)
          const cookieCsrf = readCookie(
            request.headers.get('cookie'),
            'loginCsrf',
            orgCookieScope(org, config.publicUrl),
          )
          if (!cookieCsrf || !csrfMatches(cookieCsrf, body._csrf)) {
            return renderLogin(params.slug, body.next, 403, {
              email: body.email,
              error: 'The sign-in form expired. Please enter your email and password again.',
            })
          }
          const email = body.email.trim().toLowerCase()
          const client = clientAddress(request, config.trustProxy)
          const attempt = { orgId: org.id, email, client }
          const refused = await throttle.admit(attempt)
          if (refused) {
            if (refused.firstRefusal)
              await recordSignInFailure(store, org, { email, client, reason: refused.reason })
            const wait = refused.retryAfterSeconds
            const later = wait < 60 ? `${wait} s` : `${Math.ceil(wait / 60)} min`
            return renderLogin(params.slug, body.next, 429, {
              email: body.email,
              error: `Too many sign-in attempts. Try again in ${later}.`,
              headers: { 'retry-after': String(wait) },
            })
          }
          const found = await checkAdminPassword(store, org, email, body.password)
          const ssoRequired = await ssoRequiredForAdmins(store, org)
          const decision = passwordSignIn(found, ssoRequired)
          if (!decision.allowed) {
            await throttle.failed(attempt)
            await recordSignInFailure(store, org, { email, client, reason: decision.reason })
            // Under requireSsoForAdmins one message for every refusal: it tells no one which passwords are right.
            return renderLogin(params.slug, body.next, ssoRequired ? 403 : 401, {
              email: body.email,
              error: ssoRequired
                ? 'This organization requires admins to sign in with Okta: use “Sign in with Okta” below. A password works here only for break-glass admins.'
                : 'That email and password do not match an admin of this organization.',
            })
          }
          await throttle.succeeded(attempt)
          const { cookie } = await startAdminSession(store, org, decision.admin.adminId, config.publicUrl, {
            breakGlassUse: decision.breakGlassUse,
            client,
          })
          const scope = orgCookieScope(org, config.publicUrl)
          return redirect(safeNext(body.next, basePath), {
            'set-cookie': [cookie, loginCsrfCookie('', scope, 0)],
          })
        },
        {
          params: SlugParams,
          body: LoginForm,
          parse: ['urlencoded', 'formdata'],
          detail: pageDoc(
            'Console',
            'Sign in as an admin (form post)',
            {
              303: 'Signed in: admin session cookie set, redirect to `next` or the integration page',
              400: 'The form is malformed (page)',
              401: 'Wrong email or password (the form again)',
              403: 'The form expired, or the org requires Okta sign-in for admins who are not break-glass (the form again)',
              404: 'No such organization (page)',
              429: 'Too many attempts from this client or for this email (the form again, Retry-After)',
            },
            { signedIn: false },
          ),
        },
      )
      .post(
        '/logout',
        async ({ params, body, request }) => {
          const org = await resolveOrg(store, params.slug)
          const basePath = basePathOf(org, config.publicUrl)
          const admin = await currentAdmin(store, org, request, config.publicUrl)
          // A sign-out form from another site must not end the session; without a session there is
          // nothing to protect and the browser simply lands on sign-in.
          if (admin && !csrfMatches(admin.csrfToken, body._csrf))
            return redirect(`${basePath}/admin/integration`)
          const cleared = await endAdminSession(store, org, request, config.publicUrl)
          if (admin) await recordSignOut(store, org, admin.adminId)
          return redirect(`${basePath}/admin/login`, { 'set-cookie': cleared })
        },
        {
          params: SlugParams,
          body: LogoutForm,
          parse: ['urlencoded', 'formdata'],
          detail: pageDoc('Console', 'Sign out', {
            303: 'Session ended: redirect to the sign-in page',
            400: 'The form is malformed (page)',
            404: 'No such organization (page)',
          }),
        },
      )
      .get(
        '',
        async ({ params }) =>
          redirect(`${basePathOf(await resolveOrg(store, params.slug), config.publicUrl)}/admin/integration`),
        {
          params: SlugParams,
          detail: pageDoc('Console', 'The console: redirects to Settings → Okta Integration', {
            303: 'Redirect to the integration page',
            404: 'No such organization (page)',
          }),
        },
      )
  )
}
