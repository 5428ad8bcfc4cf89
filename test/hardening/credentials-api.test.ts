/**
 * Issue 9, "every credential can be revoked", through the admin API in process: API keys are listed
 * without their secret and a revoked key's next request is 401; admins are listed, added, removed
 * (their console cookie and API-by-cookie stop on the next request; the last admin stays, 409) and
 * get a new password (their other sessions end; an admin changing their own by cookie keeps that
 * one). Every change is audited with who made it. Org isolation on every id.
 */
import { describe, expect, test } from 'bun:test'
import { createTestApp, jsonBody, seedOrg, type TestApp } from '../support/app.ts'
import { ADMIN_PASSWORD, ConsoleClient, seedAdmin } from '../web/console-client.ts'

// Each test hashes and checks a few argon2id passwords (or spawns the binary): room on a busy machine.
const SLOW = 30_000

// biome-ignore lint/suspicious/noExplicitAny: bodies are checked field by field against the contract
type Body = any

const BASE = '/orgs/acme'

async function setUp() {
  const app = createTestApp()
  const acme = await seedOrg(app.store, 'acme')
  const globex = await seedOrg(app.store, 'globex')
  const first = await seedAdmin(app, 'acme', 'first@acme.example')
  const second = await seedAdmin(app, 'acme', 'second@acme.example')
  return { app, acme, globex, first, second }
}

async function call(
  app: TestApp,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; body: Body; text: string }> {
  const init = body === undefined ? { method, headers } : { method, ...jsonBody(body, headers) }
  const response = await app.request(`/api/v1/orgs${path}`, init)
  const text = await response.text()
  return { status: response.status, text, body: text ? JSON.parse(text) : null }
}

async function signedIn(app: TestApp, email: string, password = ADMIN_PASSWORD): Promise<ConsoleClient> {
  const client = new ConsoleClient(app)
  expect((await client.signIn(BASE, email, password)).status).toBe(303)
  return client
}

// No repository counts sessions, so the test reads the SQLite table itself.
const adminRows = (app: TestApp, adminId: string) =>
  app.store.engine.db
    .query<{ n: number }, [string]>(
      "SELECT COUNT(*) AS n FROM sessions WHERE kind = 'admin' AND subject_id = ?",
    )
    .get(adminId)?.n

