/**
 * "Connect GitHub / Connect Bitbucket" for people signed in through SSO: the section the account
 * page shows (`accountConnectSection`), and the routes under `{orgURL}/account/connect/{provider}`
 * that start the OAuth flow, take the provider's callback, and disconnect. Providers without a
 * configured client id and secret are simply not offered.
 */
import { Elysia, t } from 'elysia'
import type { Config } from '../config/index.ts'
import { ServiceError } from '../errors.ts'
import type { AppDeps } from '../http/context.ts'
import { resolveOrg } from '../http/org-routing.ts'
import { OAuthError } from '../oauth/client.ts'
import { configuredProviders, isProviderId, type OAuthProvider, type ProviderId } from '../oauth/providers.ts'
import {
  connectedIdentities,
  disconnect,
  finishConnect,
  recordConnectFailure,
  startConnect,
} from '../oauth/service.ts'
import { basePathOf, type Org, orgUrl } from '../orgs/service.ts'
import { orgCookieScope, readCookie } from '../pages/cookies.ts'
import { html, type SafeHtml } from '../pages/html.ts'
import { htmlResponse, redirect } from '../pages/shell.ts'
import { csrfMatches, verifySession } from '../sessions/service.ts'
import type { Store } from '../store/index.ts'
import { page } from './layout.ts'
import { pageDoc } from './openapi.ts'
import { csrfField } from './views/forms.ts'

// Parsed once per config (the composition root makes one config), not per request.
const providerCache = new WeakMap<Config, Map<ProviderId, OAuthProvider>>()
function providersOf(config: Config): Map<ProviderId, OAuthProvider> {
  let providers = providerCache.get(config)
  if (!providers) {
    providers = configuredProviders(config)
    providerCache.set(config, providers)
  }
  return providers
}

interface SignedInPerson {
  org: Org
  basePath: string
  accountId: string
  sessionHash: string
  csrfToken: string
}

async function signedInPerson(
  store: Store,
  config: Config,
  slug: string,
  request: Request,
): Promise<SignedInPerson | null> {
  const org = await resolveOrg(store, slug)
  const scope = orgCookieScope(org, config.publicUrl)
  const token = readCookie(request.headers.get('cookie'), 'session', scope)
  const session = await verifySession(store, token, org.id, 'user')
  if (!session) return null
  return {
    org,
    basePath: basePathOf(org, config.publicUrl),
    accountId: session.subjectId,
    sessionHash: session.tokenHash,
    csrfToken: session.csrfToken,
  }
}

const callbackUri = (org: Org, config: Config, provider: ProviderId) =>
  `${orgUrl(org, config.publicUrl)}/account/connect/${provider}/callback`

const FLASH: Record<string, (label: string) => string> = {
  connected: (label) => `${label} is connected.`,
  disconnected: (label) => `${label} is disconnected.`,
}

/**
 * The account page's "Connected accounts" section. `url` is the account page's request URL: after
 * connecting or disconnecting, the browser comes back with `?connected=github` and the section says so.
 * Null when no provider is configured and nothing is connected.
 */
export async function accountConnectSection(
  deps: Pick<AppDeps, 'store' | 'config'>,
  input: { org: Org; accountId: string; csrfToken: string; url?: string },
): Promise<SafeHtml | null> {
  const providers = providersOf(deps.config)
  const linked = await connectedIdentities(deps.store, input.org, input.accountId)
  if (providers.size === 0 && linked.length === 0) return null
  const basePath = basePathOf(input.org, deps.config.publicUrl)
  const labelOf = (id: string) => providers.get(id as ProviderId)?.label ?? id
  const params = input.url ? new URL(input.url).searchParams : new URLSearchParams()
  const flashes = Object.entries(FLASH).flatMap(([key, text]) => {
    const provider = params.get(key)
    return provider && isProviderId(provider) ? [text(labelOf(provider))] : []
  })
  const offered = [...providers.values()].filter((p) => !linked.some((l) => l.provider === p.id))
  // The account page wraps each block in its own <section>.
  return html`<div id="connected-accounts">
<h2 id="connect-title">Connected accounts</h2>
${flashes.map((text) => html`<p class="flash flash-ok" role="status"><strong>${text}</strong></p>`)}
${
  linked.length === 0
    ? html`<p>Optional: connect your GitHub or Bitbucket account, so the work you did there under your own email is recognised as yours.</p>`
    : html`<ul class="identities">${linked.map(
        (
          identity,
        ) => html`<li><strong>${labelOf(identity.provider)}</strong>: ${identity.login} (${identity.email})
<form method="post" action="${basePath}/account/connect/${identity.provider}/disconnect" class="inline">
${csrfField(input.csrfToken)}<button type="submit" class="link">Disconnect ${labelOf(identity.provider)}</button></form></li>`,
      )}</ul>`
}
${
  offered.length > 0
    ? html`<p class="connect-buttons">${offered.map(
        (provider) =>
          html`<a class="button" href="${basePath}/account/connect/${provider.id}">Connect ${provider.label}</a> `,
      )}</p>`
    : html``
}
</div>`
}

