/**
 * End to end through the real app: Okta-shaped responses signed by xmlsec1 (assertion only,
 * response only, both) are accepted, the browser is sent on with a session cookie, and that
 * cookie reaches `/me` and the account page.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { METRICS_AUTH, type TestApp } from '../support/app.ts'
import { oktaResponse, postAcs, signResponse } from '../support/saml.ts'
import { cookiePair, createSamlApp, idpKey, type SamlOrg, samlAudit, seedSamlOrg } from './fixture.ts'

let app: TestApp
let org: SamlOrg

beforeAll(async () => {
  app = createSamlApp()
  org = await seedSamlOrg(app)
})

describe('an Okta response signed by xmlsec1 is accepted end to end', () => {
  for (const what of ['assertion', 'response', 'both'] as const) {
    test(`${what} signed → 303 to the account page, session reaches /me`, async () => {
      const xml = signResponse(
        oktaResponse({ orgUrl: org.orgUrl, email: org.email.toUpperCase() }),
        idpKey(),
        what,
      )
      const response = await postAcs(app, org.orgUrl, xml)
      expect(response.status).toBe(303)
      expect(response.headers.get('location')).toBe(`${org.orgUrl}/account`)
      const setCookie = response.headers.getSetCookie().find((c) => c.startsWith('okb_session='))
      expect(setCookie).toContain('HttpOnly')
      expect(setCookie).toContain('SameSite=Lax')
      expect(setCookie).toContain('Path=/orgs/acme')
      expect(setCookie).not.toContain('Secure')
      const cookie = cookiePair(response, 'okb_session') as string

      const me = await app.request(`${org.orgUrl}/me`, { headers: { cookie } })
      expect(me.status).toBe(200)
      expect(await me.json()).toEqual({
        id: org.accountId,
        email: org.email,
        name: 'Ada Lovelace',
        role: 'member',
        groups: [],
        source: 'okta',
      })
      const page = await app.request(`${org.orgUrl}/account`, { headers: { cookie, accept: 'text/html' } })
      expect(page.status).toBe(200)
      expect(page.headers.get('x-frame-options')).toBe('DENY')
      expect(page.headers.get('content-security-policy')).not.toContain('script-src')
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'")
      const html = await page.text()
      expect(html).toContain(org.email)
      expect(html).not.toContain('<script')

      const audit = (await samlAudit(app, org.orgId))[0]
      expect(audit?.outcome).toBe('success')
      expect(audit?.subject).toBe(org.accountId)
      expect(JSON.parse(audit?.data ?? '{}').flow).toBe('idp_initiated')
      expect((await app.store.accounts.byId(org.orgId, org.accountId))?.last_sign_in_at).toBeNumber()
    })
  }

  test('sign-ins are counted in /metrics by outcome', async () => {
    const metrics = await (await app.request('/metrics', { headers: METRICS_AUTH })).text()
    expect(metrics).toMatch(/okta_bridge_saml_logins_total\{outcome="success"\} [3-9]/)
  })

  test('an empty RelayState (saml-idp and Auth0 always post the field) is no RelayState', async () => {
    const xml = signResponse(oktaResponse({ orgUrl: org.orgUrl, email: org.email }), idpKey())
    const response = await postAcs(app, org.orgUrl, xml, { relayState: '' })
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe(`${org.orgUrl}/account`)
    const audit = (await samlAudit(app, org.orgId))[0]
    expect(audit?.outcome).toBe('success')
    expect(JSON.parse(audit?.data ?? '{}').relayStateIgnored).toBe(false)
  })

  test('a safe RelayState is followed', async () => {
    const xml = signResponse(oktaResponse({ orgUrl: org.orgUrl, email: org.email }), idpKey())
    const response = await postAcs(app, org.orgUrl, xml, { relayState: '/orgs/acme/projects/7?tab=a' })
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe(`${org.orgUrl}/projects/7?tab=a`)
  })
})
