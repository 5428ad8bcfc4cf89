/**
 * Issue 9, "every credential can be revoked", in the console (Settings → Access), in process with
 * real forms and CSRF tokens: API keys listed, created (shown once) and revoked (the key's next API
 * request is 401); admins added (a generated password shown once) and removed (their next page is
 * sign-in; the last admin stays); the signed-in admin's own password changed (this session stays,
 * the others end).
 */
import { describe, expect, test } from 'bun:test'
import { createTestApp, seedOrg, type TestApp } from '../support/app.ts'
import { ADMIN_PASSWORD, ConsoleClient, seedAdmin } from '../web/console-client.ts'

// Each test hashes and checks a few argon2id passwords (or spawns the binary): room on a busy machine.
const SLOW = 30_000

const BASE = '/orgs/acme'
const ACCESS = `${BASE}/admin/access`

async function setUp() {
  const app = createTestApp()
  const acme = await seedOrg(app.store, 'acme')
  const first = await seedAdmin(app, 'acme', 'first@acme.example')
  const second = await seedAdmin(app, 'acme', 'second@acme.example')
  const client = await signedIn(app, first.email)
  return { app, acme, first, second, client }
}

async function signedIn(app: TestApp, email: string, password = ADMIN_PASSWORD): Promise<ConsoleClient> {
  const client = new ConsoleClient(app)
  expect((await client.signIn(BASE, email, password)).status).toBe(303)
  return client
}

const apiStatus = async (app: TestApp, key: string) =>
  (await app.request('/api/v1/orgs/acme/users', { headers: { authorization: `Bearer ${key}` } })).status

