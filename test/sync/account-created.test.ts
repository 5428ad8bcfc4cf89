/**
 * Every way an account comes to be (provisioned by the scheduler, just in time at a SAML sign-in,
 * local through the admin API) goes through the one accounts service (src/accounts/service.ts):
 * the same row rules and the same `account.created` event, written once, with `via` saying which.
 */
import { describe, expect, test } from 'bun:test'
import { silentLogger } from '../../src/observability/log.ts'
import { createScheduler } from '../../src/sync/scheduler.ts'
import { cookiePair, createSamlApp, idpKey, seedSamlOrg } from '../saml/fixture.ts'
import { oktaResponse, postAcs, signResponse } from '../support/saml.ts'
import { api, syncedOrg } from './setup.ts'

describe('account.created', () => {
  test('the scheduler, a just-in-time sign-in and an admin write the same event', async () => {
    const app = createSamlApp()
    const scheduler = createScheduler({
      store: app.store,
      log: silentLogger,
      metrics: app.deps.metrics,
      config: app.config,
    })
    const acme = await syncedOrg(app, 'acme')
    const jit = await seedSamlOrg(app, 'jit', { settings: { justInTimeProvisioning: true } })

    const scimUserId = await acme.dir.user({ userName: 'ada@acme.example', displayName: 'Ada' })
    await scheduler.drain()
    const local = await api(app, acme.auth, '/api/v1/orgs/acme/users', {
      method: 'POST',
      body: {
        email: 'Grace@acme.example',
        name: 'Grace',
        linkedIdentities: [{ provider: 'github', login: 'grace', email: 'grace@github.example' }],
      },
    })
    expect(local.status).toBe(201)
    expect(local.body.linkedIdentities).toEqual([
      { provider: 'github', login: 'grace', email: 'grace@github.example' },
    ])
    const signedIn = await postAcs(
      app,
      jit.orgUrl,
      signResponse(oktaResponse({ orgUrl: jit.orgUrl, email: 'Hopper@jit.example' }), idpKey(), 'assertion'),
    )
    expect(signedIn.status).toBe(303)
    expect(cookiePair(signedIn, 'okb_session')).not.toBeNull()

    const created = async (orgId: string) =>
      (await app.store.events.after(orgId, 0, 100))
        .filter((e) => e.type === 'account.created')
        .map((e) => ({ accountId: e.account_id, data: JSON.parse(e.data) }))
    const provisioned = (await app.store.accounts.byScimUser(acme.org.id, scimUserId))!
    expect(await created(acme.org.id)).toEqual([
      {
        accountId: provisioned.id,
        data: {
          email: 'ada@acme.example',
          name: 'Ada',
          role: 'member',
          source: 'okta',
          scimUserId,
          via: 'scim',
        },
      },
      {
        accountId: local.body.id,
        data: {
          email: 'Grace@acme.example',
          name: 'Grace',
          role: 'member',
          source: 'local',
          scimUserId: null,
          via: 'admin',
        },
      },
    ])
    const [justInTime, ...more] = await created(jit.orgId)
    expect(more).toEqual([])
    expect(justInTime?.data).toEqual({
      email: 'Hopper@jit.example',
      name: 'Ada Lovelace',
      role: 'member',
      source: 'okta',
      scimUserId: null,
      via: 'saml_jit',
    })
    const account = await app.store.accounts.byEmail(jit.orgId, 'hopper@jit.example')
    expect(account).toMatchObject({
      source: 'okta',
      active: 1,
      created_via_integration: 1,
      scim_user_id: null,
    })
    expect(justInTime?.accountId).toBe(account?.id)
  })
})
