/**
 * Role mappings through the admin API and the scheduler: highest role wins, default member,
 * recomputed when memberships, group names or the mappings change.
 */
import { describe, expect, test } from 'bun:test'
import { accountOf, api, eventTypes, syncTestbed } from './setup.ts'

describe('group → role mappings', () => {
  test('PUT replaces the mappings; GET reads them; bad input is a 400 in the admin format', async () => {
    const { app, acme } = await syncTestbed()
    const url = '/api/v1/orgs/acme/role-mappings'
    expect((await api(app, acme.auth, url)).body).toEqual({ mappings: [] })
    const put = await api(app, acme.auth, url, {
      method: 'PUT',
      body: {
        mappings: [
          { group: 'Okta Admins', role: 'admin' },
          { group: 'Everyone', role: 'member' },
        ],
      },
    })
    expect(put.status).toBe(200)
    expect((await api(app, acme.auth, url)).body.mappings).toEqual([
      { group: 'Everyone', role: 'member' },
      { group: 'Okta Admins', role: 'admin' },
    ])
    const badRole = await api(app, acme.auth, url, {
      method: 'PUT',
      body: { mappings: [{ group: 'X', role: 'owner' }] },
    })
    expect(badRole.status).toBe(400)
    expect(badRole.body.error.code).toBe('INVALID_INPUT')
    const twice = await api(app, acme.auth, url, {
      method: 'PUT',
      body: {
        mappings: [
          { group: 'Admins', role: 'admin' },
          { group: 'ADMINS', role: 'member' },
        ],
      },
    })
    expect(twice.status).toBe(400)
    expect(twice.body.error.field).toBe('mappings.1.group')
    const unknown = await api(app, acme.auth, url, { method: 'PUT', body: { mappings: [], extra: 1 } })
    expect(unknown.status).toBe(400)
    expect((await api(app, acme.auth, url)).body.mappings).toHaveLength(2)
  })

  test('memberships, renames, deletions and mapping changes recompute roles', async () => {
    const { app, store, scheduler, acme } = await syncTestbed()
    const orgId = acme.org.id
    await api(app, acme.auth, '/api/v1/orgs/acme/role-mappings', {
      method: 'PUT',
      body: {
        mappings: [
          { group: 'okta admins', role: 'admin' },
          { group: 'Engineers', role: 'member' },
        ],
      },
    })
    const admins = await acme.dir.group('Okta Admins')
    const engineers = await acme.dir.group('Engineers')
    const ada = await acme.dir.user({ userName: 'ada@acme.example' })
    const bob = await acme.dir.user({ userName: 'bob@acme.example' })
    await acme.dir.addMembers(engineers, [ada, bob])
    await acme.dir.addMembers(admins, [ada])
    await scheduler.drain()
    expect((await accountOf(store, orgId, ada))?.role).toBe('admin')
    expect((await accountOf(store, orgId, bob))?.role).toBe('member')

    await acme.dir.removeMembers(admins, [ada])
    await scheduler.drain()
    expect((await accountOf(store, orgId, ada))?.role).toBe('member')

    await acme.dir.addMembers(admins, [bob])
    await scheduler.drain()
    expect((await accountOf(store, orgId, bob))?.role).toBe('admin')
    // Renamed out of the mapping → no longer admin.
    await acme.dir.group('Former Admins', admins)
    await scheduler.drain()
    expect((await accountOf(store, orgId, bob))?.role).toBe('member')
    await acme.dir.group('Okta Admins', admins)
    await scheduler.drain()
    expect((await accountOf(store, orgId, bob))?.role).toBe('admin')
    await acme.dir.deleteGroup(admins)
    await scheduler.drain()
    expect((await accountOf(store, orgId, bob))?.role).toBe('member')

    // Changing the mapping recomputes everyone.
    await api(app, acme.auth, '/api/v1/orgs/acme/role-mappings', {
      method: 'PUT',
      body: { mappings: [{ group: 'Engineers', role: 'admin' }] },
    })
    await scheduler.drain()
    expect((await accountOf(store, orgId, ada))?.role).toBe('admin')
    expect((await accountOf(store, orgId, bob))?.role).toBe('admin')

    const types = await eventTypes(store, orgId)
    expect(types.filter((t) => t === 'account.role_changed')).toHaveLength(7)
    expect(types.filter((t) => t === 'group.created')).toHaveLength(2)
    expect(types.filter((t) => t === 'group.updated')).toHaveLength(2)
    expect(types.filter((t) => t === 'group.deleted')).toHaveLength(1)
    const groups = await api(app, acme.auth, '/api/v1/orgs/acme/groups')
    expect(groups.body.items).toEqual([
      expect.objectContaining({ id: engineers, displayName: 'Engineers', memberCount: 2, role: 'admin' }),
    ])
    const users = await api(app, acme.auth, '/api/v1/orgs/acme/users?email=ADA@acme.example')
    expect(users.body.items[0]).toMatchObject({ role: 'admin', groups: ['Engineers'] })
  })
})
