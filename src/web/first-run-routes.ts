/**
 * `GET /` and `POST /`: the instance's front door. With no organization yet it is the first-run
 * page (src/setup/first-run.ts decides; the set-up code is in the server log): on success the new
 * admin is signed in and lands on `{orgURL}/admin/integration`. Afterwards `GET /` leads to an
 * org's admin sign-in: straight there on a single-org instance, otherwise by "your organization's
 * address" (a slug or a URL), never by listing orgs. The form's CSRF token is a double-submit pair
 * (a Strict, HttpOnly cookie scoped to the public URL, and the same value in `_csrf`).
 */
import { Elysia, t } from 'elysia'
import { startAdminSession } from '../admin/sign-in.ts'
import { ServiceError } from '../errors.ts'
import { clientAddress } from '../http/client-address.ts'
import type { AppDeps } from '../http/context.ts'
import { orgUrl } from '../orgs/service.ts'
import { instanceCookieScope, readCookie, setCookie } from '../pages/cookies.ts'
import { redirect, standalonePage } from '../pages/shell.ts'
import { csrfMatches } from '../sessions/service.ts'
import { isFirstRun } from '../setup/code.ts'
import { completeFirstRun, FirstRunThrottled, firstRunThrottle } from '../setup/first-run.ts'
import { newSecret } from '../store/ids.ts'
import { consolePages } from './console.ts'
import { pageDoc } from './openapi.ts'
import { type FirstRunValues, findOrgForm, firstRunForm } from './views/first-run.ts'
import type { FieldErrors } from './views/forms.ts'

const RootQuery = t.Object({ org: t.Optional(t.String({ maxLength: 2000 })) }, { additionalProperties: true })
const FirstRunForm = t.Object({
  _csrf: t.String({ maxLength: 200 }),
  setupCode: t.String({ maxLength: 100 }),
  slug: t.String({ maxLength: 100 }),
  orgName: t.Optional(t.String({ maxLength: 300 })),
  url: t.Optional(t.String({ maxLength: 2000 })),
  email: t.String({ maxLength: 320 }),
  password: t.String({ maxLength: 1024 }),
})

/** The slug an "organization address" names: `acme`, `…/orgs/acme/…`, or null for an origin. */
function slugFrom(address: string): string | null {
  const value = address.trim()
  if (/^[a-z0-9-]{1,63}$/.test(value)) return value
  const match = /\/orgs\/([a-z0-9-]{1,63})(?:[/?#]|$)/.exec(value)
  return match?.[1] ?? null
}

function originFrom(address: string): string | null {
  try {
    const url = new URL(address.trim())
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : null
  } catch {
    return null
  }
}

export function firstRunRoutes(deps: AppDeps) {
  const { store, config } = deps
  const throttle = firstRunThrottle(store)
  const scope = instanceCookieScope(config.publicUrl)

  const renderFirstRun = (
    status: number,
    values: FirstRunValues = { slug: '', orgName: '', url: '', email: '' },
    errors: FieldErrors = {},
    error?: string,
    headers: Record<string, string> = {},
  ) => {
    const csrf = newSecret('')
    return standalonePage(
      status,
      'Set up okta-bridge',
      firstRunForm({ csrfToken: csrf, values, errors, error }),
      {
        'set-cookie': setCookie('firstRunCsrf', scope, csrf, 3600),
        ...headers,
      },
    )
  }

  const signInPage = (status: number, value?: string, error?: string) =>
    standalonePage(status, 'Sign in', findOrgForm({ value, error }))

  return new Elysia({ normalize: false })
    .use(consolePages(deps))
    .get(
      '/',
      async ({ query }) => {
        if (await isFirstRun(store)) return renderFirstRun(200)
        const address = query.org
        if (address === undefined || address.trim() === '') {
          if ((await store.setup.orgCountUpTo2()) === 1) {
            const [only] = await store.orgs.all()
            if (only) return redirect(`${orgUrl(only, config.publicUrl)}/admin/login`)
          }
          return signInPage(200)
        }
        const slug = slugFrom(address)
        const origin = slug === null ? originFrom(address) : null
        const row =
          slug !== null ? await store.orgs.bySlug(slug) : origin ? await store.orgs.byUrl(origin) : null
        if (!row) return signInPage(404, address, 'No organization has that address here.')
        return redirect(`${orgUrl(row, config.publicUrl)}/admin/login`)
      },
      {
        query: RootQuery,
        detail: pageDoc(
          'Console',
          'The front door: first-run set-up, or the way to your organization',
          {
            200: 'No organization yet: the first-run form. Otherwise: "your organization\'s address"',
            303: "On to the organization's admin sign-in",
            404: 'No organization has that address (the form again)',
          },
          { signedIn: false },
        ),
      },
    )
    .post(
      '/',
      async ({ body, request }) => {
        const values: FirstRunValues = {
          slug: body.slug,
          orgName: body.orgName ?? '',
          url: body.url ?? '',
          email: body.email,
        }
        if (!(await isFirstRun(store))) {
          return signInPage(409, undefined, 'This instance is already set up: sign in to your organization.')
        }
        const cookie = readCookie(request.headers.get('cookie'), 'firstRunCsrf', scope)
        if (!cookie || !csrfMatches(cookie, body._csrf)) {
          return renderFirstRun(403, values, {}, 'The form expired. Please enter the set-up code again.')
        }
        try {
          const { org, adminId } = await completeFirstRun(
            store,
            throttle,
            {
              setupCode: body.setupCode,
              slug: body.slug,
              orgName: body.orgName,
              url: body.url,
              email: body.email,
              password: body.password,
            },
            clientAddress(request, config.trustProxy),
          )
          const base = orgUrl(org, config.publicUrl)
          const cleared = setCookie('firstRunCsrf', scope, '', 0)
          // An org on its own origin: this origin cannot set its cookie, so its sign-in comes next.
          if (org.url) return redirect(`${base}/admin/login`, { 'set-cookie': cleared })
          const { cookie: session } = await startAdminSession(store, org, adminId, config.publicUrl)
          return redirect(`${base}/admin/integration`, { 'set-cookie': [session, cleared] })
        } catch (error) {
          if (error instanceof FirstRunThrottled) {
            return renderFirstRun(429, values, {}, error.message, {
              'retry-after': String(error.retryAfterSeconds),
            })
          }
          if (error instanceof ServiceError && error.status < 500) {
            if (error.code === 'ALREADY_SET_UP') return signInPage(409, undefined, error.message)
            const errors = error.field ? { [error.field]: error.message } : {}
            return renderFirstRun(error.status, values, errors, error.message)
          }
          throw error
        }
      },
      {
        body: FirstRunForm,
        parse: ['urlencoded', 'formdata'],
        detail: pageDoc(
          'Console',
          'Create the first organization and its admin with the set-up code (form post)',
          {
            303: 'Created: signed in, on to `{orgURL}/admin/integration`',
            400: 'A value is invalid (the form again, naming the field)',
            403: 'Wrong or expired set-up code, or the form expired (the form again; nothing created)',
            409: 'The instance is already set up',
            429: 'Too many attempts (the form again, Retry-After)',
          },
          { signedIn: false },
        ),
      },
    )
}
