/**
 * Provisioned users become accounts through the real scheduler: creation, profile updates,
 * deactivation (sessions ended), reactivation, deletion; each announced once in the change feed.
 */
import { describe, expect, test } from 'bun:test'
import { verifySession } from '../../src/sessions/service.ts'
import { accountOf, eventTypes, signIn, syncTestbed } from './setup.ts'

describe('provisioning through the change feed', () => {
  test('an active provisioned user becomes an okta account created via the integration', async () => {
    const { store, scheduler, acme } = await syncTestbed()
    const id = await acme.dir.user({ userName: 'Ada@Acme.example', givenName: 'Ada', familyName: 'Lovelace' })
    expect(await accountOf(store, acme.org.id, id)).toBeNull()
    await scheduler.drain()
    const account = await accountOf(store, acme.org.id, id)
    expect(account).toMatchObject({
      email: 'Ada@Acme.example',
      email_lower: 'ada@acme.example',
      name: 'Ada Lovelace',
      source: 'okta',
      active: 1,
      role: 'member',
      created_via_integration: 1,
    })
    expect(await eventTypes(store, acme.org.id)).toEqual(['account.created'])
    expect((await store.syncState.get(acme.org.id))?.applied_seq).toBeGreaterThan(0)
  })

  test('profile changes flow; deactivation ends sessions; reactivation restores; deletion deletes', async () => {
    const { store, scheduler, acme } = await syncTestbed()
    const orgId = acme.org.id
    const id = await acme.dir.user({ userName: 'bob@acme.example', displayName: 'Bob' })
    await scheduler.drain()
    const account = (await accountOf(store, orgId, id))!
    const session = await signIn(store, orgId, account.id)
    expect(await verifySession(store, session.token, orgId, 'user')).not.toBeNull()

    await acme.dir.user({
      id,
      userName: 'bob@acme.example',
      email: 'robert@acme.example',
      displayName: 'Robert',
    })
    await scheduler.drain()
    expect(await accountOf(store, orgId, id)).toMatchObject({ email: 'robert@acme.example', name: 'Robert' })

    await acme.dir.user({
      id,
      userName: 'bob@acme.example',
      email: 'robert@acme.example',
      displayName: 'Robert',
      active: false,
    })
    await scheduler.drain()
    expect((await accountOf(store, orgId, id))?.active).toBe(0)
    expect(await verifySession(store, session.token, orgId, 'user')).toBeNull()
    const deactivation = (await store.audit.list(orgId, { kind: 'sync', limit: 50 })).find(
      (a) => a.action === 'account.deactivated',
    )
    expect(deactivation?.subject).toBe(account.id)
    expect(JSON.parse(deactivation?.data ?? '{}').sessionsEnded).toBe(1)

    await acme.dir.user({
      id,
      userName: 'bob@acme.example',
      email: 'robert@acme.example',
      displayName: 'Robert',
    })
    await scheduler.drain()
    expect((await accountOf(store, orgId, id))?.active).toBe(1)

    await acme.dir.deleteUser(id)
    await scheduler.drain()
    expect(await store.accounts.byId(orgId, account.id)).toBeNull()
    expect(await eventTypes(store, orgId)).toEqual([
      'account.created',
      'account.updated',
      'account.deactivated',
      'account.reactivated',
      'account.deleted',
    ])
  })

  test('a user pushed inactive gets no account until activated', async () => {
    const { store, scheduler, acme } = await syncTestbed()
    const id = await acme.dir.user({ userName: 'later@acme.example', active: false })
    await scheduler.drain()
    expect(await accountOf(store, acme.org.id, id)).toBeNull()
    await acme.dir.user({ id, userName: 'later@acme.example' })
    await scheduler.drain()
    expect((await accountOf(store, acme.org.id, id))?.active).toBe(1)
  })

  test('applying the same batch twice changes nothing', async () => {
    const { store, scheduler, acme } = await syncTestbed()
    const orgId = acme.org.id
    const admins = await acme.dir.group('Admins')
    const ids: string[] = []
    for (const i of [0, 1, 2]) ids.push(await acme.dir.user({ userName: `u${i}@acme.example` }))
    await acme.dir.addMembers(admins, ids)
    await scheduler.drain()
    await acme.dir.user({ id: ids[0], userName: 'u0@acme.example', active: false })
    await scheduler.drain()
    // A raw snapshot of the rows (with ids and timestamps): SQLite-only inspection.
    const { db } = store.engine
    const snapshot = () => ({
      accounts: db.query('SELECT * FROM accounts WHERE org_id = ? ORDER BY id').all(orgId),
      events: db
        .query('SELECT id, type, account_id, group_id, data FROM events WHERE org_id = ? ORDER BY id')
        .all(orgId),
      groups: db.query('SELECT group_id, display_name FROM sync_groups WHERE org_id = ?').all(orgId),
    })
    const before = snapshot()
    expect(before.events).toHaveLength(3 + 1 + 3 + 1)
    // Rewind the checkpoint: the whole feed is applied a second time.
    db.query('UPDATE sync_state SET applied_seq = 0 WHERE org_id = ?').run(orgId)
    expect(await scheduler.drain()).toBeGreaterThan(0)
    expect(snapshot()).toEqual(before)
  })

  test('batches are bounded, each advancing the checkpoint', async () => {
    const sizes: number[] = []
    const { store, scheduler, acme } = await syncTestbed({
      feedBatchSize: 10,
      onBatch: (report) => {
        if (report.kind === 'feed') sizes.push(report.items)
      },
    })
    await acme.dir.users(Array.from({ length: 35 }, (_, i) => ({ userName: `n${i}@acme.example` })))
    await scheduler.drain()
    expect(sizes).toEqual([10, 10, 10, 5])
    const state = (await store.syncState.get(acme.org.id))!
    expect((await store.syncState.pending(acme.org.id, state.applied_seq)).count).toBe(0)
    const summaries = (await store.audit.list(acme.org.id, { kind: 'sync', limit: 100 }))
      .filter((a) => a.action === 'sync.batch')
      .map((a) => JSON.parse(a.data).changes)
    expect(summaries).toEqual([5, 10, 10, 10])
    expect(await store.accounts.list(acme.org.id, { limit: 100 })).toHaveLength(35)
  })
})
