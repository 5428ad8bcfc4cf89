/**
 * Several instances on one PostgreSQL database, as two compiled binaries behind a load balancer
 * would run: SCIM writes alternate between them, a uniqueness race across them gives one 201 and
 * one 409, an SP-initiated sign-in starts on one and completes on the other, the console works on
 * either with one session, and `kill -9` of the instance holding a busy org's lease mid-backlog
 * leaves the other to finish it — every account and every event exactly once.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { inflateRawSync } from 'node:zlib'
import { setUpIntegration } from '../../src/integration/service.ts'
import { createAdmin, createApiKey, createOrg } from '../../src/orgs/service.ts'
import type { Store } from '../../src/store/index.ts'
import { openPostgresStore } from '../../src/store/postgres/index.ts'
import { buildBinary, type RunningBinary, startBinary } from '../support/binary.ts'
import { selfSigned } from '../support/certs.ts'
import { directoryWriter } from '../support/directory.ts'
import { createDatabase } from '../support/postgres.ts'
import { OKTA_ISSUER, OKTA_SSO_URL, oktaResponse, signResponse, toBase64 } from '../support/saml.ts'

const PUBLIC_URL = 'http://okb.test'
const ORG_URL = `${PUBLIC_URL}/orgs/acme`
const PASSWORD = 'correct horse battery staple'
const BACKLOG_USERS = 8_000

const idp = selfSigned('instances-idp')
let url = ''
let store: Store
let a: RunningBinary
let b: RunningBinary
let apiKey = ''
let busyKey = ''
let scimToken = ''
let busy: Awaited<ReturnType<typeof createOrg>>
const running: RunningBinary[] = []

const start = async () => {
  const binary = await startBinary(['--public-url', PUBLIC_URL, '--sync-interval-ms', '20'], {
    DATABASE_URL: url,
    LOG_LEVEL: 'info',
  })
  running.push(binary)
  return binary
}

beforeAll(async () => {
  buildBinary()
  url = await createDatabase()
  store = await openPostgresStore(url, { poolSize: 4 })
  const org = await createOrg(store, { slug: 'acme', name: 'Acme Inc' })
  apiKey = (await createApiKey(store, { orgSlug: 'acme' })).key
  scimToken = (
    await setUpIntegration(
      store,
      org,
      { ssoUrl: OKTA_SSO_URL, issuer: OKTA_ISSUER, certificate: idp.certificate },
      'test',
    )
  ).scimToken as string
  await createAdmin(store, { orgSlug: 'acme', email: 'admin@acme.example', password: PASSWORD })
  busy = await createOrg(store, { slug: 'busy', name: 'Busy Inc' })
  busyKey = (await createApiKey(store, { orgSlug: 'busy' })).key
  // Both start at once: they race for the migration lock and apply nothing twice.
  ;[a, b] = await Promise.all([start(), start()])
}, 120_000)

afterAll(async () => {
  for (const binary of running) if (binary.proc.exitCode === null) await binary.stop('SIGKILL')
  await store?.close()
})

/** `path` under the public URL, sent to one instance (what a load balancer does). */
const via = (instance: RunningBinary, path: string, init: RequestInit = {}) =>
  fetch(`${instance.url}${path.replace(PUBLIC_URL, '')}`, { redirect: 'manual', ...init })

const scim = (instance: RunningBinary, path: string, init: RequestInit = {}) =>
  via(instance, `/orgs/acme/okta/scim${path}`, {
    ...init,
    headers: { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' },
  })

const admin = (instance: RunningBinary, slug: string, path: string) =>
  via(instance, `/api/v1/orgs/${slug}${path}`, {
    headers: { authorization: `Bearer ${slug === 'busy' ? busyKey : apiKey}` },
  })

const newUser = (userName: string) =>
  JSON.stringify({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName,
    name: { givenName: 'Ada', familyName: 'Lovelace' },
    emails: [{ primary: true, value: userName, type: 'work' }],
    active: true,
  })

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, tries = 1200): Promise<T> {
  let value = await read()
  for (let i = 0; i < tries && !done(value); i++) {
    await Bun.sleep(25)
    value = await read()
  }
  return value
}

/** The cookies a response sets, as one Cookie header (`name=value; …`). */
const cookiesOf = (response: Response) =>
  response.headers
    .getSetCookie()
    .map((line) => line.split(';')[0] as string)
    .join('; ')

