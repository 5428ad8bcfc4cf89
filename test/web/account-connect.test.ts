/**
 * "Connect GitHub / Bitbucket" on the account page, in process against a local stand-in of the
 * providers: authorization code with PKCE and state, the verified email stored as a linked
 * identity (which duplicate detection then uses), one-time state bound to the session, refusals,
 * disconnect, and no buttons at all without configuration.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { createLocalUser } from '../../src/admin/services/users.ts'
import { silentLogger } from '../../src/observability/log.ts'
import { issueSession } from '../../src/sessions/service.ts'
import { createScheduler } from '../../src/sync/scheduler.ts'
import { createTestApp, seedOrg, type TestApp } from '../support/app.ts'
import { setUpIntegration } from '../support/integration.ts'
import { ConsoleClient } from './console-client.ts'
import { startOAuthStandIn } from './oauth-stand-in.ts'

const CLIENTS = {
  github: { id: 'gh-client', secret: 'gh-secret' },
  bitbucket: { id: 'bb-client', secret: 'bb-secret' },
}
const standIn = startOAuthStandIn(CLIENTS)
afterAll(() => standIn.stop())

const BASE = '/orgs/acme'

function configuredApp(): TestApp {
  return createTestApp({
    githubClientId: CLIENTS.github.id,
    githubClientSecret: CLIENTS.github.secret,
    bitbucketClientId: CLIENTS.bitbucket.id,
    bitbucketClientSecret: CLIENTS.bitbucket.secret,
    oauthEndpointsJson: standIn.endpointsJson,
  })
}

async function person(app: TestApp, email = 'ada@acme.example') {
  const org = (await app.store.orgs.bySlug('acme')) ?? (await seedOrg(app.store, 'acme')).org
  const account = await createLocalUser(app.store, org.id, { email, name: 'Ada' }, 'test')
  const session = await issueSession(app.store, { orgId: org.id, kind: 'user', subjectId: account.id })
  const client = new ConsoleClient(app)
  client.cookies.set('okb_session', session.token)
  return { org, account, client, session }
}

/** Start → the stand-in's authorize (which redirects back) → returns the callback path. */
async function authorize(client: ConsoleClient, provider: 'github' | 'bitbucket'): Promise<string> {
  const start = await client.get(`${BASE}/account/connect/${provider}`)
  expect(start.status).toBe(303)
  const location = start.headers.get('location') as string
  expect(location).toStartWith(`${standIn.base}/${provider}/authorize?`)
  const atProvider = await fetch(location, { redirect: 'manual' })
  expect(atProvider.status).toBe(302)
  const back = new URL(atProvider.headers.get('location') as string)
  expect(back.origin).toBe('http://localhost:3000')
  return `${back.pathname}${back.search}`
}

