/**
 * The HTTP side of the authorization code flow with a provider: the authorize URL, the code-for-token
 * exchange (with the PKCE verifier), and reading who the person is and which emails the provider
 * has verified. Framework-free; every failure becomes an `OAuthError` whose message can be shown.
 */
import type { OAuthProvider } from './providers.ts'

export class OAuthError extends Error {
  constructor(
    message: string,
    /** The technical reason, for the log and the audit. */
    readonly reason: string,
  ) {
    super(message)
    this.name = 'OAuthError'
  }
}

export interface ProviderIdentity {
  login: string
  /** The verified email to link: the primary one when verified, else the first verified one. */
  email: string
}

const TIMEOUT_MS = 10_000
const MAX_BODY = 256 * 1024

export function authorizeUrl(
  provider: OAuthProvider,
  input: { redirectUri: string; state: string; codeChallenge: string },
): string {
  const url = new URL(provider.endpoints.authorize)
  url.searchParams.set('response_type', 'code')
  url.searchParams.set('client_id', provider.clientId)
  url.searchParams.set('redirect_uri', input.redirectUri)
  url.searchParams.set('scope', provider.scope)
  url.searchParams.set('state', input.state)
  url.searchParams.set('code_challenge', input.codeChallenge)
  url.searchParams.set('code_challenge_method', 'S256')
  return url.toString()
}

async function readJson(response: Response, what: string, provider: OAuthProvider): Promise<unknown> {
  const text = await response.text()
  if (text.length > MAX_BODY) {
    throw new OAuthError(`${provider.label} sent an unexpected answer.`, `${what}: body too large`)
  }
  try {
    return JSON.parse(text)
  } catch {
    throw new OAuthError(
      `${provider.label} sent an unexpected answer.`,
      `${what}: HTTP ${response.status}, not JSON`,
    )
  }
}

async function call(provider: OAuthProvider, what: string, url: string, init: RequestInit): Promise<unknown> {
  let response: Response
  try {
    response = await fetch(url, {
      ...init,
      redirect: 'error',
      signal: AbortSignal.timeout(TIMEOUT_MS),
      headers: { accept: 'application/json', 'user-agent': 'okta-bridge', ...init.headers },
    })
  } catch (error) {
    throw new OAuthError(
      `${provider.label} could not be reached. Please try again.`,
      `${what}: ${error instanceof Error ? error.message : String(error)}`,
    )
  }
  const body = await readJson(response, what, provider)
  if (!response.ok) {
    throw new OAuthError(`${provider.label} refused the request.`, `${what}: HTTP ${response.status}`)
  }
  return body
}

export async function exchangeCode(
  provider: OAuthProvider,
  input: { code: string; redirectUri: string; codeVerifier: string },
): Promise<string> {
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    code: input.code,
    redirect_uri: input.redirectUri,
    code_verifier: input.codeVerifier,
  })
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }
  if (provider.clientAuth === 'basic') {
    headers.authorization = `Basic ${Buffer.from(`${provider.clientId}:${provider.clientSecret}`).toString('base64')}`
  } else {
    form.set('client_id', provider.clientId)
    form.set('client_secret', provider.clientSecret)
  }
  const body = (await call(provider, 'token', provider.endpoints.token, {
    method: 'POST',
    headers,
    body: form.toString(),
  })) as Record<string, unknown>
  // GitHub answers a refused code with 200 and `{"error": …}`.
  if (typeof body.error === 'string') {
    throw new OAuthError(
      `${provider.label} did not accept the sign-in. Please try again.`,
      `token: ${body.error}${typeof body.error_description === 'string' ? ` (${body.error_description})` : ''}`,
    )
  }
  if (typeof body.access_token !== 'string' || body.access_token === '') {
    throw new OAuthError(`${provider.label} sent an unexpected answer.`, 'token: no access_token')
  }
  return body.access_token
}

interface EmailEntry {
  email: string
  primary: boolean
  verified: boolean
}

/** GitHub: `[{email, primary, verified}]`; Bitbucket: `{values: [{email, is_primary, is_confirmed}]}`. */
function emailEntries(body: unknown): EmailEntry[] {
  const list = Array.isArray(body) ? body : (body as { values?: unknown })?.values
  if (!Array.isArray(list)) return []
  const entries: EmailEntry[] = []
  for (const item of list as Record<string, unknown>[]) {
    if (typeof item?.email !== 'string') continue
    entries.push({
      email: item.email,
      primary: item.primary === true || item.is_primary === true,
      verified: item.verified === true || item.is_confirmed === true,
    })
  }
  return entries
}

function loginOf(user: Record<string, unknown>): string | null {
  for (const key of ['login', 'username', 'nickname', 'account_id']) {
    const value = user[key]
    if (typeof value === 'string' && value.trim() !== '') return value.trim()
  }
  return null
}

export async function fetchIdentity(provider: OAuthProvider, accessToken: string): Promise<ProviderIdentity> {
  const headers = { authorization: `Bearer ${accessToken}` }
  const user = (await call(provider, 'user', provider.endpoints.user, { headers })) as Record<string, unknown>
  const login = loginOf(user ?? {})
  if (!login || login.length > 200) {
    throw new OAuthError(`${provider.label} did not say who you are.`, 'user: no login')
  }
  const entries = emailEntries(await call(provider, 'emails', provider.endpoints.emails, { headers }))
  const verified = entries.filter((e) => e.verified && e.email.length <= 320 && e.email.includes('@'))
  const chosen = verified.find((e) => e.primary) ?? verified[0]
  if (!chosen) {
    throw new OAuthError(
      `Your ${provider.label} account has no verified email address. Verify one at ${provider.label}, then connect again.`,
      'emails: none verified',
    )
  }
  return { login, email: chosen.email }
}