const Params = t.Object({ slug: t.String(), provider: t.String() })
const CallbackQuery = t.Object({
  code: t.Optional(t.String({ maxLength: 2000 })),
  state: t.Optional(t.String({ maxLength: 200 })),
  error: t.Optional(t.String({ maxLength: 200 })),
  error_description: t.Optional(t.String({ maxLength: 2000 })),
  error_uri: t.Optional(t.String({ maxLength: 2000 })),
})

function problemPage(org: Org, basePath: string, title: string, message: string, status: number): Response {
  return htmlResponse(
    'console',
    page(
      { title, org, basePath },
      html`<p>${message}</p><p><a href="${basePath}/account">Back to your account</a></p>`,
    ),
    status,
  )
}

export function accountConnectRoutes(deps: AppDeps) {
  const { store, config, log } = deps
  const providers = providersOf(config)

  const context = async (
    slug: string,
    providerName: string,
    request: Request,
  ): Promise<Response | { person: SignedInPerson; provider: { id: ProviderId; label: string } }> => {
    const org = await resolveOrg(store, slug)
    const basePath = basePathOf(org, config.publicUrl)
    const provider = isProviderId(providerName) ? providers.get(providerName) : undefined
    if (!provider) {
      // Disconnecting stays possible after a provider's configuration was taken away.
      if (request.method === 'POST' && isProviderId(providerName)) {
        const person = await signedInPerson(store, config, slug, request)
        if (person) return { person, provider: { id: providerName, label: providerName } }
      }
      return problemPage(
        org,
        basePath,
        'Not available',
        'Connecting this kind of account is not set up here.',
        404,
      )
    }
    const person = await signedInPerson(store, config, slug, request)
    if (!person) {
      return problemPage(
        org,
        basePath,
        'Please sign in first',
        'Your session has ended. Sign in through Okta again, then connect your account from your account page.',
        401,
      )
    }
    return { person, provider }
  }

  return new Elysia({ prefix: '/orgs/:slug/account/connect', normalize: false })
    .get(
      '/:provider',
      async ({ params, request }) => {
        const found = await context(params.slug, params.provider, request)
        if (found instanceof Response) return found
        const { person } = found
        const provider = providers.get(found.provider.id) as OAuthProvider
        return redirect(
          await startConnect(store, person, provider, callbackUri(person.org, config, provider.id)),
        )
      },
      {
        params: Params,
        detail: pageDoc('Account', 'Connect GitHub or Bitbucket: start the OAuth flow', {
          302: "Redirect to the provider's authorization page",
          303: 'Not signed in: redirect to sign-in',
          404: 'No such organization or provider (page)',
        }),
      },
    )
    .get(
      '/:provider/callback',
      async ({ params, query, request }) => {
        const found = await context(params.slug, params.provider, request)
        if (found instanceof Response) return found
        const { person } = found
        const provider = providers.get(found.provider.id) as OAuthProvider
        const fail = async (message: string, reason: string, status = 400): Promise<Response> => {
          log.warn('oauth connect failed', { org: person.org.slug, provider: provider.id, reason })
          await recordConnectFailure(store, person, reason)
          return problemPage(
            person.org,
            person.basePath,
            `${provider.label} is not connected`,
            message,
            status,
          )
        }
        if (query.error) {
          const denied = query.error === 'access_denied'
          return fail(
            denied
              ? `You did not allow the connection at ${provider.label}. Nothing was changed.`
              : `${provider.label} reported a problem. Please try again.`,
            `provider error: ${query.error}`,
          )
        }
        if (!query.code || !query.state)
          return fail('The answer from the provider was incomplete.', 'missing code or state')
        try {
          await finishConnect(store, person, provider, {
            state: query.state,
            code: query.code,
            redirectUri: callbackUri(person.org, config, provider.id),
          })
        } catch (error) {
          if (error instanceof OAuthError) return fail(error.message, error.reason, 400)
          if (error instanceof ServiceError && error.status === 409)
            return fail(error.message, error.code, 409)
          throw error
        }
        return redirect(`${person.basePath}/account?connected=${provider.id}`)
      },
      {
        params: Params,
        query: CallbackQuery,
        detail: pageDoc('Account', 'OAuth callback of the provider', {
          302: 'Linked: back to the account page',
          303: 'Linked: back to the account page',
          400: 'The provider refused or the state is stale (page)',
          404: 'No such organization or provider (page)',
          409: 'That identity is linked to another account (page)',
        }),
      },
    )
    .post(
      '/:provider/disconnect',
      async ({ params, body, request }) => {
        const found = await context(params.slug, params.provider, request)
        if (found instanceof Response) return found
        const { person, provider } = found
        if (!csrfMatches(person.csrfToken, body._csrf)) {
          return problemPage(
            person.org,
            person.basePath,
            'This form has expired',
            'Please open your account page again and retry.',
            403,
          )
        }
        await disconnect(store, person.org, person.accountId, provider.id)
        return redirect(`${person.basePath}/account?disconnected=${provider.id}`)
      },
      {
        params: Params,
        body: t.Object({ _csrf: t.String({ maxLength: 200 }) }),
        parse: ['urlencoded', 'formdata'],
        detail: pageDoc('Account', 'Unlink a GitHub or Bitbucket identity (form post)', {
          303: 'Unlinked: back to the account page',
          400: 'The form is malformed (page)',
          403: 'The form came from another site (page)',
          404: 'No such organization or provider (page)',
        }),
      },
    )
}