describe('connect GitHub and Bitbucket', () => {
  test('the account page offers both; connecting stores the verified email with PKCE and state', async () => {
    const app = configuredApp()
    const { org, account, client } = await person(app)
    const page = await client.page(`${BASE}/account`)
    expect(page.html).toContain('Connected accounts')
    expect(page.html).toContain(`href="${BASE}/account/connect/github">Connect GitHub`)
    expect(page.html).toContain(`href="${BASE}/account/connect/bitbucket">Connect Bitbucket`)

    standIn.next.github = {
      login: 'octo<cat>"',
      emails: [
        { email: 'unverified@users.example', primary: true, verified: false },
        { email: 'Octo@Users.example', primary: false, verified: true },
      ],
    }
    const start = await client.get(`${BASE}/account/connect/github`)
    const authorizeUrl = new URL(start.headers.get('location') as string)
    expect(authorizeUrl.searchParams.get('code_challenge_method')).toBe('S256')
    expect(authorizeUrl.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(authorizeUrl.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(authorizeUrl.searchParams.get('redirect_uri')).toBe(
      'http://localhost:3000/orgs/acme/account/connect/github/callback',
    )
    expect(authorizeUrl.searchParams.get('scope')).toBe('read:user user:email')

    const callback = await authorize(client, 'github')
    const done = await client.get(callback)
    expect(done.status).toBe(303)
    expect(done.headers.get('location')).toBe(`${BASE}/account?connected=github`)
    const linked = await app.store.linkedIdentities.ofAccount(org.id, account.id)
    expect(linked).toMatchObject([{ provider: 'github', login: 'octo<cat>"', email: 'Octo@Users.example' }])
    const token = standIn.requests.findLast((r) => r.path === '/github/token')
    expect(new URLSearchParams(token?.body).get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43}$/)

    const after = await client.page(`${BASE}/account?connected=github`)
    expect(after.html).toContain('GitHub is connected.')
    expect(after.html).toContain('octo&lt;cat&gt;&quot; (Octo@Users.example)')
    expect(after.html).not.toContain('Connect GitHub</a>')

    // The same answer again: the state was used once and is gone.
    const replay = await client.get(callback)
    expect(replay.status).toBe(400)
    expect(await app.store.linkedIdentities.ofAccount(org.id, account.id)).toHaveLength(1)

    const bitbucket = await client.get(await authorize(client, 'bitbucket'))
    expect(bitbucket.status).toBe(303)
    expect(standIn.requests.findLast((r) => r.path === '/bitbucket/token')?.authorization).toStartWith(
      'Basic ',
    )
    expect((await app.store.linkedIdentities.ofAccount(org.id, account.id)).map((l) => l.provider)).toEqual([
      'bitbucket',
      'github',
    ])

    const disconnected = await client.post(`${BASE}/account/connect/github/disconnect`, { _csrf: after.csrf })
    expect(disconnected.headers.get('location')).toBe(`${BASE}/account?disconnected=github`)
    expect((await app.store.linkedIdentities.ofAccount(org.id, account.id)).map((l) => l.provider)).toEqual([
      'bitbucket',
    ])
    standIn.next.github = {
      login: 'octocat',
      emails: [{ email: 'octo@users.example', primary: true, verified: true }],
    }
  })

  test('a callback finishes only in the session that started it, and only with the state it was given', async () => {
    const app = configuredApp()
    const ada = await person(app, 'ada@acme.example')
    const eve = await person(app, 'eve@acme.example')
    const callback = await authorize(ada.client, 'github')
    // Eve's browser is made to open Ada's callback: the state is not Eve's.
    const forced = await eve.client.get(callback)
    expect(forced.status).toBe(400)
    expect(await app.store.linkedIdentities.ofAccount(ada.org.id, eve.account.id)).toHaveLength(0)
    const forged = await ada.client.get(callback.replace(/state=[^&]+/, 'state=forged'))
    expect(forged.status).toBe(400)
    const denied = await ada.client.get(`${BASE}/account/connect/github/callback?error=access_denied&state=x`)
    expect(denied.status).toBe(400)
    expect(await denied.text()).toContain('You did not allow the connection')
    expect(await app.store.linkedIdentities.ofAccount(ada.org.id, ada.account.id)).toHaveLength(0)
  })

  test('one GitHub account cannot be connected to two people; no verified email is refused', async () => {
    const app = configuredApp()
    const ada = await person(app, 'ada@acme.example')
    const eve = await person(app, 'eve@acme.example')
    expect((await ada.client.get(await authorize(ada.client, 'github'))).status).toBe(303)
    const taken = await eve.client.get(await authorize(eve.client, 'github'))
    expect(taken.status).toBe(409)
    expect(await taken.text()).toContain('already connected to someone else')
    standIn.next.bitbucket = {
      login: 'nomail',
      emails: [{ email: 'x@users.example', primary: true, verified: false }],
    }
    const noEmail = await eve.client.get(await authorize(eve.client, 'bitbucket'))
    expect(noEmail.status).toBe(400)
    expect(await noEmail.text()).toContain('no verified email')
    expect(await app.store.linkedIdentities.ofAccount(eve.org.id, eve.account.id)).toHaveLength(0)
    standIn.next.bitbucket = {
      login: 'bucketeer',
      emails: [{ email: 'bucket@users.example', primary: true, verified: true }],
    }
  })

  test('a connected identity feeds duplicate detection', async () => {
    const app = configuredApp()
    const seeded = await seedOrg(app.store, 'acme')
    const { scimToken } = await setUpIntegration(app, 'acme', seeded.auth)
    const ada = await person(app, 'ada.local@acme.example')
    standIn.next.github = {
      login: 'ada-gh',
      emails: [{ email: 'ada@work.example', primary: true, verified: true }],
    }
    expect((await ada.client.get(await authorize(ada.client, 'github'))).status).toBe(303)
    const created = await app.request(`${BASE}/okta/scim/Users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: 'ada@work.example',
        emails: [{ value: 'ada@work.example', primary: true }],
        active: true,
      }),
    })
    expect(created.status).toBe(201)
    await createScheduler({ store: app.store, log: silentLogger, config: app.config }).drain()
    const duplicates = await app.request('/api/v1/orgs/acme/duplicates', { headers: seeded.auth })
    const body = (await duplicates.json()) as { items: { matchedOn: string; existing: { id: string } }[] }
    expect(body.items).toMatchObject([{ matchedOn: 'linked:github', existing: { id: ada.account.id } }])
    standIn.next.github = {
      login: 'octocat',
      emails: [{ email: 'octo@users.example', primary: true, verified: true }],
    }
  })

  test('without configuration there are no buttons, and the routes say so', async () => {
    const app = createTestApp()
    const { client } = await person(app)
    const page = await client.page(`${BASE}/account`)
    expect(page.status).toBe(200)
    expect(page.html).not.toContain('Connected accounts')
    expect(page.html).not.toContain('Connect GitHub')
    expect((await client.get(`${BASE}/account/connect/github`)).status).toBe(404)
  })

  test('connecting needs a signed-in person', async () => {
    const app = configuredApp()
    await seedOrg(app.store, 'acme')
    const response = await new ConsoleClient(app).get(`${BASE}/account/connect/github`)
    expect(response.status).toBe(401)
    expect(response.headers.get('location')).toBeNull()
  })
})
