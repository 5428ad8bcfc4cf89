/**
 * Removing the integration deletes exactly what the dry run counted — the accounts it created and
 * the provisioned users that never became one — in batches with progress; pre-existing (merged or
 * waiting) accounts stay and lose the Okta link; another org is not touched.
 */
import { describe, expect, test } from 'bun:test'
import type { SqliteStore } from '../../src/store/index.ts'
import { setUpIntegration } from '../support/integration.ts'
import { api, type Body, eventTypes, signIn, syncedOrg, syncTestbed } from './setup.ts'

/** Rows of any table for one org: a SQLite-only inspection of the file. */
const count = (store: SqliteStore, table: string, orgId: string) =>
  (store.engine.db.query(`SELECT count(*) AS n FROM ${table} WHERE org_id = ?`).get(orgId) as { n: number }).n

describe('integration removal', () => {
  test('deletes only integration-created users, counts equal the dry run, other org untouched', async () => {
    const { app, store, scheduler, acme } = await syncTestbed({ removalBatchSize: 7 })
    const globex = await syncedOrg(app, 'globex')
    const orgId = acme.org.id
    // acme: 20 provisioned users (2 inactive before sync → account-less), 1 merged local, 1 waiting duplicate.
    const merged = await api(app, acme.auth, '/api/v1/orgs/acme/users', {
      method: 'POST',
      body: { email: 'merged@acme.example', name: 'Merged' },
    })
    const waiting = await api(app, acme.auth, '/api/v1/orgs/acme/users', {
      method: 'POST',
      body: { email: 'waiting@acme.example', name: 'Waiting' },
    })
    const ids: string[] = []
    for (let i = 0; i < 20; i++)
      ids.push(await acme.dir.user({ userName: `u${i}@acme.example`, active: i >= 2 }))
    const group = await acme.dir.group('Everyone')
    await acme.dir.addMembers(group, ids)
    const m = await acme.dir.user({ userName: 'merged@acme.example' })
    await scheduler.drain()
    await api(app, acme.auth, '/api/v1/orgs/acme/resync', { method: 'POST' })
    await acme.dir.user({ userName: 'waiting@acme.example' })
    const g1 = await globex.dir.user({ userName: 'u1@acme.example' })
    await scheduler.drain()
    expect((await store.accounts.byId(orgId, merged.body.id))?.scim_user_id).toBe(m)
    expect(await store.duplicates.count(orgId)).toBe(1)
    const session = await signIn(store, orgId, (await store.accounts.byScimUser(orgId, ids[5]!))!.id)
    const mergedSession = await signIn(store, orgId, merged.body.id)

    const globexBefore = {
      accounts: count(store, 'accounts', globex.org.id),
      users: count(store, 'scim_users', globex.org.id),
      events: count(store, 'events', globex.org.id),
    }
    const dry = await api(app, acme.auth, '/api/v1/orgs/acme/okta?dryRun=true', { method: 'DELETE' })
    expect(dry.body).toEqual({ deletedUsers: 20, deletedGroups: 1, dryRun: true })
    const real = await api(app, acme.auth, '/api/v1/orgs/acme/okta', { method: 'DELETE' })
    expect(real.body).toEqual({ deletedUsers: 20, deletedGroups: 1, dryRun: false })

    await scheduler.tick()
    const during = await api(app, acme.auth, '/api/v1/orgs/acme/sync')
    expect(during.body.removal).toEqual({ running: true, deleted: 7, total: 20 })
    await scheduler.drain()
    const after = await api(app, acme.auth, '/api/v1/orgs/acme/sync')
    expect(after.body.removal).toEqual({ running: false, deleted: 20, total: 20 })
    expect(after.body.pendingChanges).toBe(0)

    // Pre-existing accounts stay, unlinked; everything the integration made is gone.
    const left = store.engine.db
      .query('SELECT id, scim_user_id FROM accounts WHERE org_id = ? ORDER BY email')
      .all(orgId)
    expect(left).toEqual([
      { id: merged.body.id, scim_user_id: null },
      { id: waiting.body.id, scim_user_id: null },
    ])
    for (const table of [
      'scim_users',
      'scim_groups',
      'scim_memberships',
      'duplicates',
      'directory_changes',
      'sync_groups',
    ]) {
      expect(count(store, table, orgId)).toBe(0)
    }
    for (const ended of [session, mergedSession]) {
      expect(
        await store.sessions.byHash(new Bun.CryptoHasher('sha256').update(ended.token).digest('hex')),
      ).toBeNull()
    }
    expect((await eventTypes(store, orgId)).filter((t) => t === 'account.deleted')).toHaveLength(18)

    expect({
      accounts: count(store, 'accounts', globex.org.id),
      users: count(store, 'scim_users', globex.org.id),
      events: count(store, 'events', globex.org.id),
    }).toEqual(globexBefore)
    expect(await store.accounts.byScimUser(globex.org.id, g1)).not.toBeNull()

    // A new set-up after the removal starts clean.
    const again = await app.request('/api/v1/orgs/acme/okta', { method: 'GET', headers: acme.auth })
    expect(((await again.json()) as Body).configured).toBe(false)
  })

  test('a removal over many batches: one set per batch, every account deleted once with its event and sessions', async () => {
    const { app, store, scheduler, acme } = await syncTestbed({ removalBatchSize: 4 })
    const globex = await syncedOrg(app, 'globex')
    const orgId = acme.org.id
    const ids: string[] = []
    for (let i = 0; i < 30; i++) ids.push(await acme.dir.user({ userName: `r${i}@acme.example` }))
    for (const [n, slice] of [ids.slice(0, 15), ids.slice(10)].entries())
      await acme.dir.addMembers(await acme.dir.group(`Team ${n}`), slice)
    const outsider = await globex.dir.user({ userName: 'stays@globex.example' })
    await scheduler.drain()
    const accounts: string[] = []
    for (const id of ids) accounts.push((await store.accounts.byScimUser(orgId, id))!.id)
    const sessions = []
    for (const id of accounts.filter((_, i) => i % 3 === 0)) sessions.push(await signIn(store, orgId, id))
    const outsiderAccount = (await store.accounts.byScimUser(globex.org.id, outsider))!.id
    const kept = await signIn(store, globex.org.id, outsiderAccount)
    const eventsBefore = (await store.events.after(orgId, 0, 10_000)).length

    const real = await api(app, acme.auth, '/api/v1/orgs/acme/okta', { method: 'DELETE' })
    expect(real.body).toEqual({ deletedUsers: 30, deletedGroups: 2, dryRun: false })
    // Batch by batch: the first also takes both groups and their 35 memberships (within its chunk
    // of 4 × 20 rows), each deletes exactly 4 accounts until the last 2, then the feed, then done.
    const progress: number[] = []
    for (let batch = 0; batch < 20 && (await store.syncState.get(orgId))?.removal_running === 1; batch++) {
      await scheduler.tick()
      progress.push((await store.syncState.get(orgId))?.removal_deleted ?? -1)
    }
    expect(progress).toEqual([4, 8, 12, 16, 20, 24, 28, 30, 30, 30])
    expect(count(store, 'scim_groups', orgId)).toBe(0)

    // Every account deleted exactly once, each with its own event, in the batches' order.
    const deletedEvents = (await store.events.after(orgId, 0, 10_000)).slice(eventsBefore)
    expect(deletedEvents.map((e) => e.type)).toEqual(Array(30).fill('account.deleted'))
    expect(new Set(deletedEvents.map((e) => e.account_id))).toEqual(new Set(accounts))
    for (const event of deletedEvents)
      expect(JSON.parse(event.data)).toMatchObject({ reason: 'integration removed' })
    for (const table of ['accounts', 'scim_users', 'scim_memberships', 'directory_changes', 'sync_groups'])
      expect(count(store, table, orgId)).toBe(0)
    const hash = (token: string) => new Bun.CryptoHasher('sha256').update(token).digest('hex')
    for (const ended of sessions) expect(await store.sessions.byHash(hash(ended.token))).toBeNull()
    // Another org's account and session are untouched.
    expect(await store.sessions.byHash(hash(kept.token))).not.toBeNull()
    expect(await store.accounts.byId(globex.org.id, outsiderAccount)).not.toBeNull()
    const after = await api(app, acme.auth, '/api/v1/orgs/acme/sync')
    expect(after.body.removal).toEqual({ running: false, deleted: 30, total: 30 })
  })

  test('resync and re-setup are refused while a removal runs', async () => {
    const { app, acme } = await syncTestbed()
    await acme.dir.user({ userName: 'x@acme.example' })
    await api(app, acme.auth, '/api/v1/orgs/acme/okta', { method: 'DELETE' })
    const resync = await api(app, acme.auth, '/api/v1/orgs/acme/resync', { method: 'POST' })
    expect(resync).toMatchObject({ status: 404, body: { error: { code: 'NOT_CONFIGURED' } } })
    const setUp = await setUpIntegration(app, 'acme', acme.auth).catch((error: Error) => error.message)
    expect(setUp).toContain('409')
  })
})
