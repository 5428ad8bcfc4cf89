/**
 * The SAML endpoints of an org, thin over `service.ts`:
 * - `POST {orgURL}/okta/auth`   ACS (HTTP-POST binding); always answers with a page or a 303
 * - `GET  {orgURL}/okta/login`  SP-initiated start (HTTP-Redirect AuthnRequest), `?next=/path`
 * - `GET  {orgURL}/okta/metadata`  SP metadata
 * - `GET|POST {orgURL}/okta/slo`  Single Logout: the IdP's LogoutRequest (HTTP-Redirect or HTTP-POST)
 *   or its LogoutResponse to ours (`logout.ts`)
 * The unauthenticated endpoints (ACS, login, SLO) share one rate limit per client, checked before
 * any other work.
 */
import { Elysia, t } from 'elysia'
import { clientAddress } from '../http/client-address.ts'
import type { AppDeps } from '../http/context.ts'
import { StoreThrottle, type ThrottleStore, tokenBucket } from '../http/throttle.ts'
import { oktaValues } from '../integration/service.ts'
import { readSettings } from '../integration/settings.ts'
import { type Org, orgUrl, toOrg } from '../orgs/service.ts'
import { orgCookieScope, readCookie, setCookie } from '../pages/cookies.ts'
import { redirect } from '../pages/shell.ts'
import { AcsForm } from './form.ts'
import { signInRedirect } from './login-redirect.ts'
import { handleSlo } from './logout.ts'
import { spMetadataXml } from './metadata.ts'
import { rejectionPage, signOutPage } from './pages.ts'
import { SamlRejection } from './rejection.ts'
import { completeSignIn, recordRejection } from './service.ts'
import { SamlTrace } from './trace.ts'

const Params = t.Object({ slug: t.String({ description: 'Organization slug', examples: ['acme'] }) })
const sloDoc = (method: 'GET' | 'POST', binding: string) => ({
  tags: ['SAML'],
  summary:
    method === 'GET'
      ? 'Single Logout (HTTP-Redirect): an IdP LogoutRequest, or the LogoutResponse to ours'
      : 'Single Logout (HTTP-POST): an IdP LogoutRequest, or the LogoutResponse to ours',
  description: `${binding}. A LogoutRequest must be signed by the IdP (its certificate, current or next): it ends that NameID's sessions in this org and is answered with a signed LogoutResponse (302 to the IdP's SLO URL) when the org has an SP key and \`sloUrl\`. A LogoutResponse lands on the signed-out page. Refusals: an HTML page, the reason in the audit log (\`action: logout\`).`,
  security: [],
  responses: {
    200: {
      description: 'Signed out (HTML page)',
      content: { 'text/html': { schema: { type: 'string' as const } } },
    },
    302: { description: "Signed LogoutResponse to the IdP's Single Logout URL (HTTP-Redirect binding)" },
    400: {
      description: 'Refused: unsigned, wrongly signed, replayed or malformed (HTML page); nothing ended',
    },
    404: { description: 'No such organization, or its integration is not set up (HTML page)' },
    413: { description: 'The form is larger than the body limit (HTML page)' },
    429: { description: 'Too many attempts from this client (HTML page)' },
  },
})

const LoginQuery = t.Object({
  next: t.Optional(t.String({ maxLength: 1024, description: 'Path under the org to land on after sign-in' })),
})

/**
 * Per client, ACS and login together: 20 at once, then one every 2 s, counted in the store so every
 * instance on one database refuses the same client.
 */
