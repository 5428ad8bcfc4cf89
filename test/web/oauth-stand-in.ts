/**
 * A local stand-in for GitHub's and Bitbucket's OAuth endpoints (authorize, token, user, emails),
 * strict the way the real ones are: the code is bound to the client, redirect URI and PKCE
 * challenge, used once, and the token endpoint checks the client secret (in the body for GitHub,
 * HTTP Basic for Bitbucket) and the S256 code verifier.
 */
import { createHash } from 'node:crypto'

export interface StandInAccount {
  login: string
  emails: { email: string; primary: boolean; verified: boolean }[]
}

interface Grant {
  clientId: string
  redirectUri: string
  challenge: string
  account: StandInAccount
}

export function startOAuthStandIn(clients: Record<'github' | 'bitbucket', { id: string; secret: string }>) {
  const grants = new Map<string, Grant>()
  const tokens = new Map<string, { provider: 'github' | 'bitbucket'; account: StandInAccount }>()
  /** Who "signs in" at the provider next. */
  const next: Record<'github' | 'bitbucket', StandInAccount> = {
    github: { login: 'octocat', emails: [{ email: 'octo@users.example', primary: true, verified: true }] },
    bitbucket: {
      login: 'bucketeer',
      emails: [{ email: 'bucket@users.example', primary: true, verified: true }],
    },
  }
  const requests: { path: string; body?: string; authorization?: string | null }[] = []

  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      const url = new URL(request.url)
      const [, provider, action] = url.pathname.split('/') as [string, 'github' | 'bitbucket', string]
      const client = clients[provider]
      const body = request.method === 'POST' ? await request.text() : undefined
      requests.push({ path: url.pathname, body, authorization: request.headers.get('authorization') })
      if (!client) return new Response('no such provider', { status: 404 })
      if (action === 'authorize') {
        const p = url.searchParams
        if (p.get('client_id') !== client.id || p.get('response_type') !== 'code') {
          return new Response('bad authorize request', { status: 400 })
        }
        if (p.get('code_challenge_method') !== 'S256' || !p.get('code_challenge')) {
          return new Response('PKCE required', { status: 400 })
        }
        const code = crypto.randomUUID()
        grants.set(code, {
          clientId: client.id,
          redirectUri: p.get('redirect_uri') as string,
          challenge: p.get('code_challenge') as string,
          account: next[provider],
        })
        const back = new URL(p.get('redirect_uri') as string)
        back.searchParams.set('code', code)
        back.searchParams.set('state', p.get('state') as string)
        return new Response(null, { status: 302, headers: { location: back.toString() } })
      }
      if (action === 'token' && request.method === 'POST') {
        const form = new URLSearchParams(body)
        let id = form.get('client_id')
        let secret = form.get('client_secret')
        if (provider === 'bitbucket') {
          const basic = /^Basic (.+)$/.exec(request.headers.get('authorization') ?? '')?.[1]
          ;[id, secret] = Buffer.from(basic ?? '', 'base64')
            .toString()
            .split(':') as [string, string]
        }
        if (id !== client.id || secret !== client.secret)
          return Response.json({ error: 'invalid_client' }, { status: 401 })
        const grant = grants.get(form.get('code') ?? '')
        grants.delete(form.get('code') ?? '')
        const verifier = form.get('code_verifier') ?? ''
        const challenge = createHash('sha256').update(verifier).digest('base64url')
        if (!grant || grant.redirectUri !== form.get('redirect_uri') || grant.challenge !== challenge) {
          // GitHub's way of refusing: 200 with an error field.
          return Response.json({ error: 'bad_verification_code' })
        }
        const token = crypto.randomUUID()
        tokens.set(token, { provider, account: grant.account })
        return Response.json({ access_token: token, token_type: 'bearer', scope: 'user:email' })
      }
      const bearer = /^Bearer (.+)$/.exec(request.headers.get('authorization') ?? '')?.[1] ?? ''
      const session = tokens.get(bearer)
      if (!session || session.provider !== provider)
        return Response.json({ message: 'Bad credentials' }, { status: 401 })
      if (action === 'user') {
        return Response.json(
          provider === 'github'
            ? { login: session.account.login, id: 1 }
            : { username: session.account.login, display_name: 'Bucket', account_id: 'x1' },
        )
      }
      if (action === 'emails') {
        return Response.json(
          provider === 'github'
            ? session.account.emails
            : {
                values: session.account.emails.map((e) => ({
                  email: e.email,
                  is_primary: e.primary,
                  is_confirmed: e.verified,
                })),
              },
        )
      }
      return new Response('not found', { status: 404 })
    },
  })
  const base = `http://127.0.0.1:${server.port}`
  const endpoints = (provider: string) => ({
    authorize: `${base}/${provider}/authorize`,
    token: `${base}/${provider}/token`,
    user: `${base}/${provider}/user`,
    emails: `${base}/${provider}/emails`,
  })
  return {
    server,
    base,
    next,
    requests,
    endpointsJson: JSON.stringify({ github: endpoints('github'), bitbucket: endpoints('bitbucket') }),
    stop: () => server.stop(true),
  }
}
