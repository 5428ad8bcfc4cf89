/**
 * Full reconcile (drift repair) and the scheduler's machinery: drift of every kind is repaired with
 * an event per real fix, progress is visible in `…/sync`, resync starts one, leases keep a second
 * worker out, a change that cannot be applied is skipped with the reason recorded.
 */
import { describe, expect, test } from 'bun:test'
import { silentLogger } from '../../src/observability/log.ts'
import { verifySession } from '../../src/sessions/service.ts'
import { createScheduler } from '../../src/sync/scheduler.ts'
import { accountOf, api, eventTypes, signIn, syncTestbed } from './setup.ts'

describe('full reconcile', () => {
  test('repairs missing and extra accounts, profile, active, role and sessions', async () => {
    const { app, store, scheduler, acme } = await syncTestbed({ reconcileBatchSize: 3 })
    const orgId = acme.org.id
    await api(app, acme.auth, '/api/v1/orgs/acme/role-mappings', {
      method: 'PUT',
      body: { mappings: [{ group: 'Admins', role: 'admin' }] },
    })
    const admins = await acme.dir.group('Admins')
    const ids: string[] = []
    for (let i = 0; i < 8; i++)
      ids.push(await acme.dir.user({ userName: `r${i}@acme.example`, displayName: `R${i}` }))
    await acme.dir.addMembers(admins, [ids[0]!])
    await scheduler.drain()
    // Drift behind the scheduler's back (a restore, a manual edit), written to the SQLite file directly:
    const { db } = store.engine
    const lost = (await accountOf(store, orgId, ids[1]!))!
    db.query('DELETE FROM accounts WHERE id = ?').run(lost.id)
    db.query("UPDATE accounts SET name = 'Edited' WHERE scim_user_id = ?").run(ids[2]!)
    db.query("UPDATE accounts SET role = 'member' WHERE scim_user_id = ?").run(ids[0]!)
    db.query('UPDATE scim_users SET active = 0 WHERE id = ?').run(ids[3]!)
    const s3 = await signIn(store, orgId, (await accountOf(store, orgId, ids[3]!))!.id)
    db.query('DELETE FROM scim_users WHERE id = ?').run(ids[4]!)
    db.query('INSERT INTO scim_memberships (org_id, group_id, user_id) VALUES (?, ?, ?)').run(
      orgId,
      admins,
      ids[5]!,
    )
    const eventsBefore = (await eventTypes(store, orgId)).length

    const started = await api(app, acme.auth, '/api/v1/orgs/acme/resync', { method: 'POST' })
    expect(started.body).toEqual({ merges: [], fullReconcileStarted: true })
    await scheduler.tick()
    const progress = (await api(app, acme.auth, '/api/v1/orgs/acme/sync')).body
    expect(progress.fullReconcile.running).toBe(true)
    expect(progress.fullReconcile.processed).toBeGreaterThan(0)
    expect(progress.fullReconcile.processed).toBeLessThan(progress.fullReconcile.total)
    // The scheduler working on the org holds its lease, and the status names it.
    expect(progress.holder).toBe((await store.leases.get(`sync:${orgId}`))?.holder)
    expect(progress.holder).toEqual(expect.any(String))
    await scheduler.drain()
    const done = (await api(app, acme.auth, '/api/v1/orgs/acme/sync')).body
    expect(done.fullReconcile.running).toBe(false)
    expect(done.fullReconcile.processed).toBe(done.fullReconcile.total)
    expect(done.lastFullReconcileAt).not.toBeNull()

    expect((await accountOf(store, orgId, ids[1]!))?.name).toBe('R1')
    expect((await accountOf(store, orgId, ids[2]!))?.name).toBe('R2')
    expect((await accountOf(store, orgId, ids[0]!))?.role).toBe('admin')
    expect((await accountOf(store, orgId, ids[3]!))?.active).toBe(0)
    expect(await verifySession(store, s3.token, orgId, 'user')).toBeNull()
    expect(await accountOf(store, orgId, ids[4]!)).toBeNull()
    expect((await accountOf(store, orgId, ids[5]!))?.role).toBe('admin')
    expect((await eventTypes(store, orgId)).slice(eventsBefore).sort()).toEqual(
      [
        'account.created',
        'account.updated',
        'account.role_changed',
        'account.deactivated',
        'account.deleted',
        'account.role_changed',
      ].sort(),
    )
    // A second reconcile finds nothing to repair.
    const settled = (await eventTypes(store, orgId)).length
    await api(app, acme.auth, '/api/v1/orgs/acme/resync', { method: 'POST' })
    await scheduler.drain()
    expect((await eventTypes(store, orgId)).length).toBe(settled)
  })

  test('every org with an integration is reconciled once per interval', async () => {
    let clock = Date.now()
    const { store, acme, app } = await syncTestbed()
    const scheduler = createScheduler(
      { store, log: silentLogger, config: { syncIntervalMs: 10, fullReconcileIntervalMs: 60_000 } },
      { now: () => clock },
    )
    await scheduler.drain()
    const first = (await store.syncState.get(acme.org.id))?.last_full_reconcile_at
    expect(first).toBe(clock)
    clock += 30_000
    await scheduler.drain()
    expect((await store.syncState.get(acme.org.id))?.last_full_reconcile_at).toBe(first!)
    clock += 31_000
    await scheduler.drain()
    expect((await store.syncState.get(acme.org.id))?.last_full_reconcile_at).toBe(clock)
    void app
  })
})

