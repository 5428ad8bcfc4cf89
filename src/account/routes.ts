/**
 * The signed-in person's pages, thin over `service.ts`:
 * - `GET  {orgURL}/account`  the account page; without a session, off to SP-initiated sign-in
 * - `GET  {orgURL}/me`       the same person as JSON, for downstream apps (401 JSON without one)
 * - `POST {orgURL}/logout`   ends the session (same-origin form or fetch only); a form post then
 *   goes on to the IdP with a signed LogoutRequest when the org has single logout (src/saml/logout.ts)
 */
import { Elysia, t } from 'elysia'
import { clientAddress } from '../http/client-address.ts'
import type { AppDeps } from '../http/context.ts'
import { ErrorBody, errorJson } from '../http/errors.ts'
import { resolveOrg } from '../http/org-routing.ts'
import { type Org, orgUrl } from '../orgs/service.ts'
import { clearCookie, orgCookieScope } from '../pages/cookies.ts'
import type { SafeHtml } from '../pages/html.ts'
import { messagePage, redirect } from '../pages/shell.ts'
import { signOut } from '../saml/logout.ts'
import { sameDigest } from '../store/ids.ts'
import { accountConnectSection } from '../web/account-connect.ts'
import { accountPage } from './page.ts'
import { profileOf, signedInAccount } from './service.ts'

const Params = t.Object({ slug: t.String({ description: 'Organization slug', examples: ['acme'] }) })

export const ProfileModel = t.Object(
  {
    id: t.String(),
    email: t.String({ examples: ['ada@acme.example'] }),
    name: t.String(),
    role: t.String({ examples: ['member'] }),
    groups: t.Array(t.String(), { description: 'Display names of the SCIM groups the person is in' }),
    source: t.Union([t.Literal('okta'), t.Literal('local')]),
  },
  { title: 'SignedInPerson' },
)

/** A logout must come from the org's own pages: same Origin, or the session's CSRF token. */
function sameOriginOrToken(
  request: Request,
  base: string,
  csrfToken: string,
  form: URLSearchParams,
): boolean {
  const origin = request.headers.get('origin')
  if (origin !== null && origin === new URL(base).origin) return true
  const sent = form.get('csrf') ?? request.headers.get('x-csrf-token')
  return sent !== null && sameDigest(sent, csrfToken)
}

/** "Connect GitHub / Bitbucket" (src/web/account-connect.ts); empty when no provider is configured. */
async function connectSections(
  deps: AppDeps,
  org: Org,
  accountId: string,
  csrfToken: string,
  url: string,
): Promise<SafeHtml[]> {
  const section = await accountConnectSection(deps, { org, accountId, csrfToken, url })
  return section ? [section] : []
}

