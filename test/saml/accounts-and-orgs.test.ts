/**
 * Who may sign in, and where: org isolation (a response or a session of org A is nothing on org
 * B), unknown / deactivated people, just-in-time accounts, certificate rollover, the persisted
 * replay cache, sign-out, groups on /me, the Secure cookie of an https org, and the rate limit.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApp, createFetch } from '../../src/http/app.ts'
import type { AppDeps } from '../../src/http/context.ts'
import { silentLogger } from '../../src/observability/log.ts'
import { createMetrics } from '../../src/observability/metrics.ts'
import { newId } from '../../src/store/ids.ts'
import { openStore } from '../../src/store/index.ts'
import { jsonBody, PUBLIC_URL, type TestApp, testConfig } from '../support/app.ts'
import { selfSigned } from '../support/certs.ts'
import { OKTA_ISSUER, OKTA_SSO_URL, oktaResponse, postAcs, signResponse } from '../support/saml.ts'
import {
  cookiePair,
  createSamlApp,
  idpKey,
  insertAccount,
  lastSamlReason,
  type SamlOrg,
  seedSamlOrg,
} from './fixture.ts'

let app: TestApp
let acme: SamlOrg
let globex: SamlOrg

beforeAll(async () => {
  app = createSamlApp()
  acme = await seedSamlOrg(app, 'acme')
  // Same Okta tenant, same certificate and issuer: only the org's own URLs tell them apart.
  globex = await seedSamlOrg(app, 'globex', { email: 'ada.lovelace@acme.example' })
})

const signedFor = (orgUrl: string, email: string, what: 'assertion' | 'both' = 'assertion') =>
  signResponse(oktaResponse({ orgUrl, email }), idpKey(), what)

async function signIn(org: SamlOrg, email = org.email): Promise<string> {
  const response = await postAcs(app, org.orgUrl, signedFor(org.orgUrl, email))
  expect(response.status).toBe(303)
  return cookiePair(response, 'okb_session') as string
}

describe('org isolation', () => {
  test("a response valid for acme posted to globex's ACS is refused", async () => {
    const response = await postAcs(
      app,
      globex.orgUrl,
      signedFor(acme.orgUrl, 'ada.lovelace@acme.example', 'both'),
    )
    expect(response.status).toBe(400)
    expect(await lastSamlReason(app, globex.orgId)).toBe('destination_mismatch')
    // Without a Destination to give it away, the Audience (acme's org URL) does.
    const undirected = signResponse(
      oktaResponse({ orgUrl: acme.orgUrl, email: 'ada.lovelace@acme.example', destination: null }),
      idpKey(),
    )
    const assertionOnly = await postAcs(app, globex.orgUrl, undirected)
    expect(assertionOnly.status).toBe(400)
    expect(await lastSamlReason(app, globex.orgId)).toBe('audience_mismatch')
  })

  test("acme's session cookie is no session on globex", async () => {
    const cookie = await signIn(acme)
    expect((await app.request(`${acme.orgUrl}/me`, { headers: { cookie } })).status).toBe(200)
    expect((await app.request(`${globex.orgUrl}/me`, { headers: { cookie } })).status).toBe(401)
    const page = await app.request(`${globex.orgUrl}/account`, { headers: { cookie } })
    expect(page.status).toBe(302)
  })

  test('the email is matched only among the accounts of the org signed in to', async () => {
    await insertAccount(app, acme.orgId, 'only-acme@acme.example')
    const response = await postAcs(app, globex.orgUrl, signedFor(globex.orgUrl, 'only-acme@acme.example'))
    expect(response.status).toBe(403)
    expect(await lastSamlReason(app, globex.orgId)).toBe('user_not_provisioned')
  })
})

describe('who may sign in', () => {
  test('an unknown person gets the "not provisioned yet" page', async () => {
    const response = await postAcs(app, acme.orgUrl, signedFor(acme.orgUrl, 'newcomer@acme.example'))
    expect(response.status).toBe(403)
    const html = await response.text()
    expect(html).toContain('not provisioned yet')
    expect(html).toContain('it can take a few minutes after you are assigned in Okta')
    expect(await lastSamlReason(app, acme.orgId)).toBe('user_not_provisioned')
  })

  test('a deactivated account cannot sign in, and its open session stops working', async () => {
    const id = await insertAccount(app, acme.orgId, 'leaver@acme.example')
    const cookie = await signIn(acme, 'leaver@acme.example')
    await app.store.accounts.setActive(acme.orgId, id, false, Date.now())
    expect((await app.request(`${acme.orgUrl}/me`, { headers: { cookie } })).status).toBe(401)
    const response = await postAcs(app, acme.orgUrl, signedFor(acme.orgUrl, 'leaver@acme.example'))
    expect(response.status).toBe(403)
    expect(await lastSamlReason(app, acme.orgId)).toBe('user_inactive')
  })

  test('with just-in-time provisioning an unknown person gets an account', async () => {
    const jit = await seedSamlOrg(app, 'jit', { settings: { justInTimeProvisioning: true } })
    const response = await postAcs(app, jit.orgUrl, signedFor(jit.orgUrl, 'Grace.Hopper@jit.example'))
    expect(response.status).toBe(303)
    const me = await app.request(`${jit.orgUrl}/me`, {
      headers: { cookie: cookiePair(response, 'okb_session') as string },
    })
    const body = (await me.json()) as { email: string; name: string; source: string }
    expect(body).toMatchObject({ email: 'Grace.Hopper@jit.example', name: 'Ada Lovelace', source: 'okta' })
    const events = await app.store.events.after(jit.orgId, 0, 10)
    expect(events.map((e) => e.type)).toContain('account.created')
  })

  test('groups come from the SCIM directory', async () => {
    const now = Date.now()
    const scimUserId = newId()
    // The directory rows alone (no change feed entries): what the sign-in reads groups from.
    await app.store.transaction(async (tx) => {
      await tx.directory.insertUser({
        id: scimUserId,
        org_id: acme.orgId,
        user_name: 'grouped@acme.example',
        user_name_lower: 'grouped@acme.example',
        external_id: null,
        email_lower: null,
        display_name: null,
        given_name: null,
        family_name: null,
        active: 1,
        resource: '{}',
        version: 1,
        created_at: now,
        updated_at: now,
      })
      for (const name of ['Engineering', 'Admins']) {
        const groupId = newId()
        await tx.directory.insertGroup({
          id: groupId,
          org_id: acme.orgId,
          display_name: name,
          display_name_lower: name.toLowerCase(),
          external_id: null,
          resource: '{}',
          version: 1,
          created_at: now,
          updated_at: now,
        })
        await tx.directory.addMembers(acme.orgId, groupId, [scimUserId])
      }
    })
    await insertAccount(app, acme.orgId, 'grouped@acme.example', { scimUserId })
    const cookie = await signIn(acme, 'grouped@acme.example')
    const me = (await (await app.request(`${acme.orgUrl}/me`, { headers: { cookie } })).json()) as {
      groups: string[]
    }
    expect(me.groups).toEqual(['Admins', 'Engineering'])
    const page = await (await app.request(`${acme.orgUrl}/account`, { headers: { cookie } })).text()
    expect(page).toContain('<li>Engineering</li>')
  })
})

describe('sessions', () => {
  test('sign-out ends the session (same-origin form with its CSRF token)', async () => {
    const cookie = await signIn(acme)
    const page = await (await app.request(`${acme.orgUrl}/account`, { headers: { cookie } })).text()
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] as string
    const refused = await app.request(`${acme.orgUrl}/logout`, {
      method: 'POST',
      headers: {
        cookie,
        origin: 'https://evil.example',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'csrf=wrong',
    })
    expect(refused.status).toBe(403)
    expect((await app.request(`${acme.orgUrl}/me`, { headers: { cookie } })).status).toBe(200)
    const out = await app.request(`${acme.orgUrl}/logout`, {
      method: 'POST',
      headers: { cookie, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
      body: `csrf=${csrf}`,
    })
    expect(out.status).toBe(200)
    expect(out.headers.getSetCookie().join()).toContain('okb_session=;')
    expect((await app.request(`${acme.orgUrl}/me`, { headers: { cookie } })).status).toBe(401)
  })

  test('an org on its own https origin gets a __Host- Secure cookie scoped to /, which reaches /me', async () => {
    const own = await seedSamlOrg(app, 'own', { url: 'https://sso.own.example' })
    const response = await postAcs(app, own.orgUrl, signedFor(own.orgUrl, own.email))
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('https://sso.own.example/account')
    const name = `__Host-okb_session_${own.orgId}`
    const setCookie = response.headers.getSetCookie().find((c) => c.startsWith(`${name}=`)) as string
    expect(setCookie).toContain('Secure')
    expect(setCookie).toContain('Path=/;')
    expect(setCookie).not.toContain('Domain')
    const cookie = cookiePair(response, name) as string
    expect((await app.request(`${own.orgUrl}/me`, { headers: { cookie } })).status).toBe(200)
  })
})

describe('certificate rollover', () => {
  test('the next certificate is accepted alongside the current one until the old one is retired', async () => {
    const next = selfSigned('okta-idp-next')
    const put = await app.request(`/api/v1/orgs/globex/okta`, {
      method: 'PUT',
      ...jsonBody(
        {
          ssoUrl: OKTA_SSO_URL,
          issuer: OKTA_ISSUER,
          certificate: idpKey().certificate,
          nextCertificate: next.certificate,
        },
        globex.auth,
      ),
    })
    expect(put.status).toBe(200)
    const byNext = signResponse(oktaResponse({ orgUrl: globex.orgUrl, email: globex.email }), next)
    expect((await postAcs(app, globex.orgUrl, byNext)).status).toBe(303)
    expect((await postAcs(app, globex.orgUrl, signedFor(globex.orgUrl, globex.email))).status).toBe(303)

    const retire = await app.request('/api/v1/orgs/globex/okta/certificate/retire', {
      method: 'POST',
      headers: globex.auth,
    })
    expect(retire.status).toBe(200)
    expect(((await retire.json()) as { nextCertificate: unknown }).nextCertificate).toBeNull()
    expect((await postAcs(app, globex.orgUrl, signedFor(globex.orgUrl, globex.email))).status).toBe(400)
    expect(await lastSamlReason(app, globex.orgId)).toBe('signature_invalid')
    const byNextAgain = signResponse(oktaResponse({ orgUrl: globex.orgUrl, email: globex.email }), next)
    expect((await postAcs(app, globex.orgUrl, byNextAgain)).status).toBe(303)

    const nothingToRetire = await app.request('/api/v1/orgs/globex/okta/certificate/retire', {
      method: 'POST',
      headers: globex.auth,
    })
    expect(nothingToRetire.status).toBe(409)
  })

  test('SHA-1 is accepted only where the admin enabled it', async () => {
    const legacy = await seedSamlOrg(app, 'legacy', { settings: { allowSha1: true } })
    const sha1 = signResponse(
      oktaResponse({ orgUrl: legacy.orgUrl, email: legacy.email }),
      idpKey(),
      'assertion',
      'sha1',
    )
    expect((await postAcs(app, legacy.orgUrl, sha1)).status).toBe(303)
  })
})

describe('rate limit', () => {
  test('one client gets 20 attempts at once, then a 429 page; the burst is audited once', async () => {
    const client = '203.0.113.77'
    const statuses: number[] = []
    for (let i = 0; i < 23; i++) {
      statuses.push((await postAcs(app, acme.orgUrl, '<junk/>', { client })).status)
    }
    expect(statuses.slice(0, 20).every((s) => s === 400)).toBe(true)
    expect(statuses.slice(20)).toEqual([429, 429, 429])
    const limited = (await app.store.audit.list(acme.orgId, { kind: 'saml', limit: 50 })).filter(
      (a) => a.reason === 'rate_limited',
    )
    expect(limited).toHaveLength(1)
    expect(limited[0]?.actor).toBe(client)
    // Another client is unaffected.
    expect((await postAcs(app, acme.orgUrl, '<junk/>', { client: '203.0.113.78' })).status).toBe(400)
    const login = await app.request(`${acme.orgUrl}/okta/login`, { headers: { 'x-forwarded-for': client } })
    expect(login.status).toBe(429)
    expect(login.headers.get('retry-after')).toMatch(/^\d+$/)
  })
})

describe('the replay cache survives a restart', () => {
  test('a response used before re-opening the store file is still refused after', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'okb-replay-')), 'store.sqlite')
    const open = (): TestApp => {
      const config = testConfig({ trustProxy: { hops: 1 } })
      const store = openStore(path)
      const deps: AppDeps = { config, store, log: silentLogger, metrics: createMetrics(), version: 'test' }
      const fetch = createFetch(createApp(deps), deps)
      return {
        deps,
        store,
        config,
        fetch,
        request: (p, init) => fetch(new Request(p.startsWith('http') ? p : `${PUBLIC_URL}${p}`, init)),
      }
    }
    const first = open()
    const org = await seedSamlOrg(first, 'persist')
    const xml = signedFor(org.orgUrl, org.email)
    expect((await postAcs(first, org.orgUrl, xml)).status).toBe(303)
    await first.store.close()

    const second = open()
    expect((await postAcs(second, org.orgUrl, xml)).status).toBe(400)
    expect(await lastSamlReason(second, org.orgId)).toBe('replayed')
    await second.store.close()
  })
})
