/**
 * Pre-existing accounts are never silently doubled: a provisioned user matching one (by email or a
 * linked identity's email, case-insensitively) is recorded as a duplicate, listed, previewed by a
 * dry-run resync and merged by the real one; an org option links them automatically.
 */
import { describe, expect, test } from 'bun:test'
import { silentLogger } from '../../src/observability/log.ts'
import { createScheduler } from '../../src/sync/scheduler.ts'
import { createTestApp } from '../support/app.ts'
import { accountOf, api, type Body, eventTypes, syncedOrg, syncTestbed } from './setup.ts'

async function localUser(app: Parameters<typeof api>[0], auth: Record<string, string>, body: unknown) {
  return api(app, auth, '/api/v1/orgs/acme/users', { method: 'POST', body })
}

describe('duplicates', () => {
  test('detected by email and by linked email, listed, previewed, merged', async () => {
    const { app, store, scheduler, acme } = await syncTestbed()
    const orgId = acme.org.id
    const grace = await localUser(app, acme.auth, { email: 'Grace@Acme.example', name: 'Grace Hopper' })
    expect(grace.status).toBe(201)
    expect(grace.body).toMatchObject({
      source: 'local',
      createdViaIntegration: false,
      active: true,
      groups: [],
    })
    const linus = await localUser(app, acme.auth, {
      email: 'linus@personal.example',
      name: 'Linus',
      linkedIdentities: [{ provider: 'github', login: 'torvalds', email: 'Linus@Acme.example' }],
    })
    expect(linus.body.linkedIdentities).toEqual([
      { provider: 'github', login: 'torvalds', email: 'Linus@Acme.example' },
    ])

    const g = await acme.dir.user({ userName: 'grace@acme.example', displayName: 'Grace (Okta)' })
    const l = await acme.dir.user({ userName: 'linus@acme.example' })
    const n = await acme.dir.user({ userName: 'new@acme.example' })
    await scheduler.drain()
    expect(await accountOf(store, orgId, g)).toBeNull()
    expect(await accountOf(store, orgId, l)).toBeNull()
    expect((await accountOf(store, orgId, n))?.created_via_integration).toBe(1)

    const list = await api(app, acme.auth, '/api/v1/orgs/acme/duplicates')
    expect(list.status).toBe(200)
    const byMatch = Object.fromEntries(list.body.items.map((d: Body) => [d.matchedOn, d]))
    expect(byMatch.email).toMatchObject({
      existing: { id: grace.body.id, email: 'Grace@Acme.example' },
      provisioned: { id: g, scimId: g, email: 'grace@acme.example' },
    })
    expect(byMatch['linked:github'].existing.id).toBe(linus.body.id)

    const preview = await api(app, acme.auth, '/api/v1/orgs/acme/resync?dryRun=true', { method: 'POST' })
    expect(preview.status).toBe(200)
    expect(preview.body.fullReconcileStarted).toBe(false)
    expect(preview.body.merges).toHaveLength(2)
    expect(preview.body.merges).toContainEqual({
      keep: { id: grace.body.id, email: 'Grace@Acme.example' },
      absorb: { id: g, email: 'grace@acme.example' },
    })
    expect((await store.accounts.byId(orgId, grace.body.id))?.scim_user_id).toBeNull()

    const merged = await api(app, acme.auth, '/api/v1/orgs/acme/resync', { method: 'POST' })
    expect(merged.body).toEqual({ merges: preview.body.merges, fullReconcileStarted: true })
    const kept = (await store.accounts.byId(orgId, grace.body.id))!
    expect(kept).toMatchObject({
      scim_user_id: g,
      name: 'Grace Hopper',
      source: 'local',
      created_via_integration: 0,
    })
    expect(await store.linkedIdentities.ofAccount(orgId, linus.body.id)).toHaveLength(1)
    expect((await api(app, acme.auth, '/api/v1/orgs/acme/duplicates')).body.items).toEqual([])
    expect((await eventTypes(store, orgId)).filter((t) => t === 'account.merged')).toHaveLength(2)
    await scheduler.drain()
    expect(await store.accounts.list(orgId, { limit: 100 })).toHaveLength(3)

    // The merged account now follows Okta's active state.
    await acme.dir.user({ id: g, userName: 'grace@acme.example', active: false })
    await scheduler.drain()
    expect((await store.accounts.byId(orgId, grace.body.id))?.active).toBe(0)
  })

  test('autoLinkDuplicates links a match directly', async () => {
    const app = createTestApp()
    const scheduler = createScheduler({ store: app.store, log: silentLogger, config: app.config })
    const acme = await syncedOrg(app, 'acme', { autoLinkDuplicates: true })
    const local = await localUser(app, acme.auth, { email: 'ann@acme.example', name: 'Ann' })
    const id = await acme.dir.user({ userName: 'ANN@acme.example' })
    await scheduler.drain()
    expect((await accountOf(app.store, acme.org.id, id))?.id).toBe(local.body.id)
    expect(await app.store.duplicates.count(acme.org.id)).toBe(0)
    expect(await eventTypes(app.store, acme.org.id)).toEqual(['account.created', 'account.merged'])
  })

  test('creating a local user: validation and conflicts in the admin error format', async () => {
    const { app, acme } = await syncTestbed()
    const ok = await localUser(app, acme.auth, { email: 'a@acme.example', name: 'A' })
    expect(ok.status).toBe(201)
    const again = await localUser(app, acme.auth, { email: 'A@ACME.example', name: 'A again' })
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'EMAIL_TAKEN', field: 'email' } } })
    const badEmail = await localUser(app, acme.auth, { email: 'not-an-email', name: 'X' })
    expect(badEmail).toMatchObject({
      status: 400,
      body: { error: { code: 'INVALID_INPUT', field: 'email' } },
    })
    const unknownField = await localUser(app, acme.auth, {
      email: 'b@acme.example',
      name: 'B',
      role: 'admin',
    })
    expect(unknownField.status).toBe(400)
    const badProvider = await localUser(app, acme.auth, {
      email: 'c@acme.example',
      name: 'C',
      linkedIdentities: [{ provider: 'gitlab', login: 'c', email: 'c@x.example' }],
    })
    expect(badProvider.status).toBe(400)
    const twoGithub = await localUser(app, acme.auth, {
      email: 'd@acme.example',
      name: 'D',
      linkedIdentities: [
        { provider: 'github', login: 'd1', email: 'd1@x.example' },
        { provider: 'github', login: 'd2', email: 'd2@x.example' },
      ],
    })
    expect(twoGithub).toMatchObject({ status: 400, body: { error: { field: 'linkedIdentities' } } })
    const list = await api(app, acme.auth, '/api/v1/orgs/acme/users')
    expect(list.body.items.map((u: Body) => u.email)).toEqual(['a@acme.example'])
  })
})
