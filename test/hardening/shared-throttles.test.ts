/**
 * Issue 10, "several instances": two in-process apps on one database (two connections to one SQLite
 * file; two pools on one PostgreSQL database), each request going to the other app as a round-robin
 * load balancer would send it. The sign-in and SAML throttles must refuse at the same count as one
 * app does (test/hardening/admin-sign-in-throttle.test.ts, test/saml/accounts-and-orgs.test.ts): five
 * wrong passwords spread over both lock the (email, client), a sprayer gets ten password checks in
 * all, and each refused burst is audited once, whichever instance refused it.
 */
import { afterAll, afterEach, beforeAll, expect, spyOn, test } from 'bun:test'
import { createApp, createFetch } from '../../src/http/app.ts'
import type { AppDeps } from '../../src/http/context.ts'
import { silentLogger } from '../../src/observability/log.ts'
import { createMetrics } from '../../src/observability/metrics.ts'
import { createAdmin, createOrg } from '../../src/orgs/service.ts'
import type { Store } from '../../src/store/index.ts'
import { eachEngine } from '../store/contract/engines.ts'
import { PUBLIC_URL, testConfig } from '../support/app.ts'
import { ADMIN_PASSWORD, csrfOf } from '../web/console-client.ts'

const BASE = '/orgs/acme'
const ADMIN = 'admin@acme.example'
/** Each admitted attempt is a real argon2id check (~180 ms, more on a busy machine). */
const ARGON2_TIMEOUT = 30_000

/** One instance: an app over `store`, its requests arriving from a given socket peer. */
function instance(store: Store) {
  const config = testConfig()
  const deps: AppDeps = { config, store, log: silentLogger, metrics: createMetrics(), version: 'test' }
  const handle = createFetch(createApp(deps), deps)
  return (peer: string, path: string, init: RequestInit = {}) =>
    handle(new Request(`${PUBLIC_URL}${path}`, init), { requestIP: () => ({ address: peer }) })
}
type Instance = ReturnType<typeof instance>

/** The sign-in form opened on one instance and posted to the other, as a round-robin would. */
async function signIn(form: Instance, post: Instance, peer: string, email: string, password: string) {
  const page = await form(peer, `${BASE}/admin/login`, { headers: { accept: 'text/html' } })
  const cookie = page.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ')
  const html = await page.text()
  return post(peer, `${BASE}/admin/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', cookie },
    body: new URLSearchParams({ _csrf: csrfOf(html), next: '', email, password }).toString(),
  })
}

let verify: ReturnType<typeof spyOn> | null = null
afterEach(() => {
  verify?.mockRestore()
  verify = null
})

eachEngine((engine) => {
  let store: Store
  let twin: Store
  let instances: [Instance, Instance]
  let orgId = ''

  beforeAll(async () => {
    store = await engine.open()
    twin = await engine.openTwin(store)
    instances = [instance(store), instance(twin)]
    orgId = (await createOrg(store, { slug: 'acme', name: 'Acme Inc' })).id
    await createAdmin(store, { orgSlug: 'acme', email: ADMIN, password: ADMIN_PASSWORD })
  }, 30_000)
  afterAll(async () => {
    await twin.close()
    await store.close()
  })

  /** Attempt `i` opens the form on one instance and posts it to the other. */
  const alternate = (i: number): [Instance, Instance] => [
    instances[i % 2] as Instance,
    instances[(i + 1) % 2] as Instance,
  ]

  const auditRows = async (reason: (reason: string) => boolean) =>
    (await store.audit.list(orgId, { limit: 500 })).filter((row) => row.reason !== null && reason(row.reason))

  test(
    'wrong passwords spread over two instances lock the (email, client) at the fifth, as on one',
    async () => {
      const attacker = '198.51.100.66'
      const statuses: number[] = []
      for (let i = 0; i < 7; i++) {
        const [form, post] = alternate(i)
        statuses.push((await signIn(form, post, attacker, ADMIN, `guess-${i}`)).status)
      }
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429])
      const [form, post] = instances
      expect((await signIn(post, form, attacker, ADMIN, ADMIN_PASSWORD)).status).toBe(429)
      // Someone else's guesses do not lock the real admin out, on either instance.
      expect((await signIn(form, post, '203.0.113.5', ADMIN, ADMIN_PASSWORD)).status).toBe(303)
      expect((await signIn(post, form, '203.0.113.6', ADMIN, ADMIN_PASSWORD)).status).toBe(303)
      const locked = await auditRows((reason) => reason.includes('for this email from this client'))
      expect(locked.map((row) => JSON.parse(row.data ?? '{}'))).toEqual([{ client: attacker }])
    },
    ARGON2_TIMEOUT,
  )

  test(
    'a client spraying invented emails over two instances gets ten password checks in all',
    async () => {
      const sprayer = '198.51.100.77'
      verify = spyOn(Bun.password, 'verify')
      const statuses: number[] = []
      for (let i = 0; i < 25; i++) {
        const [form, post] = alternate(i)
        statuses.push(
          (await signIn(form, post, sprayer, `nobody-${i}@acme.example`, 'password-guess')).status,
        )
      }
      expect(statuses.slice(0, 10).every((status) => status === 401)).toBe(true)
      expect(statuses.slice(10).every((status) => status === 429)).toBe(true)
      expect(verify.mock.calls.length).toBe(10)
      // The burst was refused by both instances and audited once.
      const refused = await auditRows((reason) => reason.includes('attempts from this client'))
      expect(refused.map((row) => JSON.parse(row.data ?? '{}'))).toEqual([{ client: sprayer }])
    },
    ARGON2_TIMEOUT,
  )

  test('the SAML endpoints refuse a client at the same count on both instances', async () => {
    const client = '203.0.113.77'
    const statuses: number[] = []
    for (let i = 0; i < 23; i++) {
      const acs = instances[i % 2] as Instance
      const form = new URLSearchParams({ SAMLResponse: btoa('<junk/>') }).toString()
      const response = await acs(client, `${BASE}/okta/auth`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
        body: form,
      })
      statuses.push(response.status)
    }
    expect(statuses.slice(0, 20).every((status) => status !== 429)).toBe(true)
    expect(statuses.slice(20)).toEqual([429, 429, 429])
    const limited = (await store.audit.list(orgId, { kind: 'saml', limit: 50 })).filter(
      (row) => row.reason === 'rate_limited',
    )
    expect(limited.map((row) => row.actor)).toEqual([client])
    const login = await (instances[1] as Instance)(client, `${BASE}/okta/login`)
    expect(login.status).toBe(429)
  })
})
