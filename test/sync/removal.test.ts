/**
 * Removing the integration deletes exactly what the dry run counted — the accounts it created and
 * the provisioned users that never became one — in batches with progress; pre-existing (merged or
 * waiting) accounts stay and lose the Okta link; another org is not touched.
 */
import { describe, expect, test } from 'bun:test'
import type { Store } from '../../src/store/index.ts'
import { setUpIntegration } from '../support/integration.ts'
import { api, type Body, eventTypes, signIn, syncedOrg, syncTestbed } from './setup.ts'

const count = (store: Store, table: string, orgId: string) =>
  (store.db.query(`SELECT count(*) AS n FROM ${table} WHERE org_id = ?`).get(orgId) as { n: number }).n

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
    const ids = Array.from({ length: 20 }, (_, i) =>
      acme.dir.user({ userName: `u${i}@acme.example`, active: i >= 2 }),
    )
    const group = acme.dir.group('Everyone')
    acme.dir.addMembers(group, ids)
    const m = acme.dir.user({ userName: 'merged@acme.example' })
    scheduler.drain()
    await api(app, acme.auth, '/api/v1/orgs/acme/resync', { method: 'POST' })
    acme.dir.user({ userName: 'waiting@acme.example' })
    const g1 = globex.dir.user({ userName: 'u1@acme.example' })
    scheduler.drain()
    expect(store.accounts.byId(orgId, merged.body.id)?.scim_user_id).toBe(m)
    expect(store.duplicates.count(orgId)).toBe(1)
    const session = signIn(store, orgId, store.accounts.byScimUser(orgId, ids[5]!)!.id)
    const mergedSession = signIn(store, orgId, merged.body.id)

    const globexBefore = {
      accounts: count(store, 'accounts', globex.org.id),
      users: count(store, 'scim_users', globex.org.id),
      events: count(store, 'events', globex.org.id),
    }
    const dry = await api(app, acme.auth, '/api/v1/orgs/acme/okta?dryRun=true', { method: 'DELETE' })
    expect(dry.body).toEqual({ deletedUsers: 20, deletedGroups: 1, dryRun: true })
    const real = await api(app, acme.auth, '/api/v1/orgs/acme/okta', { method: 'DELETE' })
    expect(real.body).toEqual({ deletedUsers: 20, deletedGroups: 1, dryRun: false })

    scheduler.tick()
    const during = await api(app, acme.auth, '/api/v1/orgs/acme/sync')
    expect(during.body.removal).toEqual({ running: true, deleted: 7, total: 20 })
    scheduler.drain()
    const after = await api(app, acme.auth, '/api/v1/orgs/acme/sync')
    expect(after.body.removal).toEqual({ running: false, deleted: 20, total: 20 })
    expect(after.body.pendingChanges).toBe(0)

    // Pre-existing accounts stay, unlinked; everything the integration made is gone.
    const left = store.db
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
        store.sessions.byHash(new Bun.CryptoHasher('sha256').update(ended.token).digest('hex')),
      ).toBeNull()
    }
    expect(eventTypes(store, orgId).filter((t) => t === 'account.deleted')).toHaveLength(18)

    expect({
      accounts: count(store, 'accounts', globex.org.id),
      users: count(store, 'scim_users', globex.org.id),
      events: count(store, 'events', globex.org.id),
    }).toEqual(globexBefore)
    expect(store.accounts.byScimUser(globex.org.id, g1)).not.toBeNull()

    // A new set-up after the removal starts clean.
    const again = await app.request('/api/v1/orgs/acme/okta', { method: 'GET', headers: acme.auth })
    expect(((await again.json()) as Body).configured).toBe(false)
  })

  test('resync and re-setup are refused while a removal runs', async () => {
    const { app, acme } = await syncTestbed()
    acme.dir.user({ userName: 'x@acme.example' })
    await api(app, acme.auth, '/api/v1/orgs/acme/okta', { method: 'DELETE' })
    const resync = await api(app, acme.auth, '/api/v1/orgs/acme/resync', { method: 'POST' })
    expect(resync).toMatchObject({ status: 404, body: { error: { code: 'NOT_CONFIGURED' } } })
    const setUp = await setUpIntegration(app, 'acme', acme.auth).catch((error: Error) => error.message)
    expect(setUp).toContain('409')
  })
})
