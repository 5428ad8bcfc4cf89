/**
 * Users, Groups and roles, Duplicates and Audit log pages in process, with people pushed through the
 * real SCIM API and a real scheduler draining the sync: search and paging, escaping of names that
 * came from Okta, role mapping, duplicate preview and merge, audit filtering, and empty states.
 */
import { describe, expect, test } from 'bun:test'
import { createLocalUser } from '../../src/admin/services/users.ts'
import { silentLogger } from '../../src/observability/log.ts'
import { createScheduler } from '../../src/sync/scheduler.ts'
import { mappingsFromForm } from '../../src/web/directory-pages.ts'
import { createTestApp, seedOrg, type TestApp } from '../support/app.ts'
import { setUpIntegration } from '../support/integration.ts'
import { ConsoleClient, seedAdmin } from './console-client.ts'

const BASE = '/orgs/acme'

async function scim(app: TestApp, token: string, path: string, body: unknown) {
  const response = await app.request(`${BASE}/okta/scim${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
    body: JSON.stringify(body),
  })
  if (response.status !== 201) throw new Error(`SCIM ${path}: ${response.status} ${await response.text()}`)
  return (await response.json()) as { id: string }
}

const scimUser = (userName: string, given: string, family: string) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  userName,
  name: { givenName: given, familyName: family },
  emails: [{ value: userName, primary: true, type: 'work' }],
  active: true,
})

async function world() {
  const app = createTestApp()
  const seeded = await seedOrg(app.store, 'acme')
  const { scimToken } = await setUpIntegration(app, 'acme', seeded.auth)
  const scheduler = createScheduler({ store: app.store, log: silentLogger, config: app.config })
  const admin = await seedAdmin(app, 'acme')
  const client = new ConsoleClient(app)
  await client.signIn(BASE, admin.email)
  return { app, org: seeded.org, scimToken, scheduler, client }
}

describe('users page', () => {
  test('an empty org says how people get here', async () => {
    const { client } = await world()
    const { html } = await client.page(`${BASE}/admin/users`)
    expect(html).toContain('No users yet — assign people in Okta.')
  })

  test('lists provisioned and local people, escapes names, searches and pages', async () => {
    const { app, org, scimToken, scheduler, client } = await world()
    const ada = await scim(
      app,
      scimToken,
      '/Users',
      scimUser('ada@acme.example', '<script>alert(1)</script>', '"Lovelace"'),
    )
    for (let i = 0; i < 55; i++)
      await scim(app, scimToken, '/Users', scimUser(`user${i}@acme.example`, 'User', String(i)))
    await scim(app, scimToken, '/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'Engineering & <Ops>',
      members: [{ value: ada.id }],
    })
    await createLocalUser(app.store, org.id, { email: 'grace@acme.example', name: 'Grace Hopper' }, 'test')
    await scheduler.drain()

    const first = await client.page(`${BASE}/admin/users`)
    expect(first.html.match(/<tr>/g)?.length).toBe(51) // header + 50 rows
    const next = /href="([^"]+)" rel="next"/.exec(first.html)?.[1]?.replace(/&amp;/g, '&')
    expect(next).toContain('cursor=')
    const second = await client.page(next as string)
    expect(second.html.match(/<tr>/g)?.length).toBe(1 + 57 - 50)
    expect(second.html).toContain('First page')
    // Accounts made in one scheduler batch share a creation time, so Ada may be on either page.
    const both = first.html + second.html
    expect(both).not.toContain('<script>alert(1)')
    expect(both).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &quot;Lovelace&quot;')
    expect(both).toContain('Engineering &amp; &lt;Ops&gt;')

    const found = await client.page(`${BASE}/admin/users?q=grace`)
    expect(found.html).toContain('Grace Hopper')
    expect(found.html).toContain('<td>Local</td>')
    expect(found.html.match(/<tr>/g)?.length).toBe(2)
    const none = await client.page(`${BASE}/admin/users?q=nobody-here`)
    expect(none.html).toContain('No users match this search.')
    const okta = await client.page(`${BASE}/admin/users?source=local`)
    expect(okta.html.match(/<tr>/g)?.length).toBe(2)
  })
})

describe('groups and roles page', () => {
  test('shows member counts and maps a group to a role, which the reconcile applies', async () => {
    const { app, org, scimToken, scheduler, client } = await world()
    const ada = await scim(app, scimToken, '/Users', scimUser('ada@acme.example', 'Ada', 'Lovelace'))
    await scim(app, scimToken, '/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'Admins',
      members: [{ value: ada.id }],
    })
    await scheduler.drain()
    const page = await client.page(`${BASE}/admin/groups`)
    expect(page.html).toMatch(/<label for="role-0">Admins<\/label>[\s\S]*?<td>1<\/td>/)
    const saved = await client.post(`${BASE}/admin/groups/mappings`, {
      _csrf: page.csrf,
      'group-0': 'Admins',
      'role-0': 'admin',
      newGroup: 'Later Group',
      newRole: 'member',
    })
    expect(saved.status).toBe(303)
    await scheduler.drain()
    expect((await app.store.accounts.byScimUser(org.id, ada.id))?.role).toBe('admin')
    const after = await client.page(`${BASE}/admin/groups?saved=1`)
    expect(after.html).toContain('Role mappings saved')
    expect(after.html).toContain('Later Group')
    expect(after.html).toContain('not pushed yet')
    const users = await client.page(`${BASE}/admin/users`)
    expect(users.html).toContain('<td>admin</td>')
  })

  test('the form maps rows onto the current mappings; an empty role removes one', () => {
    const current = [
      { group: 'Admins', role: 'admin' as const },
      { group: 'Elsewhere', role: 'member' as const },
    ]
    expect(
      mappingsFromForm(current, { 'group-0': 'admins', 'role-0': '', newGroup: ' New ', newRole: 'admin' }),
    ).toEqual([
      { group: 'Elsewhere', role: 'member' },
      { group: 'New', role: 'admin' },
    ])
  })
})

describe('duplicates page', () => {
  test('previews the merge, then merges the pair into the older account', async () => {
    const { app, org, scimToken, scheduler, client } = await world()
    const local = await createLocalUser(
      app.store,
      org.id,
      { email: 'Grace@Acme.example', name: 'Grace Hopper' },
      'test',
    )
    const empty = await client.page(`${BASE}/admin/duplicates`)
    expect(empty.html).toContain('No duplicates — nothing to merge.')
    const provisioned = await scim(
      app,
      scimToken,
      '/Users',
      scimUser('grace@acme.example', 'Grace', 'Hopper'),
    )
    await scheduler.drain()
    const page = await client.page(`${BASE}/admin/duplicates`)
    expect(page.html).toContain('<td>same email</td>')
    expect(page.html).toContain('A re-sync would merge 1 pair:')
    expect((await app.store.accounts.byId(org.id, local.id))?.scim_user_id).toBeNull()
    const merged = await client.post(`${BASE}/admin/duplicates/merge`, { _csrf: page.csrf })
    expect(merged.status).toBe(303)
    expect(merged.headers.get('location')).toBe(`${BASE}/admin/duplicates?merged=1`)
    expect((await app.store.accounts.byId(org.id, local.id))?.scim_user_id).toBe(provisioned.id)
    const after = await client.page(`${BASE}/admin/duplicates?merged=1`)
    expect(after.html).toContain('1 pair merged')
    expect(after.html).toContain('No duplicates — nothing to merge.')
  })
})

describe('audit log page', () => {
  test('newest first, filtered by kind, escaped', async () => {
    const { app, org, client } = await world()
    await app.store.audit.record({
      orgId: org.id,
      kind: 'saml',
      action: 'saml.sign_in',
      outcome: 'failure',
      reason: '<img src=x onerror=alert(1)>',
    })
    const all = await client.page(`${BASE}/admin/audit`)
    const actions = [...all.html.matchAll(/<td>([a-z_.]+)(?:<details>|<\/td>)/g)].map((m) => m[1])
    expect(actions[0]).toBe('saml.sign_in')
    expect(actions).toContain('integration.created')
    expect(all.html).toContain('&lt;img src=x onerror=alert(1)&gt;')
    const saml = await client.page(`${BASE}/admin/audit?kind=saml`)
    expect(saml.html).toContain('saml.sign_in')
    expect(saml.html).not.toContain('integration.created')
    const scimOnly = await client.page(`${BASE}/admin/audit?kind=scim`)
    expect(scimOnly.html).toContain('No SCIM entries yet.')
  })
})
