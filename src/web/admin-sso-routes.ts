/**
 * `GET {orgURL}/admin/sso?next=/…/admin/…`: console sign-in with Okta. It starts the ordinary
 * SP-initiated flow (src/saml/service.ts `startSignIn`) with the request stored as purpose
 * 'console', so the ACS (`{orgURL}/okta/auth`) opens an admin session for the answer to this request
 * only, and only for an account mapped to the admin role (src/admin/sso.ts). The purpose lives in
 * the stored AuthnRequest, bound to this browser, never in anything the browser or the IdP sends.
 * Rate limited with the SAML endpoints (the same per-client budget in the store).
 */
import { Elysia, t } from 'elysia'
import { currentAdmin } from '../admin/session.ts'
import { safeNext } from '../admin/sign-in.ts'
import { consoleSsoAvailable } from '../admin/sso.ts'
import { clientAddress } from '../http/client-address.ts'
import type { AppDeps } from '../http/context.ts'
import { resolveOrg } from '../http/org-routing.ts'
import { StoreThrottle, type ThrottleStore, tokenBucket } from '../http/throttle.ts'
import { basePathOf } from '../orgs/service.ts'
import { redirect } from '../pages/shell.ts'
import { signInRedirect } from '../saml/login-redirect.ts'
import { rejectionPage } from '../saml/pages.ts'
import { SamlRejection } from '../saml/rejection.ts'
import { recordRejection } from '../saml/service.ts'
import { consolePages } from './console.ts'
import { pageDoc } from './openapi.ts'

const SlugParams = t.Object({ slug: t.String() })
const SsoQuery = t.Object(
  { next: t.Optional(t.String({ maxLength: 2000, description: 'Console path to land on' })) },
  { additionalProperties: true },
)

export function adminSsoRoutes(
  deps: AppDeps,
  // The SAML endpoints' throttle: the same name and rule, so the store counts one budget per client.
  limiter: ThrottleStore = new StoreThrottle(deps.store, 'saml.client', tokenBucket(20, 0.5)),
) {
  const { store, config } = deps
  const samlDeps = { store, metrics: deps.metrics, publicUrl: config.publicUrl }
  return new Elysia({ prefix: '/orgs/:slug/admin', normalize: false })
    .use(consolePages(deps)) // for its error pages; this route needs no session
    .get(
      '/sso',
      async ({ params, query, request }) => {
        const org = await resolveOrg(store, params.slug)
        const basePath = basePathOf(org, config.publicUrl)
        const next = safeNext(query.next, basePath)
        if (await currentAdmin(store, org, request, config.publicUrl)) return redirect(next)
        const client = clientAddress(request, config.trustProxy)
        const decision = await limiter.hit(client)
        if (!decision.allowed) {
          if (decision.firstRefusal) {
            const rejection = new SamlRejection('rate_limited', `client ${client} exceeded the sign-in rate`)
            await recordRejection(samlDeps, org, rejection, client)
          } else deps.metrics.samlLogins.inc({ outcome: 'rate_limited' })
          return rejectionPage('busy', `${basePath}/admin/login`, {
            'retry-after': String(decision.retryAfterSeconds),
          })
        }
        if (!(await consoleSsoAvailable(store, org)))
          return rejectionPage('not_configured', `${basePath}/admin/login`)
        return signInRedirect(samlDeps, org, request, { next, purpose: 'console' })
      },
      {
        params: SlugParams,
        query: SsoQuery,
        detail: pageDoc(
          'Console',
          'Sign in to the console with Okta (SP-initiated; lands in the console for an admin-mapped account)',
          {
            302: "Redirect to Okta's Single Sign-On URL with an AuthnRequest for the console",
            303: 'Already signed in: on to `next`',
            404: 'No such organization, or its integration is not set up (page)',
            429: 'Too many attempts from this client (page)',
          },
          { signedIn: false },
        ),
      },
    )
}