describe('API keys', () => {
  test(
    'the list names each key without its secret or hash',
    async () => {
      const { app, acme } = await setUp()
      const list = await call(app, 'GET', '/acme/api-keys', acme.auth)
      expect(list.status).toBe(200)
      expect(list.body.items).toHaveLength(1)
      const [item] = list.body.items
      expect(Object.keys(item).sort()).toEqual(['createdAt', 'id', 'lastUsedAt', 'name'])
      expect(item.name).toBe('default')
      // Its own request just used it.
      expect(Date.parse(item.lastUsedAt)).toBeGreaterThan(0)
      const hash = (await app.store.apiKeys.byId(acme.org.id, item.id))?.key_hash as string
      expect(list.text).not.toContain(acme.apiKey)
      expect(list.text).not.toContain(hash)
    },
    SLOW,
  )

  test(
    'lastUsedAt is kept to the minute: a client polling the API does not write on every request',
    async () => {
      const { app, acme } = await setUp()
      const [first] = (await call(app, 'GET', '/acme/api-keys', acme.auth)).body.items
      for (let i = 0; i < 3; i++) await call(app, 'GET', '/acme/api-keys', acme.auth)
      const row = await app.store.apiKeys.byId(acme.org.id, first.id)
      expect(row?.last_used_at).toBe(Date.parse(first.lastUsedAt))
      // A minute later the next request moves it.
      await app.store.apiKeys.touch(first.id, (row?.last_used_at as number) - 60_000)
      await call(app, 'GET', '/acme/api-keys', acme.auth)
      const moved = (await app.store.apiKeys.byId(acme.org.id, first.id))?.last_used_at as number
      expect(moved).toBeGreaterThanOrEqual(row?.last_used_at as number)
    },
    SLOW,
  )

  test(
    'create shows the key once; it works; revoking it makes its next request 401',
    async () => {
      const { app, acme } = await setUp()
      const created = await call(app, 'POST', '/acme/api-keys', acme.auth, { name: 'ci' })
      expect(created.status).toBe(201)
      expect(Object.keys(created.body).sort()).toEqual(['id', 'key', 'name'])
      expect(created.body.key).toMatch(/^okb_key_/)
      const ciAuth = { authorization: `Bearer ${created.body.key}` }
      expect((await call(app, 'GET', '/acme/users', ciAuth)).status).toBe(200)

      const listed = await call(app, 'GET', '/acme/api-keys', acme.auth)
      const ci = listed.body.items.find((k: Body) => k.id === created.body.id)
      expect(ci.name).toBe('ci')

      const revoked = await app.request(`/api/v1/orgs/acme/api-keys/${created.body.id}`, {
        method: 'DELETE',
        headers: acme.auth,
      })
      expect(revoked.status).toBe(204)
      expect(await revoked.text()).toBe('')
      const after = await call(app, 'GET', '/acme/users', ciAuth)
      expect(after.status).toBe(401)
      expect(after.body.error.code).toBe('UNAUTHENTICATED')
      // The other key is untouched; a second revoke finds nothing.
      expect((await call(app, 'GET', '/acme/users', acme.auth)).status).toBe(200)
      const again = await call(app, 'DELETE', `/acme/api-keys/${created.body.id}`, acme.auth)
      expect(again.status).toBe(404)
      expect(again.body.error.code).toBe('NOT_FOUND')

      const audit = await app.store.audit.list(acme.org.id, { kind: 'admin', limit: 50 })
      const row = audit.find((e) => e.action === 'api_key.revoked')
      expect(row?.subject).toBe(created.body.id)
      const revoker = listed.body.items.find((k: Body) => k.name === 'default').id
      expect(row?.actor).toBe(`api-key:${revoker}`)
      expect(audit.find((e) => e.action === 'api_key.created' && e.subject === created.body.id)?.actor).toBe(
        `api-key:${revoker}`,
      )
    },
    SLOW,
  )

  test(
    'a key may revoke itself; then it is refused at once',
    async () => {
      const { app, acme } = await setUp()
      const [own] = (await call(app, 'GET', '/acme/api-keys', acme.auth)).body.items
      expect((await call(app, 'DELETE', `/acme/api-keys/${own.id}`, acme.auth)).status).toBe(204)
      expect((await call(app, 'GET', '/acme/api-keys', acme.auth)).status).toBe(401)
    },
    SLOW,
  )

  test(
    "another org's key is not found, and keeps working",
    async () => {
      const { app, acme, globex } = await setUp()
      const [globexKey] = (await call(app, 'GET', '/globex/api-keys', globex.auth)).body.items
      expect((await call(app, 'DELETE', `/acme/api-keys/${globexKey.id}`, acme.auth)).status).toBe(404)
      expect((await call(app, 'GET', '/globex/api-keys', globex.auth)).status).toBe(200)
      // And globex's key opens nothing of acme's.
      expect((await call(app, 'GET', '/acme/api-keys', globex.auth)).status).toBe(404)
    },
    SLOW,
  )

  test(
    'bad input is a clear 400; no credential is 401',
    async () => {
      const { app, acme } = await setUp()
      const empty = await call(app, 'POST', '/acme/api-keys', acme.auth, { name: '' })
      expect(empty.status).toBe(400)
      expect(empty.body.error.field).toBe('name')
      const extra = await call(app, 'POST', '/acme/api-keys', acme.auth, { name: 'x', key: 'mine' })
      expect(extra.status).toBe(400)
      expect(extra.body.error.message).toContain('unknown field "key"')
      for (const [method, path] of [
        ['GET', '/acme/api-keys'],
        ['POST', '/acme/api-keys'],
        ['DELETE', '/acme/api-keys/x'],
        ['GET', '/acme/admins'],
        ['POST', '/acme/admins'],
        ['DELETE', '/acme/admins/x'],
        ['PUT', '/acme/admins/x/password'],
      ] as const) {
        const response = await call(app, method, path, {}, method === 'GET' ? undefined : {})
        expect(response.status, `${method} ${path}`).toBe(401)
      }
    },
    SLOW,
  )
})