export function accountRoutes(deps: AppDeps) {
  const { store, config } = deps
  return new Elysia({ prefix: '/orgs/:slug', normalize: false })
    .get(
      '/account',
      async ({ params, request }) => {
        const org = await resolveOrg(store, params.slug)
        const base = orgUrl(org, config.publicUrl)
        const signedIn = await signedInAccount(store, org, request.headers.get('cookie'), config.publicUrl)
        if (!signedIn) {
          if (await store.integrations.get(org.id)) {
            const next = `${new URL(base).pathname.replace(/\/$/, '')}/account`
            return redirect(`${base}/okta/login?next=${encodeURIComponent(next)}`, {}, 302)
          }
          return messagePage(
            401,
            'You are not signed in',
            'Single sign-on is not set up for this organization yet.',
          )
        }
        const profile = await profileOf(store, signedIn.account)
        return accountPage({
          orgName: org.name,
          name: profile.name,
          email: profile.email,
          role: profile.role,
          groups: profile.groups,
          source: profile.source,
          logoutUrl: `${base}/logout`,
          csrfToken: signedIn.session.csrfToken,
          sections: await connectSections(
            deps,
            org,
            signedIn.account.id,
            signedIn.session.csrfToken,
            request.url,
          ),
        })
      },
      {
        params: Params,
        detail: {
          tags: ['Account'],
          summary: 'Account page of the signed-in person (HTML); redirects to sign-in without a session',
          security: [],
          responses: {
            200: {
              description: 'The account page',
              content: { 'text/html': { schema: { type: 'string' } } },
            },
            302: { description: 'No session: to `{orgURL}/okta/login?next=…`' },
            401: { description: 'No session and no Okta integration (HTML page)' },
          },
        },
      },
    )
    .get(
      '/me',
      async ({ params, request, set }) => {
        const org = await resolveOrg(store, params.slug)
        const signedIn = await signedInAccount(store, org, request.headers.get('cookie'), config.publicUrl)
        set.headers['cache-control'] = 'no-store'
        if (!signedIn)
          return errorJson(401, 'UNAUTHENTICATED', 'no signed-in person: sign in through Okta first')
        // A Response on both branches: Elysia's handler type takes a Response or a body, not a
        // promise of either (the JSON and its headers are what Elysia would have sent).
        return Response.json(await profileOf(store, signedIn.account), {
          headers: { 'cache-control': 'no-store' },
        })
      },
      {
        params: Params,
        response: { 200: ProfileModel, 401: ErrorBody, 404: ErrorBody },
        detail: {
          tags: ['Account'],
          summary: 'The signed-in person as JSON (session cookie `okb_session`)',
          security: [{ session: [] }],
        },
      },
    )
    .post(
      '/logout',
      async ({ params, request }) => {
        const org = await resolveOrg(store, params.slug)
        const base = orgUrl(org, config.publicUrl)
        const scope = orgCookieScope(org, config.publicUrl)
        const signedIn = await signedInAccount(store, org, request.headers.get('cookie'), config.publicUrl)
        const body = (await request.text()).slice(0, 4096)
        const form = new URLSearchParams(body)
        const browser = (request.headers.get('accept') ?? '').includes('text/html')
        const cleared = clearCookie('session', scope)
        if (signedIn) {
          if (!sameOriginOrToken(request, base, signedIn.session.csrfToken, form)) {
            return messagePage(
              403,
              'Sign-out refused',
              'Please use the Sign out button on your account page.',
            )
          }
          // The session ends here first; single logout then continues at the IdP.
          const { redirectTo } = await signOut(
            { store, metrics: deps.metrics, publicUrl: config.publicUrl },
            org,
            { session: signedIn.session, client: clientAddress(request, config.trustProxy), toIdp: browser },
          )
          if (redirectTo) return redirect(redirectTo, { 'set-cookie': cleared })
        }
        if (!browser) {
          return new Response(null, { status: 204, headers: { 'set-cookie': cleared } })
        }
        return messagePage(
          200,
          'You are signed out',
          'You have been signed out of this organization.',
          {
            href: `${base}/account`,
            label: 'Sign in again',
          },
          { 'set-cookie': cleared },
        )
      },
      {
        parse: 'none',
        params: Params,
        detail: {
          tags: ['Account'],
          summary: 'Sign out (ends the session; same-origin form with its CSRF token, or same-origin fetch)',
          description:
            "The session ends at once. A form post (Accept: text/html) of an org with single logout (settings `sloUrl` and an SP key) then goes on with a 303 to the IdP's Single Logout URL carrying a signed LogoutRequest; the IdP's LogoutResponse comes back to `{orgURL}/okta/slo`.",
          security: [{ session: [] }],
          requestBody: {
            required: false,
            content: {
              'application/x-www-form-urlencoded': {
                schema: { type: 'object', properties: { csrf: { type: 'string' } } },
              },
            },
          },
          responses: {
            200: { description: 'Signed-out page' },
            204: { description: 'Signed out' },
            303: {
              description: "Signed out here; on to the IdP's Single Logout URL with a signed LogoutRequest",
            },
            403: { description: 'Not from the org’s own page and no CSRF token (HTML page)' },
            404: { description: 'No such organization (JSON or HTML page)' },
          },
        },
      },
    )
}
