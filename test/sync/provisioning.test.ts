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
    const id = acme.dir.user({ userName: 'Ada@Acme.example', givenName: 'Ada', familyName: 'Lovelace' })
    expect(accountOf(store, acme.org.id, id)).toBeNull()
    scheduler.drain()
    const account = accountOf(store, acme.org.id, id)
    expect(account).toMatchObject({
      email: 'Ada@Acme.example',
      email_lower: 'ada@acme.example',
      name: 'Ada Lovelace',
      source: 'okta',
      active: 1,
      role: 'member',
      created_via_integration: 1,
    })
    expect(eventTypes(store, acme.org.id)).toEqual(['account.created'])
    expect(store.syncState.get(acme.org.id)?.applied_seq).toBeGreaterThan(0)
  })

  test('profile changes flow; deactivation ends sessions; reactivation restores; deletion deletes', async () => {
    const { store, scheduler, acme } = await syncTestbed()
    const orgId = acme.org.id
    const id = acme.dir.user({ userName: 'bob@acme.example', displayName: 'Bob' })
    scheduler.drain()
    const account = accountOf(store, orgId, id)!
    const session = signIn(store, orgId, account.id)
    expect(verifySession(store, session.token, orgId, 'user')).not.toBeNull()

    acme.dir.user({ id, userName: 'bob@acme.example', email: 'robert@acme.example', displayName: 'Robert' })
    scheduler.drain()
    expect(accountOf(store, orgId, id)).toMatchObject({ email: 'robert@acme.example', name: 'Robert' })

    acme.dir.user({
      id,
      userName: 'bob@acme.example',
      email: 'robert@acme.example',
      displayName: 'Robert',
      active: false,
    })
    scheduler.drain()
    expect(accountOf(store, orgId, id)?.active).toBe(0)
    expect(verifySession(store, session.token, orgId, 'user')).toBeNull()
    const deactivation = store.audit
      .list(orgId, { kind: 'sync', limit: 50 })
      .find((a) => a.action === 'account.deactivated')
    expect(deactivation?.subject).toBe(account.id)
    expect(JSON.parse(deactivation?.data ?? '{}').sessionsEnded).toBe(1)

    acme.dir.user({ id, userName: 'bob@acme.example', email: 'robert@acme.example', displayName: 'Robert' })
    scheduler.drain()
    expect(accountOf(store, orgId, id)?.active).toBe(1)

    acme.dir.deleteUser(id)
    scheduler.drain()
    expect(store.accounts.byId(orgId, account.id)).toBeNull()
    expect(eventTypes(store, orgId)).toEqual([
      'account.created',
      'account.updated',
      'account.deactivated',
      'account.reactivated',
      'account.deleted',
    ])
  })

  test('a user pushed inactive gets no account until activated', async () => {
    const { store, scheduler, acme } = await syncTestbed()
    const id = acme.dir.user({ userName: 'later@acme.example', active: false })
    scheduler.drain()
    expect(accountOf(store, acme.org.id, id)).toBeNull()
    acme.dir.user({ id, userName: 'later@acme.example' })
    scheduler.drain()
    expect(accountOf(store, acme.org.id, id)?.active).toBe(1)
  })

  test('applying the same batch twice changes nothing', async () => {
    const { store, scheduler, acme } = await syncTestbed()
    const orgId = acme.org.id
    const admins = acme.dir.group('Admins')
    const ids = [0, 1, 2].map((i) => acme.dir.user({ userName: `u${i}@acme.example` }))
    acme.dir.addMembers(admins, ids)
    scheduler.drain()
    acme.dir.user({ id: ids[0], userName: 'u0@acme.example', active: false })
    scheduler.drain()
    const snapshot = () => ({
      accounts: store.db.query('SELECT * FROM accounts WHERE org_id = ? ORDER BY id').all(orgId),
      events: store.db
        .query('SELECT id, type, account_id, group_id, data FROM events WHERE org_id = ? ORDER BY id')
        .all(orgId),
      groups: store.db.query('SELECT group_id, display_name FROM sync_groups WHERE org_id = ?').all(orgId),
    })
    const before = snapshot()
    expect(before.events).toHaveLength(3 + 1 + 3 + 1)
    // Rewind the checkpoint: the whole feed is applied a second time.
    store.db.query('UPDATE sync_state SET applied_seq = 0 WHERE org_id = ?').run(orgId)
    expect(scheduler.drain()).toBeGreaterThan(0)
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
    acme.dir.users(Array.from({ length: 35 }, (_, i) => ({ userName: `n${i}@acme.example` })))
    scheduler.drain()
    expect(sizes).toEqual([10, 10, 10, 5])
    const state = store.syncState.get(acme.org.id)!
    expect(store.syncState.pending(acme.org.id, state.applied_seq).count).toBe(0)
    const summaries = store.audit
      .list(acme.org.id, { kind: 'sync', limit: 100 })
      .filter((a) => a.action === 'sync.batch')
      .map((a) => JSON.parse(a.data).changes)
    expect(summaries).toEqual([5, 10, 10, 10])
    expect(store.db.query('SELECT count(*) AS n FROM accounts WHERE org_id = ?').get(acme.org.id)).toEqual({
      n: 35,
    })
  })
})
