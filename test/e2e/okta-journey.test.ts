/**
 * The whole Okta journey against the compiled binary as a real process: an admin sets up the
 * integration with the CLI and admin API, Okta provisions a user and a group over SCIM, the
 * scheduler turns them into an account with a mapped role, the person signs in with a response
 * signed by xmlsec1, and deactivation in Okta ends the session — with the change feed telling a
 * downstream app every step, in order. Once on each engine: the embedded SQLite file and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { buildBinary, type RunningBinary, runBinary, startBinary, tempDataDir } from '../support/binary.ts'
import { selfSigned } from '../support/certs.ts'
import { createDatabase } from '../support/postgres.ts'
import { OKTA_ISSUER, OKTA_SSO_URL, oktaResponse, signResponse, toBase64 } from '../support/saml.ts'

for (const engine of ['sqlite', 'postgres'] as const) {
  describe(`Okta journey through the real binary (${engine})`, () => {
    const dataDir = tempDataDir()
    let server: RunningBinary
    let base = ''
    let apiKey = ''
    let scimToken = ''

    beforeAll(async () => {
      buildBinary()
      // The same journey on the embedded SQLite default and on PostgreSQL.
      const store = engine === 'sqlite' ? ['--data-dir', dataDir] : ['--database-url', await createDatabase()]
      const cli = (...args: string[]) => JSON.parse(runBinary([...args, ...store, '--json']).stdout)
      cli('org', 'create', '--slug', 'acme', '--name', 'Acme Inc')
      cli('org', 'create', '--slug', 'globex')
      apiKey = cli('api-key', 'create', '--org', 'acme').key
      server = await startBinary([...store, '--sync-interval-ms', '20'])
      base = server.url
    }, 120_000)
    afterAll(async () => {
      await server?.stop('SIGKILL')
      rmSync(dataDir, { recursive: true, force: true })
    })

    const admin = (path: string, init: RequestInit = {}) =>
      fetch(`${base}/api/v1/orgs/acme${path}`, {
        ...init,
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': 'application/json',
          ...(init.headers ?? {}),
        },
      })
    const scim = (path: string, init: RequestInit = {}) =>
      fetch(`${base}/orgs/acme/okta/scim${path}`, {
        ...init,
        headers: {
          authorization: `Bearer ${scimToken}`,
          'content-type': 'application/scim+json; charset=utf-8',
          accept: 'application/scim+json',
        },
      })

    async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
      let value = await read()
      for (let i = 0; i < 400 && !done(value); i++) {
        await Bun.sleep(25)
        value = await read()
      }
      return value
    }

    const idp = selfSigned('journey-idp')
    const orgUrl = () => `${base.replace('127.0.0.1', 'localhost')}/orgs/acme`
    let userId = ''
    let cookie = ''

    test('set-up, SCIM provisioning and role mapping reach the account', async () => {
      const setUp = await (
        await admin('/okta', {
          method: 'PUT',
          body: JSON.stringify({ ssoUrl: OKTA_SSO_URL, issuer: OKTA_ISSUER, certificate: idp.certificate }),
        })
      ).json()
      scimToken = setUp.scimToken
      expect(setUp.audience).toBe(orgUrl())

      const lookup = await (
        await scim('/Users?filter=userName+eq+%22ada%40acme.example%22&startIndex=1&count=100')
      ).json()
      expect(lookup.totalResults).toBe(0)
      const created = await scim('/Users', {
        method: 'POST',
        body: JSON.stringify({
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
          userName: 'Ada@Acme.example',
          name: { givenName: 'Ada', familyName: 'Lovelace' },
          emails: [{ primary: true, value: 'ada@acme.example', type: 'work' }],
          displayName: 'Ada Lovelace',
          active: true,
          password: 'never-stored',
          groups: [],
        }),
      })
      expect(created.status).toBe(201)
      userId = (await created.json()).id
      const mappings = await admin('/role-mappings', {
        method: 'PUT',
        body: JSON.stringify({ mappings: [{ group: 'Engineering Admins', role: 'admin' }] }),
      })
      expect(mappings.status).toBe(200)
      const group = await scim('/Groups', {
        method: 'POST',
        body: JSON.stringify({
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
          displayName: 'Engineering Admins',
          members: [{ value: userId }],
        }),
      })
      expect(group.status).toBe(201)

      const users = await eventually(
        async () => (await admin('/users?email=ADA@acme.example')).json(),
        (body) => body.items?.[0]?.role === 'admin',
      )
      expect(users.items).toHaveLength(1)
      expect(users.items[0]).toMatchObject({
        email: 'ada@acme.example',
        source: 'okta',
        active: true,
        role: 'admin',
        groups: ['Engineering Admins'],
        createdViaIntegration: true,
      })
      const status = await (await admin('/okta')).json()
      expect(status.connectedUsers).toBe(1)
    })

    test('the person signs in with an xmlsec1-signed response and reaches /me', async () => {
      const xml = signResponse(oktaResponse({ orgUrl: orgUrl(), email: 'ada@acme.example' }), idp, 'both')
      const signIn = await fetch(`${base}/orgs/acme/okta/auth`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
        body: new URLSearchParams({
          SAMLResponse: toBase64(xml),
          RelayState: '/orgs/acme/account',
        }).toString(),
      })
      expect(signIn.status).toBe(303)
      expect(new URL(signIn.headers.get('location') as string, base).pathname).toBe('/orgs/acme/account')
      const setCookie = signIn.headers.get('set-cookie') as string
      expect(setCookie).toContain('HttpOnly')
      expect(setCookie).toContain('SameSite=Lax')
      cookie = setCookie.split(';')[0] as string

      const me = await fetch(`${base}/orgs/acme/me`, { headers: { cookie } })
      expect(me.status).toBe(200)
      expect(await me.json()).toMatchObject({
        email: 'ada@acme.example',
        role: 'admin',
        groups: ['Engineering Admins'],
      })
      // The same cookie is no session in another org.
      expect((await fetch(`${base}/orgs/globex/me`, { headers: { cookie } })).status).toBe(401)
      // Replaying the same response is refused.
      const replay = await fetch(`${base}/orgs/acme/okta/auth`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
        body: new URLSearchParams({ SAMLResponse: toBase64(xml) }).toString(),
      })
      expect(replay.status).toBeGreaterThanOrEqual(400)
      expect(replay.status).toBeLessThan(500)
    })

    test('deactivation in Okta ends the session; the change feed tells every step in order', async () => {
      const patch = await scim(`/Users/${userId}`, {
        method: 'PATCH',
        body: JSON.stringify({
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'replace', value: { active: false } }],
        }),
      })
      expect(patch.status).toBe(200)
      expect((await patch.json()).active).toBe(false)

      const me = await eventually(
        () => fetch(`${base}/orgs/acme/me`, { headers: { cookie } }),
        (res) => res.status === 401,
      )
      expect(me.status).toBe(401)
      const users = await (await admin('/users?email=ada@acme.example')).json()
      expect(users.items[0].active).toBe(false)
      expect((await (await admin('/okta')).json()).connectedUsers).toBe(0)

      const feed = await (await admin('/events?limit=100')).json()
      const events = feed.events as Array<{ id: number; type: string; data: Record<string, unknown> }>
      const types = events.map((e) => e.type)
      const order = ['account.created', 'group.created', 'membership.added', 'account.deactivated']
      for (const type of order) expect(types).toContain(type)
      const positions = order.map((type) => types.indexOf(type))
      expect(positions).toEqual([...positions].sort((a, b) => a - b))
      expect(types.indexOf('account.deactivated')).toBe(types.length - 1)
      // The role reached the feed: on creation when the membership was already known, or as a change.
      const roleEvents = events.filter(
        (e) => e.type === 'account.created' || e.type === 'account.role_changed',
      )
      const last = roleEvents.at(-1) as { type: string; data: Record<string, unknown> }
      expect(last.type === 'account.created' ? last.data.role : last.data.to).toBe('admin')
      const ids = (feed.events as Array<{ id: number }>).map((e) => e.id)
      expect([...ids].sort((a, b) => a - b)).toEqual(ids)
    })
  })
}
