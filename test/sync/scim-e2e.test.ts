/**
 * End to end through the real SCIM API: Okta-shaped requests provision users and groups, the real
 * scheduler turns them into accounts, roles and events; a deactivation PATCH ends sessions.
 */
import { describe, expect, test } from 'bun:test'
import { verifySession } from '../../src/sessions/service.ts'
import { accountOf, api, type Body, eventTypes, signIn, syncTestbed } from './setup.ts'

const SCIM = 'application/scim+json'

function scim(app: Parameters<typeof api>[0], token: string, method: string, path: string, body?: unknown) {
  return app.request(`/orgs/acme/okta/scim${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': SCIM, accept: SCIM },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
}

const oktaUser = (userName: string, givenName: string, familyName: string) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  userName,
  name: { givenName, familyName },
  emails: [{ primary: true, value: userName, type: 'work' }],
  displayName: `${givenName} ${familyName}`,
  locale: 'en-US',
  externalId: `00u${givenName}`,
  groups: [],
  password: 'not-stored-1A!',
  active: true,
})

describe('provisioning through SCIM HTTP', () => {
  test('users, groups and a deactivation flow into accounts, roles, sessions and events', async () => {
    const { app, store, scheduler, acme } = await syncTestbed()
    const token = acme.scimToken
    const call = (method: string, path: string, body?: unknown) => scim(app, token, method, path, body)
    const created = await call('POST', '/Users', oktaUser('Ada.Lovelace@acme.example', 'Ada', 'Lovelace'))
    expect(created.status).toBe(201)
    const ada = ((await created.json()) as { id: string }).id
    const bob = (
      (await (await call('POST', '/Users', oktaUser('bob@acme.example', 'Bob', 'Builder'))).json()) as {
        id: string
      }
    ).id
    await api(app, acme.auth, '/api/v1/orgs/acme/role-mappings', {
      method: 'PUT',
      body: { mappings: [{ group: 'Okta Admins', role: 'admin' }] },
    })
    const group = await call('POST', '/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'Okta Admins',
      members: [{ value: ada }],
    })
    expect(group.status).toBe(201)
    const groupId = ((await group.json()) as { id: string }).id
    await scheduler.drain()
    const adaAccount = (await accountOf(store, acme.org.id, ada))!
    expect(adaAccount).toMatchObject({
      email: 'Ada.Lovelace@acme.example',
      name: 'Ada Lovelace',
      role: 'admin',
      source: 'okta',
    })
    expect((await accountOf(store, acme.org.id, bob))?.role).toBe('member')

    // Okta's group push: PATCH add/remove members.
    const patch = await call('PATCH', `/Groups/${groupId}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [
        { op: 'remove', path: `members[value eq "${ada}"]` },
        { op: 'add', path: 'members', value: [{ value: bob }] },
      ],
    })
    expect([200, 204]).toContain(patch.status)
    await scheduler.drain()
    expect((await accountOf(store, acme.org.id, ada))?.role).toBe('member')
    expect((await accountOf(store, acme.org.id, bob))?.role).toBe('admin')

    // Okta's deactivation: PATCH active=false.
    const session = await signIn(store, acme.org.id, adaAccount.id)
    const deactivate = await call('PATCH', `/Users/${ada}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', value: { active: false } }],
    })
    expect(deactivate.status).toBe(200)
    await scheduler.drain()
    expect((await accountOf(store, acme.org.id, ada))?.active).toBe(0)
    expect(await verifySession(store, session.token, acme.org.id, 'user')).toBeNull()
    const users = await api(app, acme.auth, '/api/v1/orgs/acme/users?active=false')
    expect(users.body.items.map((u: Body) => u.email)).toEqual(['Ada.Lovelace@acme.example'])

    expect(await eventTypes(store, acme.org.id)).toEqual([
      'account.created',
      'account.created',
      'group.created',
      'membership.added',
      'membership.removed',
      'membership.added',
      'account.role_changed',
      'account.role_changed',
      'account.deactivated',
    ])
    const status = await api(app, acme.auth, '/api/v1/orgs/acme/okta')
    expect(status.body.sync).toMatchObject({ lagSeconds: 0, pendingChanges: 0 })
  })
})