export function samlRoutes(
  deps: AppDeps,
  limiter: ThrottleStore = new StoreThrottle(deps.store, 'saml.client', tokenBucket(20, 0.5)),
) {
  const { store, config } = deps
  const samlDeps = {
    store,
    metrics: deps.metrics,
    publicUrl: config.publicUrl,
    maxAssertionValidityMs: config.samlMaxAssertionValidityMinutes * 60_000,
  }
  const orgOf = async (slug: string): Promise<Org | null> => {
    const row = await store.orgs.bySlug(slug)
    return row ? toOrg(row) : null
  }

  /** Refuses over-eager clients; audits the first refusal of a burst (not every one). */
  const throttled = async (org: Org, request: Request): Promise<Response | null> => {
    const client = clientAddress(request, config.trustProxy)
    const decision = await limiter.hit(client)
    if (decision.allowed) return null
    let reference: string | null = null
    if (decision.firstRefusal) {
      // One attempt row per burst, like the audit row: the refusals after it cost no write.
      const detail = `client ${client} exceeded the sign-in rate`
      const trace = new SamlTrace()
      trace.fail('rate_limit', detail)
      reference = await recordRejection(samlDeps, org, new SamlRejection('rate_limited', detail), client, {
        trace,
        action: new URL(request.url).pathname.endsWith('/slo') ? 'logout' : 'sign_in',
      })
    } else deps.metrics.samlLogins.inc({ outcome: 'rate_limited' })
    return rejectionPage(
      'busy',
      `${orgUrl(org, config.publicUrl)}/okta/login`,
      { 'retry-after': String(decision.retryAfterSeconds) },
      reference,
    )
  }

  /** Single Logout, either binding: a redirect to the IdP with our LogoutResponse, or a page. */
  const slo = async (slug: string, request: Request, method: 'GET' | 'POST'): Promise<Response> => {
    const org = await orgOf(slug)
    if (!org) return rejectionPage('not_configured', '/')
    const refused = await throttled(org, request)
    if (refused) return refused
    const url = request.url
    const queryAt = url.indexOf('?')
    const outcome = await handleSlo(samlDeps, org, {
      method,
      rawQuery: queryAt < 0 ? '' : url.slice(queryAt + 1),
      contentType: request.headers.get('content-type'),
      body: method === 'POST' ? await request.text() : '',
      client: clientAddress(request, config.trustProxy),
    })
    return signOutPage(outcome, orgUrl(org, config.publicUrl), orgCookieScope(org, config.publicUrl))
  }

  return new Elysia({ prefix: '/orgs/:slug/okta', normalize: false })
    .post(
      '/auth',
      async ({ params, request }) => {
        const org = await orgOf(params.slug)
        if (!org) return rejectionPage('not_configured', '/')
        const base = orgUrl(org, config.publicUrl)
        const scope = orgCookieScope(org, config.publicUrl)
        const loginUrl = `${base}/okta/login`
        const refused = await throttled(org, request)
        if (refused) return refused
        const outcome = await completeSignIn(samlDeps, org, {
          contentType: request.headers.get('content-type'),
          body: await request.text(),
          bindingToken: readCookie(request.headers.get('cookie'), 'samlRequest', scope),
          client: clientAddress(request, config.trustProxy),
        })
        if (!outcome.ok) return rejectionPage(outcome.audience, loginUrl, {}, outcome.reference)
        // A console sign-in (the answer to `{orgURL}/admin/sso`) gets the console's cookie.
        const cookie = outcome.kind === 'admin' ? 'admin' : 'session'
        return redirect(outcome.redirectTo, {
          'set-cookie': setCookie(cookie, scope, outcome.session.token, outcome.session.maxAgeSeconds),
        })
      },
      {
        parse: 'none',
        params: Params,
        detail: {
          tags: ['SAML'],
          summary: 'Assertion Consumer Service (Okta posts the SAML Response here)',
          description:
            'HTTP-POST binding. On success: 303 to RelayState (a path under the org) or `{orgURL}/account`, with the session cookie. Every rejection: an HTML page for the person with a short reference; the reason is in the audit log and the trace in `GET /api/v1/orgs/{slug}/saml/attempts/{reference}`.',
          security: [],
          requestBody: {
            required: true,
            content: { 'application/x-www-form-urlencoded': { schema: AcsForm } },
          },
          responses: {
            303: { description: 'Signed in; redirect to the account page or RelayState' },
            400: {
              description: 'Rejected (HTML page)',
              content: { 'text/html': { schema: { type: 'string' } } },
            },
            403: { description: 'Refused, e.g. account not provisioned (HTML page)' },
            404: { description: 'No such organization, or its integration is not set up (HTML page)' },
            413: { description: 'The form is larger than the body limit (HTML page)' },
            429: { description: 'Too many attempts from this client (HTML page)' },
          },
        },
      },
    )
    .get(
      '/login',
      async ({ params, query, request }) => {
        const org = await orgOf(params.slug)
        if (!org) return rejectionPage('not_configured', '/')
        const base = orgUrl(org, config.publicUrl)
        const refused = await throttled(org, request)
        if (refused) return refused
        if (!(await store.integrations.get(org.id)))
          return rejectionPage('not_configured', `${base}/okta/login`)
        return signInRedirect(samlDeps, org, request, { next: query.next ?? null })
      },
      {
        params: Params,
        query: LoginQuery,
        detail: {
          tags: ['SAML'],
          summary: 'Start an SP-initiated sign-in (redirects to Okta with an AuthnRequest)',
          security: [],
          responses: {
            302: { description: "Redirect to Okta's Single Sign-On URL with SAMLRequest" },
            400: { description: 'Query parameter `next` is malformed (HTML page)' },
            404: { description: 'No such organization, or its integration is not set up (HTML page)' },
            429: { description: 'Too many attempts from this client (HTML page)' },
          },
        },
      },
    )
    .get(
      '/metadata',
      async ({ params }) => {
        const org = await orgOf(params.slug)
        if (!org) return rejectionPage('not_configured', '/')
        const integration = await store.integrations.get(org.id)
        const xml = spMetadataXml(oktaValues(org, config.publicUrl), {
          spCertificate: integration?.sp_certificate ?? null,
          authnRequestsSigned: integration ? readSettings(integration.settings).signAuthnRequests : false,
        })
        return new Response(xml, {
          headers: {
            'content-type': 'application/samlmetadata+xml; charset=utf-8',
            'cache-control': 'no-store',
          },
        })
      },
      {
        params: Params,
        detail: {
          tags: ['SAML'],
          summary: 'SP metadata (entity ID, ACS, Single Logout, NameID format, SP certificate)',
          security: [],
          responses: {
            200: {
              description: 'SAML 2.0 metadata',
              content: { 'application/samlmetadata+xml': { schema: { type: 'string' } } },
            },
            404: { description: 'No such organization (HTML page)' },
          },
        },
      },
    )
    .get('/slo', ({ params, request }) => slo(params.slug, request, 'GET'), {
      params: Params,
      detail: sloDoc(
        'GET',
        'HTTP-Redirect binding: `SAMLRequest` or `SAMLResponse`, `RelayState`, `SigAlg`, `Signature` in the query',
      ),
    })
    .post('/slo', ({ params, request }) => slo(params.slug, request, 'POST'), {
      parse: 'none',
      params: Params,
      detail: {
        ...sloDoc(
          'POST',
          'HTTP-POST binding: the form carries `SAMLRequest` or `SAMLResponse` (base64) and `RelayState`',
        ),
        requestBody: {
          required: true,
          content: { 'application/x-www-form-urlencoded': { schema: { type: 'object' as const } } },
        },
      },
    })
}
