/**
 * The OAuth 2.0 providers people can connect to their account: GitHub and Bitbucket, with their
 * public endpoints as defaults. A provider is offered only when its client id and secret are
 * configured; `OAUTH_ENDPOINTS` (JSON) overrides endpoints, e.g. to point tests at a local stand-in.
 */
import { type Static, Type as T } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import type { Config } from '../config/index.ts'
import type { LinkedProvider } from '../store/linked-identities.ts'

export type ProviderId = LinkedProvider

const Endpoints = T.Object(
  {
    authorize: T.String({ pattern: '^https?://' }),
    token: T.String({ pattern: '^https?://' }),
    user: T.String({ pattern: '^https?://' }),
    emails: T.String({ pattern: '^https?://' }),
  },
  { additionalProperties: false },
)
type Endpoints = Static<typeof Endpoints>

const Overrides = T.Object(
  { github: T.Optional(T.Partial(Endpoints)), bitbucket: T.Optional(T.Partial(Endpoints)) },
  { additionalProperties: false },
)

export interface OAuthProvider {
  id: ProviderId
  label: string
  clientId: string
  clientSecret: string
  endpoints: Endpoints
  scope: string
  /** How the client authenticates at the token endpoint. */
  clientAuth: 'body' | 'basic'
}

const DEFAULTS: Record<ProviderId, Omit<OAuthProvider, 'clientId' | 'clientSecret'>> = {
  github: {
    id: 'github',
    label: 'GitHub',
    endpoints: {
      authorize: 'https://github.com/login/oauth/authorize',
      token: 'https://github.com/login/oauth/access_token',
      user: 'https://api.github.com/user',
      emails: 'https://api.github.com/user/emails',
    },
    scope: 'read:user user:email',
    clientAuth: 'body',
  },
  bitbucket: {
    id: 'bitbucket',
    label: 'Bitbucket',
    endpoints: {
      authorize: 'https://bitbucket.org/site/oauth2/authorize',
      token: 'https://bitbucket.org/site/oauth2/access_token',
      user: 'https://api.bitbucket.org/2.0/user',
      emails: 'https://api.bitbucket.org/2.0/user/emails',
    },
    scope: 'account email',
    clientAuth: 'basic',
  },
}

export const PROVIDER_IDS: readonly ProviderId[] = ['github', 'bitbucket']

export function isProviderId(value: string): value is ProviderId {
  return (PROVIDER_IDS as readonly string[]).includes(value)
}

function parseOverrides(json: string | undefined): Static<typeof Overrides> {
  if (!json) return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(json)
  } catch {
    throw new Error('OAUTH_ENDPOINTS is not valid JSON')
  }
  const error = Value.Errors(Overrides, parsed).First()
  if (error) throw new Error(`OAUTH_ENDPOINTS${error.path.replace(/\//g, '.')}: ${error.message}`)
  return parsed as Static<typeof Overrides>
}

/** The providers with a client id and secret, in display order. Throws on a malformed override. */
export function configuredProviders(
  config: Pick<
    Config,
    | 'githubClientId'
    | 'githubClientSecret'
    | 'bitbucketClientId'
    | 'bitbucketClientSecret'
    | 'oauthEndpointsJson'
  >,
): Map<ProviderId, OAuthProvider> {
  const overrides = parseOverrides(config.oauthEndpointsJson)
  const credentials: Record<ProviderId, [string | undefined, string | undefined]> = {
    github: [config.githubClientId, config.githubClientSecret],
    bitbucket: [config.bitbucketClientId, config.bitbucketClientSecret],
  }
  const providers = new Map<ProviderId, OAuthProvider>()
  for (const id of PROVIDER_IDS) {
    const [clientId, clientSecret] = credentials[id]
    if (!clientId || !clientSecret) continue
    const base = DEFAULTS[id]
    providers.set(id, {
      ...base,
      clientId,
      clientSecret,
      endpoints: { ...base.endpoints, ...overrides[id] },
    })
  }
  return providers
}