describe('Settings → Access', () => {
  test(
    'is in the navigation and lists keys and admins, never a secret',
    async () => {
      const { app, acme, client } = await setUp()
      const page = await client.page(ACCESS)
      expect(page.status).toBe(200)
      expect(page.html).toContain(`<a href="${ACCESS}" aria-current="page">Access</a>`)
      expect(page.html).toMatch(/<table id="api-keys">[\s\S]*default[\s\S]*<\/table>/)
      expect(page.html).toMatch(/<table id="admins">[\s\S]*first@acme\.example[\s\S]*second@acme\.example/)
      expect(page.html).not.toContain(acme.apiKey)
      expect(page.html).not.toContain((await app.store.apiKeys.list(acme.org.id))[0]?.key_hash as string)
      // Linked from every other console page too.
      expect((await client.page(`${BASE}/admin/users`)).html).toContain(`href="${ACCESS}"`)
    },
    SLOW,
  )

  test(
    'create a key: shown once, it works; revoke it: its next request is 401',
    async () => {
      const { app, client } = await setUp()
      const { csrf } = await client.page(ACCESS)
      const created = await client.post(`${ACCESS}/api-keys`, { _csrf: csrf, keyName: '<b>tf-prod</b>' })
      expect(created.status).toBe(200)
      expect(created.headers.get('cache-control')).toBe('no-store')
      const html = await created.text()
      const key = /<code id="api-key"[^>]*>(okb_key_[^<]+)<\/code>/.exec(html)?.[1] as string
      expect(key).toBeString()
      expect(html).toContain('you will not see this again')
      expect(html).toContain('&lt;b&gt;tf-prod&lt;/b&gt;')
      expect(html).not.toContain('<b>tf-prod</b>')
      expect(await apiStatus(app, key)).toBe(200)
      expect((await client.page(ACCESS)).html).not.toContain(key)

      const acmeId = (await app.store.orgs.bySlug('acme'))?.id as string
      const id = (await app.store.apiKeys.list(acmeId)).find((k) => k.name === '<b>tf-prod</b>')?.id as string
      // A form without this session's token changes nothing.
      const forged = await client.post(`${ACCESS}/api-keys/${id}/revoke`, { _csrf: 'not-the-token' })
      expect(forged.status).toBe(403)
      expect(await apiStatus(app, key)).toBe(200)

      const revoked = await client.post(`${ACCESS}/api-keys/${id}/revoke`, { _csrf: csrf })
      expect(revoked.status).toBe(303)
      expect(revoked.headers.get('location')).toBe(`${ACCESS}?revoked=1`)
      expect(await apiStatus(app, key)).toBe(401)
      const after = await client.page(`${ACCESS}?revoked=1`)
      expect(after.html).toContain('The API key is revoked')
      expect(after.html).not.toContain('tf-prod')
      const audit = await app.store.audit.list(acmeId, { kind: 'admin', limit: 50 })
      expect(audit.find((e) => e.action === 'api_key.revoked')).toMatchObject({ subject: id })
      expect(JSON.parse(audit.find((e) => e.action === 'api_key.revoked')?.data ?? '{}')).toMatchObject({
        actorEmail: 'first@acme.example',
      })
      // Revoking it again: a page saying so, not a 500.
      const again = await client.post(`${ACCESS}/api-keys/${id}/revoke`, { _csrf: csrf })
      expect(again.status).toBe(404)
      expect(await again.text()).toContain('not found')
    },
    SLOW,
  )

  test(
    'a key name that is too long is a field error on the page',
    async () => {
      const { client } = await setUp()
      const { csrf } = await client.page(ACCESS)
      const response = await client.post(`${ACCESS}/api-keys`, { _csrf: csrf, keyName: 'x'.repeat(101) })
      expect(response.status).toBe(400)
      const html = await response.text()
      expect(html).toContain('name must be at most 100 characters')
      expect(html).toContain('aria-invalid="true"')
    },
    SLOW,
  )

  test(
    'add an admin with a generated password (shown once) or a chosen one',
    async () => {
      const { app, client } = await setUp()
      const { csrf } = await client.page(ACCESS)
      const generated = await client.post(`${ACCESS}/admins`, {
        _csrf: csrf,
        email: 'ops@acme.example',
        adminPassword: '',
      })
      expect(generated.status).toBe(200)
      const password = /<code id="admin-password"[^>]*>([^<]+)<\/code>/.exec(
        await generated.text(),
      )?.[1] as string
      expect(password.length).toBeGreaterThanOrEqual(16)
      await signedIn(app, 'ops@acme.example', password)

      const chosen = await client.post(`${ACCESS}/admins`, {
        _csrf: csrf,
        email: 'dev@acme.example',
        adminPassword: 'a long enough password',
      })
      expect(chosen.status).toBe(303)
      expect(chosen.headers.get('location')).toBe(`${ACCESS}?added=1`)
      await signedIn(app, 'dev@acme.example', 'a long enough password')

      const dup = await client.post(`${ACCESS}/admins`, { _csrf: csrf, email: 'OPS@acme.example' })
      expect(dup.status).toBe(409)
      expect(await dup.text()).toContain('already exists')
      const short = await client.post(`${ACCESS}/admins`, {
        _csrf: csrf,
        email: 'x@acme.example',
        adminPassword: 'short',
      })
      expect(short.status).toBe(400)
      expect(await short.text()).toMatch(/id="f-adminPassword-error">password must be at least 12 characters/)
    },
    SLOW,
  )

  test(
    'remove an admin: their next page is sign-in; the last admin has no button and is refused',
    async () => {
      const { app, first, second, client } = await setUp()
      const other = await signedIn(app, second.email)
      expect((await other.get(`${BASE}/admin/users`)).status).toBe(200)
      const { csrf, html } = await client.page(ACCESS)
      expect(html).toContain(`action="${ACCESS}/admins/${second.id}/remove"`)

      const removed = await client.post(`${ACCESS}/admins/${second.id}/remove`, { _csrf: csrf })
      expect(removed.status).toBe(303)
      expect(removed.headers.get('location')).toBe(`${ACCESS}?removed=1`)
      const next = await other.get(`${BASE}/admin/users`)
      expect(next.status).toBe(303)
      expect(next.headers.get('location')).toStartWith(`${BASE}/admin/login`)

      const alone = await client.page(ACCESS)
      expect(alone.html).not.toContain('/remove"')
      expect(alone.html).toContain('the only admin')
      // A hand-made post still hits the service's rule.
      const last = await client.post(`${ACCESS}/admins/${first.id}/remove`, { _csrf: csrf })
      expect(last.status).toBe(409)
      expect(await last.text()).toContain('is the only admin')
      expect((await client.get(`${BASE}/admin/users`)).status).toBe(200)
    },
    SLOW,
  )

  test(
    'removing yourself signs you out',
    async () => {
      const { first, client } = await setUp()
      const { csrf } = await client.page(ACCESS)
      const removed = await client.post(`${ACCESS}/admins/${first.id}/remove`, { _csrf: csrf })
      expect(removed.status).toBe(303)
      expect(removed.headers.get('location')).toBe(`${BASE}/admin/login`)
      expect(client.cookies.has('okb_admin')).toBe(false)
      expect((await client.get(`${BASE}/admin/users`)).status).toBe(303)
    },
    SLOW,
  )

  test(
    'change your own password: this session stays, your other sessions end',
    async () => {
      const { app, first, client } = await setUp()
      const phone = await signedIn(app, first.email)
      const { csrf } = await client.page(ACCESS)
      const form = (fields: Record<string, string>) =>
        client.post(`${ACCESS}/password`, { _csrf: csrf, ...fields })

      const wrong = await form({
        currentPassword: 'not my password',
        newPassword: 'the new long password',
        confirmPassword: 'the new long password',
      })
      expect(wrong.status).toBe(400)
      expect(await wrong.text()).toContain('That is not your current password.')
      const mismatch = await form({
        currentPassword: ADMIN_PASSWORD,
        newPassword: 'the new long password',
        confirmPassword: 'the new long passwort',
      })
      expect(mismatch.status).toBe(400)
      const short = await form({
        currentPassword: ADMIN_PASSWORD,
        newPassword: 'short',
        confirmPassword: 'short',
      })
      expect(short.status).toBe(400)
      expect(await short.text()).toContain('password must be at least 12 characters')
      expect((await phone.get(`${BASE}/admin/users`)).status).toBe(200)

      const changed = await form({
        currentPassword: ADMIN_PASSWORD,
        newPassword: 'the new long password',
        confirmPassword: 'the new long password',
      })
      expect(changed.status).toBe(303)
      expect(changed.headers.get('location')).toBe(`${ACCESS}?password=1`)
      expect((await client.get(`${BASE}/admin/users`)).status).toBe(200)
      expect((await phone.get(`${BASE}/admin/users`)).status).toBe(303)
      expect((await new ConsoleClient(app).signIn(BASE, first.email)).status).toBe(401)
      await signedIn(app, first.email, 'the new long password')
    },
    SLOW,
  )

  test(
    'without a session the page and its forms lead to sign-in',
    async () => {
      const { app, second } = await setUp()
      const anonymous = new ConsoleClient(app)
      const page = await anonymous.get(ACCESS)
      expect(page.status).toBe(303)
      expect(page.headers.get('location')).toBe(`${BASE}/admin/login?next=${encodeURIComponent(ACCESS)}`)
      const post = await anonymous.post(`${ACCESS}/admins/${second.id}/remove`, { _csrf: 'x' })
      expect(post.status).toBe(303)
      expect(await app.store.admins.count((await app.store.orgs.bySlug('acme'))?.id as string)).toBe(2)
    },
    SLOW,
  )
})
