/**
 * The admin API over the scheduler: the events feed (ordered, cursor, no gaps), users pagination and
 * filters, the audit log, `/metrics`, the OpenAPI docs, and org isolation on every route.
 */
import { describe, expect, test } from 'bun:test'
import { METRICS_AUTH } from '../support/app.ts'
import { api, type Body, syncedOrg, syncTestbed } from './setup.ts'

describe('admin API over the scheduler', () => {
  test('events: ordered per org, followed with after=nextCursor without gaps or repeats', async () => {
    const { app, scheduler, acme } = await syncTestbed()
    const group = await acme.dir.group('Team')
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push(await acme.dir.user({ userName: `e${i}@acme.example` }))
    await acme.dir.addMembers(group, ids)
    await scheduler.drain()
    const seen: Body[] = []
    let cursor = ''
    for (let i = 0; i < 10; i++) {
      const page = await api(
        app,
        acme.auth,
        `/api/v1/orgs/acme/events?limit=3${cursor ? `&after=${cursor}` : ''}`,
      )
      expect(page.status).toBe(200)
      seen.push(...page.body.events)
      if (page.body.events.length === 0) {
        expect(page.body.nextCursor).toBe(cursor)
        break
      }
      cursor = page.body.nextCursor
    }
    expect(seen.map((e) => e.type)).toEqual([
      'group.created',
      ...ids.map(() => 'account.created'),
      ...ids.map(() => 'membership.added'),
    ])
    const idsSeen = seen.map((e) => e.id)
    expect([...idsSeen].sort((a, b) => a - b)).toEqual(idsSeen)
    expect(new Set(idsSeen).size).toBe(idsSeen.length)
    expect(seen[1]).toMatchObject({
      accountId: expect.any(String),
      data: { email: 'e0@acme.example', role: 'member' },
    })
    expect(seen[6]).toMatchObject({ groupId: group, data: { group: 'Team' } })
    const bad = await api(app, acme.auth, '/api/v1/orgs/acme/events?after=abc')
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'INVALID_INPUT', field: 'after' } } })
  })

  test('users: filters, limit bounds and opaque cursor', async () => {
    const { app, scheduler, acme } = await syncTestbed()
    await acme.dir.users(
      Array.from({ length: 7 }, (_, i) => ({ userName: `p${i}@acme.example`, displayName: `Person ${i}` })),
    )
    const off = await acme.dir.user({ userName: 'off@acme.example' })
    await api(app, acme.auth, '/api/v1/orgs/acme/users', {
      method: 'POST',
      body: { email: 'loc@acme.example', name: 'Local Person' },
    })
    await scheduler.drain()
    await acme.dir.user({ id: off, userName: 'off@acme.example', active: false })
    await scheduler.drain()
    const all: string[] = []
    let cursor: string | null = null
    do {
      const page: Body = await api(
        app,
        acme.auth,
        `/api/v1/orgs/acme/users?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      )
      expect(page.body.items.length).toBeLessThanOrEqual(3)
      all.push(...page.body.items.map((u: Body) => u.email))
      cursor = page.body.nextCursor
    } while (cursor)
    expect(all).toHaveLength(9)
    expect(new Set(all).size).toBe(9)
    const local = await api(app, acme.auth, '/api/v1/orgs/acme/users?source=local')
    expect(local.body.items.map((u: Body) => u.email)).toEqual(['loc@acme.example'])
    const inactive = await api(app, acme.auth, '/api/v1/orgs/acme/users?active=false')
    expect(inactive.body.items.map((u: Body) => u.email)).toEqual(['off@acme.example'])
    const search = await api(app, acme.auth, '/api/v1/orgs/acme/users?q=person%203')
    expect(search.body.items.map((u: Body) => u.email)).toEqual(['p3@acme.example'])
    const wildcard = await api(app, acme.auth, '/api/v1/orgs/acme/users?q=%25')
    expect(wildcard.body.items).toEqual([])
    for (const query of [
      'limit=0',
      'limit=1001',
      'cursor=garbage',
      'active=yes',
      'source=ldap',
      'unknown=1',
    ]) {
      const response = await api(app, acme.auth, `/api/v1/orgs/acme/users?${query}`)
      expect(response.status).toBe(400)
      expect(response.body.error.code).toBe('INVALID_INPUT')
    }
  })

  test('audit: newest first, by kind, paginated', async () => {
    const { app, scheduler, acme } = await syncTestbed()
    const id = await acme.dir.user({ userName: 'aud@acme.example' })
    await scheduler.drain()
    await acme.dir.user({ id, userName: 'aud@acme.example', active: false })
    await scheduler.drain()
    const sync = await api(app, acme.auth, '/api/v1/orgs/acme/audit?kind=sync&limit=2')
    expect(sync.body.items.every((a: Body) => a.kind === 'sync')).toBe(true)
    expect(sync.body.items[0].id).toBeGreaterThan(sync.body.items[1].id)
    const next = await api(
      app,
      acme.auth,
      `/api/v1/orgs/acme/audit?kind=sync&limit=2&cursor=${sync.body.nextCursor}`,
    )
    expect(next.body.items[0].id).toBeLessThan(sync.body.items[1].id)
    const actions = (await api(app, acme.auth, '/api/v1/orgs/acme/audit?limit=1000')).body.items.map(
      (a: Body) => a.action,
    )
    expect(actions).toContain('account.deactivated')
    expect(actions).toContain('sync.batch')
    expect(actions).toContain('integration.created')
    expect((await api(app, acme.auth, '/api/v1/orgs/acme/audit?kind=nope')).status).toBe(400)
  })

  test('/metrics exposes lag, pending changes and reconcile progress per org', async () => {
    const { app, scheduler, acme } = await syncTestbed()
    await acme.dir.user({ userName: 'm@acme.example' })
    let text = await (await app.request('/metrics', { headers: METRICS_AUTH })).text()
    expect(text).toContain('okta_bridge_sync_pending_changes{org="acme"} 1')
    expect(text).toMatch(/okta_bridge_sync_lag_seconds\{org="acme"\} [0-9.]+/)
    await scheduler.drain()
    text = await (await app.request('/metrics', { headers: METRICS_AUTH })).text()
    expect(text).toContain('okta_bridge_sync_pending_changes{org="acme"} 0')
    expect(text).toContain('okta_bridge_sync_lag_seconds{org="acme"} 0')
    expect(text).toMatch(/okta_bridge_sync_last_batch_seconds\{kind="feed"\} [0-9.e-]+/)
    expect(text).toContain('okta_bridge_sync_reconcile_running{org="acme"} 0')
  })

  test('every route is documented and sealed to its own org', async () => {
    const { app, acme } = await syncTestbed()
    const globex = await syncedOrg(app, 'globex')
    await globex.dir.user({ userName: 'secret@globex.example' })
    const docs = (await (await app.request('/docs/json')).json()) as Body
    const routes = ['users', 'groups', 'role-mappings', 'duplicates', 'resync', 'sync', 'events', 'audit']
    for (const route of routes) expect(docs.paths[`/api/v1/orgs/{slug}/${route}`]).toBeDefined()
    expect(docs.paths['/api/v1/orgs/{slug}/users'].get.tags).toEqual(['Directory'])
    expect(docs.paths['/api/v1/orgs/{slug}/events'].get.tags).toEqual(['Sync'])
    for (const route of routes) {
      const method = route === 'resync' ? 'POST' : 'GET'
      const cross = await api(app, acme.auth, `/api/v1/orgs/globex/${route}`, { method })
      expect(cross.status).toBe(404)
      expect(cross.body.error.code).toBe('ORG_NOT_FOUND')
      const anonymous = await app.request(`/api/v1/orgs/acme/${route}`, { method })
      expect(anonymous.status).toBe(401)
    }
  })
})