describe('admins', () => {
  test(
    'list, add with a generated password (shown once) or a given one, refuse duplicates',
    async () => {
      const { app, acme, first } = await setUp()
      const list = await call(app, 'GET', '/acme/admins', acme.auth)
      expect(list.status).toBe(200)
      expect(list.body.items.map((a: Body) => a.email)).toEqual(['first@acme.example', 'second@acme.example'])
      expect(Object.keys(list.body.items[0]).sort()).toEqual([
        'accountId',
        'breakGlass',
        'createdAt',
        'email',
        'id',
        'source',
      ])
      expect(list.text).not.toContain('argon2')

      const generated = await call(app, 'POST', '/acme/admins', acme.auth, { email: 'ops@acme.example' })
      expect(generated.status).toBe(201)
      expect(Object.keys(generated.body).sort()).toEqual(['breakGlass', 'email', 'id', 'password'])
      expect(
        (await signedIn(app, 'ops@acme.example', generated.body.password)).cookies.has('okb_admin'),
      ).toBe(true)

      const given = await call(app, 'POST', '/acme/admins', acme.auth, {
        email: 'dev@acme.example',
        password: 'a long enough password',
      })
      expect(given.status).toBe(201)
      expect(Object.keys(given.body).sort()).toEqual(['breakGlass', 'email', 'id'])

      const dup = await call(app, 'POST', '/acme/admins', acme.auth, { email: first.email.toUpperCase() })
      expect(dup.status).toBe(409)
      expect(dup.body.error.code).toBe('ADMIN_EXISTS')
      const short = await call(app, 'POST', '/acme/admins', acme.auth, {
        email: 'x@acme.example',
        password: 'short',
      })
      expect(short.status).toBe(400)
      expect(short.body.error).toMatchObject({
        field: 'password',
        message: 'password must be at least 12 characters',
      })
      const bad = await call(app, 'POST', '/acme/admins', acme.auth, { email: 'not an email' })
      expect(bad.status).toBe(400)
      expect(bad.body.error.field).toBe('email')
      const created = (await app.store.audit.list(acme.org.id, { kind: 'admin', limit: 50 })).filter(
        (e) => e.action === 'admin.created',
      )
      expect(created.map((e) => e.subject)).toContain(generated.body.id)
    },
    SLOW,
  )

  test(
    'removing an admin ends their console cookie and API-by-cookie on the next request',
    async () => {
      const { app, acme, first, second } = await setUp()
      const client = await signedIn(app, second.email)
      const cookie = { cookie: client.cookieHeader }
      expect((await client.get(`${BASE}/admin/users`)).status).toBe(200)
      expect((await call(app, 'GET', '/acme/admins', cookie)).status).toBe(200)

      const removed = await call(app, 'DELETE', `/acme/admins/${second.id}`, acme.auth)
      expect(removed.status).toBe(204)
      const page = await client.get(`${BASE}/admin/users`)
      expect(page.status).toBe(303)
      expect(page.headers.get('location')).toStartWith(`${BASE}/admin/login`)
      expect((await call(app, 'GET', '/acme/admins', cookie)).status).toBe(401)
      expect(adminRows(app, second.id)).toBe(0)
      const list = await call(app, 'GET', '/acme/admins', acme.auth)
      expect(list.body.items.map((a: Body) => a.id)).toEqual([first.id])
      const row = (await app.store.audit.list(acme.org.id, { kind: 'admin', limit: 50 })).find(
        (e) => e.action === 'admin.removed',
      )
      expect(row).toMatchObject({ subject: second.id })
      expect(JSON.parse(row?.data ?? '{}')).toMatchObject({ email: second.email })
    },
    SLOW,
  )

  test(
    "the org's last admin cannot be removed: 409 LAST_ADMIN, and the admin stays",
    async () => {
      const { app, acme, first, second } = await setUp()
      const client = await signedIn(app, first.email)
      const csrf = (await client.page(`${BASE}/admin/users`)).csrf
      expect((await call(app, 'DELETE', `/acme/admins/${second.id}`, acme.auth)).status).toBe(204)
      const last = await call(app, 'DELETE', `/acme/admins/${first.id}`, acme.auth)
      expect(last.status).toBe(409)
      expect(last.body.error.code).toBe('LAST_ADMIN')
      expect(last.body.error.message).toContain('only admin')
      // Not by cookie either (the admin removing themselves).
      const self = await call(app, 'DELETE', `/acme/admins/${first.id}`, {
        cookie: client.cookieHeader,
        'x-csrf-token': csrf,
      })
      expect(self.status).toBe(409)
      expect(await app.store.admins.count(acme.org.id)).toBe(1)
      expect((await client.get(`${BASE}/admin/users`)).status).toBe(200)
    },
    SLOW,
  )

  test(
    'ids of another org, or none, are 404',
    async () => {
      const { app, acme, globex } = await setUp()
      const foreign = await seedAdmin(app, 'globex', 'admin@globex.example')
      expect((await call(app, 'DELETE', `/acme/admins/${foreign.id}`, acme.auth)).status).toBe(404)
      const put = await call(app, 'PUT', `/acme/admins/${foreign.id}/password`, acme.auth, {
        password: 'a long enough password',
      })
      expect(put.status).toBe(404)
      expect((await call(app, 'GET', '/globex/admins', globex.auth)).body.items).toHaveLength(1)
    },
    SLOW,
  )

  test(
    "a new password ends all of that admin's sessions; the old password stops working",
    async () => {
      const { app, acme, second } = await setUp()
      const laptop = await signedIn(app, second.email)
      const phone = await signedIn(app, second.email)
      expect(adminRows(app, second.id)).toBe(2)
      const short = await call(app, 'PUT', `/acme/admins/${second.id}/password`, acme.auth, {
        password: 'short',
      })
      expect(short.status).toBe(400)
      expect(short.body.error.field).toBe('password')
      expect(adminRows(app, second.id)).toBe(2)

      const changed = await call(app, 'PUT', `/acme/admins/${second.id}/password`, acme.auth, {
        password: 'the new long password',
      })
      expect(changed.status).toBe(204)
      expect((await laptop.get(`${BASE}/admin/users`)).status).toBe(303)
      expect((await phone.get(`${BASE}/admin/users`)).status).toBe(303)
      expect((await new ConsoleClient(app).signIn(BASE, second.email)).status).toBe(401)
      await signedIn(app, second.email, 'the new long password')
      const row = (await app.store.audit.list(acme.org.id, { kind: 'admin', limit: 50 })).find(
        (e) => e.action === 'admin.password_changed',
      )
      expect(row?.subject).toBe(second.id)
      expect(JSON.parse(row?.data ?? '{}')).toMatchObject({ endedSessions: 2 })
    },
    SLOW,
  )

  test(
    'an admin changing their own password by cookie keeps that session; the others end',
    async () => {
      const { app, acme, second } = await setUp()
      const laptop = await signedIn(app, second.email)
      const phone = await signedIn(app, second.email)
      const csrf = (await laptop.page(`${BASE}/admin/users`)).csrf
      const changed = await call(
        app,
        'PUT',
        `/acme/admins/${second.id}/password`,
        { cookie: laptop.cookieHeader, 'x-csrf-token': csrf },
        { password: 'the new long password' },
      )
      expect(changed.status).toBe(204)
      expect((await laptop.get(`${BASE}/admin/users`)).status).toBe(200)
      expect((await phone.get(`${BASE}/admin/users`)).status).toBe(303)
      expect(adminRows(app, second.id)).toBe(1)
      const row = (await app.store.audit.list(acme.org.id, { kind: 'admin', limit: 50 })).find(
        (e) => e.action === 'admin.password_changed',
      )
      // Who did it: the admin, by id and by email.
      expect(row?.actor).toBe(`admin:${second.id}`)
      expect(JSON.parse(row?.data ?? '{}')).toMatchObject({ actorEmail: second.email, endedSessions: 1 })
    },
    SLOW,
  )
})

describe('/docs/json', () => {
  test(
    'documents the access routes with their models',
    async () => {
      const { app } = await setUp()
      const doc = (await (await app.request('/docs/json')).json()) as Body
      const keys = doc.paths['/api/v1/orgs/{slug}/api-keys']
      expect(keys.get.tags).toEqual(['Access'])
      expect(keys.post.responses['201']).toBeDefined()
      expect(doc.paths['/api/v1/orgs/{slug}/api-keys/{id}'].delete.responses['204']).toBeDefined()
      const admin = doc.paths['/api/v1/orgs/{slug}/admins/{id}']
      expect(admin.delete.responses['409']).toBeDefined()
      expect(doc.paths['/api/v1/orgs/{slug}/admins/{id}/password'].put.requestBody).toBeDefined()
    },
    SLOW,
  )
})