describe('two instances on one PostgreSQL database', () => {
  test('SCIM writes alternate between the instances and each sees every write', async () => {
    const ids: string[] = []
    for (let i = 0; i < 10; i++) {
      const created = await scim(i % 2 ? b : a, '/Users', {
        method: 'POST',
        body: newUser(`u${i}@acme.example`),
      })
      expect(created.status).toBe(201)
      ids.push((await created.json()).id)
    }
    for (const [i, id] of ids.entries()) {
      expect((await scim(i % 2 ? a : b, `/Users/${id}`)).status).toBe(200)
    }
    const listed = await (await scim(a, '/Users?filter=userName+sw+%22u%22&count=100')).json()
    expect(listed.totalResults).toBe(10)
  })

  test('the same user created on both at once: one 201, one 409, one row', async () => {
    const [first, second] = await Promise.all([
      scim(a, '/Users', { method: 'POST', body: newUser('race@acme.example') }),
      scim(b, '/Users', { method: 'POST', body: newUser('race@acme.example') }),
    ])
    expect([first.status, second.status].sort()).toEqual([201, 409])
    const loser = first.status === 409 ? first : second
    expect((await loser.json()).scimType).toBe('uniqueness')
    const found = await (await scim(b, '/Users?filter=userName+eq+%22race%40acme.example%22')).json()
    expect(found.totalResults).toBe(1)
  })

  test('an SP-initiated sign-in started on one instance completes on the other', async () => {
    const created = await scim(a, '/Users', { method: 'POST', body: newUser('grace@acme.example') })
    expect(created.status).toBe(201)
    await eventually(
      async () => (await (await admin(b, 'acme', '/users?email=grace@acme.example')).json()).items?.length,
      (n) => n === 1,
    )
    const login = await via(a, '/orgs/acme/okta/login?next=%2Forgs%2Facme%2Faccount')
    expect(login.status).toBe(302)
    const request = new URL(login.headers.get('location') as string).searchParams.get('SAMLRequest') as string
    const id = /ID="([^"]+)"/.exec(inflateRawSync(Buffer.from(request, 'base64')).toString())?.[1] as string
    const xml = signResponse(
      oktaResponse({ orgUrl: ORG_URL, email: 'grace@acme.example', inResponseTo: id }),
      idp,
      'both',
    )
    const acs = await via(b, '/orgs/acme/okta/auth', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'text/html',
        cookie: cookiesOf(login),
      },
      body: new URLSearchParams({ SAMLResponse: toBase64(xml) }).toString(),
    })
    expect(acs.status).toBe(303)
    expect(acs.headers.get('location')).toBe(`${ORG_URL}/account`)
    const session = cookiesOf(acs)
    // The session started on B is a session on A too; the request was consumed once, for both.
    expect((await via(a, '/orgs/acme/me', { headers: { cookie: session } })).status).toBe(200)
    const again = await via(a, '/orgs/acme/okta/auth', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'text/html',
        cookie: cookiesOf(login),
      },
      body: new URLSearchParams({ SAMLResponse: toBase64(xml) }).toString(),
    })
    expect(again.status).toBe(400)
  })

  test('the console signs in on one instance and works on the other', async () => {
    const form = await via(a, '/orgs/acme/admin/login', { headers: { accept: 'text/html' } })
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] as string
    const signIn = await via(b, '/orgs/acme/admin/login', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'text/html',
        cookie: cookiesOf(form),
        origin: PUBLIC_URL,
      },
      body: new URLSearchParams({
        _csrf: csrf,
        next: '',
        email: 'admin@acme.example',
        password: PASSWORD,
      }).toString(),
    })
    expect(signIn.status).toBe(303)
    const cookie = cookiesOf(signIn)
    for (const instance of [a, b]) {
      const page = await via(instance, '/orgs/acme/admin/users', { headers: { cookie, accept: 'text/html' } })
      expect(page.status).toBe(200)
      expect(await page.text()).toContain('grace@acme.example')
    }
  })

  test('kill -9 of the lease holder mid-backlog: the other instance finishes, every change once', async () => {
    await setUpIntegration(
      store,
      busy,
      { ssoUrl: OKTA_SSO_URL, issuer: OKTA_ISSUER, certificate: idp.certificate },
      'test',
    )
    const dir = directoryWriter(store, busy.id)
    const group = await dir.group('Everyone')
    const ids: string[] = []
    for (let i = 0; i < BACKLOG_USERS; i += 2000) {
      ids.push(
        ...(await dir.users(
          Array.from({ length: 2000 }, (_, j) => ({ userName: `b${i + j}@busy.example` })),
        )),
      )
    }
    await dir.addMembers(group, ids)
    const status = async () => (await admin(a, 'busy', '/sync')).json()
    // Part-way through, with a holder named: kill that instance without warning.
    const partWay = await eventually(
      status,
      (s) => s.holder != null && s.pendingChanges > 0 && s.pendingChanges < BACKLOG_USERS,
    )
    expect(partWay.holder).not.toBeNull()
    const holder = [a, b].find((instance) => String(partWay.holder).includes(`:${instance.proc.pid}:`))
    if (!holder) throw new Error(`no instance holds ${partWay.holder}`)
    const survivor = holder === a ? b : a
    expect(await holder.stop('SIGKILL')).not.toBe(0)

    const done = await eventually(
      async () => (await admin(survivor, 'busy', '/sync')).json(),
      (s) => s.pendingChanges === 0,
    )
    expect(done.pendingChanges).toBe(0)
    expect(await store.accounts.countLinked(busy.id)).toBe(BACKLOG_USERS)
    const events = await store.events.countByType(busy.id)
    expect(events).toEqual({
      'account.created': BACKLOG_USERS,
      'group.created': 1,
      'membership.added': BACKLOG_USERS,
    })
  }, 240_000)
})