describe('scheduler machinery', () => {
  test('a lease keeps a second worker out until it expires', async () => {
    let clock = Date.now()
    const { store, acme } = await syncTestbed()
    const config = { syncIntervalMs: 10, fullReconcileIntervalMs: 3_600_000 }
    const one = createScheduler(
      { store, log: silentLogger, config },
      { holder: 'one', leaseMs: 10_000, now: () => clock },
    )
    const two = createScheduler(
      { store, log: silentLogger, config },
      { holder: 'two', leaseMs: 10_000, now: () => clock },
    )
    await acme.dir.user({ userName: 'a@acme.example' })
    await one.drain()
    await acme.dir.user({ userName: 'b@acme.example' })
    const pending = async () =>
      (await store.syncState.pending(acme.org.id, (await store.syncState.get(acme.org.id))!.applied_seq))
        .count
    expect(await two.drain()).toBeGreaterThan(0)
    expect(await pending()).toBe(1)
    clock += 10_001
    await two.drain()
    expect(await pending()).toBe(0)
    expect((await store.leases.get(`sync:${acme.org.id}`))?.holder).toBe('two')
  })

  test('a change that cannot be applied is skipped, recorded, and does not stall the org', async () => {
    const { app, store, scheduler, acme } = await syncTestbed()
    const orgId = acme.org.id
    await acme.dir.user({ userName: 'before@acme.example' })
    // A fault in the store for one account (injected with a trigger): applying that user throws.
    store.engine.db.exec(`CREATE TRIGGER poison BEFORE INSERT ON accounts WHEN NEW.email_lower = 'broken@acme.example'
      BEGIN SELECT RAISE(ABORT, 'simulated store fault'); END`)
    const broken = await acme.dir.user({ userName: 'broken@acme.example' })
    await acme.dir.user({ userName: 'after@acme.example' })
    await scheduler.drain()
    expect(await store.accounts.byEmail(orgId, 'before@acme.example')).not.toBeNull()
    expect(await store.accounts.byEmail(orgId, 'after@acme.example')).not.toBeNull()
    const status = (await api(app, acme.auth, '/api/v1/orgs/acme/sync')).body
    expect(status.pendingChanges).toBe(0)
    const skipped = (await store.audit.list(orgId, { kind: 'sync', limit: 100 })).filter(
      (a) => a.action === 'sync.change_skipped',
    )
    expect(skipped).toHaveLength(1)
    expect(skipped[0]?.subject).toBe(broken)
    expect(skipped[0]?.reason).toContain('simulated store fault')
    // The full reconcile steps over the same fault too, and says so.
    expect(status.lastError).toContain('full reconcile skipped one item')
    expect(status.fullReconcile.running).toBe(false)
  })
})
