/**
 * SP-initiated sign-in: `GET {orgURL}/okta/login?next=…` sends the browser to Okta with a deflated,
 * base64 AuthnRequest and binds its ID to this browser (a cookie); the answer must come back to
 * the same browser, once. Protected pages without a session start here.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { inflateRawSync } from 'node:zlib'
import type { TestApp } from '../support/app.ts'
import { OKTA_SSO_URL, oktaResponse, postAcs, signResponse } from '../support/saml.ts'
import { cookiePair, createSamlApp, idpKey, lastSamlReason, type SamlOrg, seedSamlOrg } from './fixture.ts'

let app: TestApp
let org: SamlOrg

beforeAll(async () => {
  app = createSamlApp()
  org = await seedSamlOrg(app)
})

async function startLogin(next = '/orgs/acme/projects/7', cookie?: string) {
  const response = await app.request(`${org.orgUrl}/okta/login?next=${encodeURIComponent(next)}`, {
    headers: { 'x-forwarded-for': '10.9.9.9', ...(cookie ? { cookie } : {}) },
  })
  expect(response.status).toBe(302)
  const location = new URL(response.headers.get('location') as string)
  const xml = inflateRawSync(
    Buffer.from(location.searchParams.get('SAMLRequest') as string, 'base64'),
  ).toString()
  const id = /ID="([^"]+)"/.exec(xml)?.[1] as string
  return { response, location, xml, id, binding: cookiePair(response, 'okb_saml_request') as string }
}

const answer = (inResponseTo: string) =>
  signResponse(oktaResponse({ orgUrl: org.orgUrl, email: org.email, inResponseTo }), idpKey(), 'both')

describe('SP-initiated sign-in', () => {
  test('redirects to the SSO URL with an AuthnRequest for this org', async () => {
    const { response, location, xml, id, binding } = await startLogin()
    expect(`${location.origin}${location.pathname}`).toBe(OKTA_SSO_URL)
    expect(xml).toContain(`AssertionConsumerServiceURL="${org.orgUrl}/okta/auth"`)
    expect(xml).toContain(`<saml:Issuer>${org.orgUrl}</saml:Issuer>`)
    expect(xml).toContain(`Destination="${OKTA_SSO_URL}"`)
    expect(id).toMatch(/^_[0-9a-f]{32}$/)
    const setCookie = response.headers.getSetCookie().find((c) => c.startsWith('okb_saml_request=')) as string
    expect(setCookie).toContain('HttpOnly')
    expect(setCookie).toContain('Path=/orgs/acme/okta')
    expect(binding).toMatch(/^okb_saml_request=[A-Za-z0-9_-]{43}$/)
  })

  test('the answer from the same browser signs in and lands on `next`', async () => {
    const { id, binding } = await startLogin('/orgs/acme/projects/7')
    const response = await postAcs(app, org.orgUrl, answer(id), { cookie: binding })
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe(`${org.orgUrl}/projects/7`)
    const cookie = cookiePair(response, 'okb_session') as string
    expect((await app.request(`${org.orgUrl}/me`, { headers: { cookie } })).status).toBe(200)
    const audit = (await app.store.audit.list(org.orgId, { kind: 'saml', limit: 1 }))[0]
    expect(JSON.parse(audit?.data ?? '{}').flow).toBe('sp_initiated')
  })

  test('a request is consumed once: a second answer to it is refused', async () => {
    const { id, binding } = await startLogin()
    expect((await postAcs(app, org.orgUrl, answer(id), { cookie: binding })).status).toBe(303)
    const again = await postAcs(app, org.orgUrl, answer(id), { cookie: binding })
    expect(again.status).toBe(400)
    expect(await lastSamlReason(app, org.orgId)).toBe('in_response_to_unknown')
  })

  test('the answer arriving in another browser is refused', async () => {
    const { id } = await startLogin()
    const other = await startLogin()
    const response = await postAcs(app, org.orgUrl, answer(id), { cookie: other.binding })
    expect(response.status).toBe(400)
    expect(await lastSamlReason(app, org.orgId)).toBe('in_response_to_unknown')
    const withoutCookie = await postAcs(app, org.orgUrl, answer(id))
    expect(withoutCookie.status).toBe(400)
    expect(await lastSamlReason(app, org.orgId)).toBe('in_response_to_unknown')
  })

  test('two tabs of one browser share the binding and both complete', async () => {
    const first = await startLogin('/orgs/acme/a')
    const second = await startLogin('/orgs/acme/b', first.binding)
    expect(second.binding).toBe(first.binding)
    expect(
      (await postAcs(app, org.orgUrl, answer(second.id), { cookie: first.binding })).headers.get('location'),
    ).toBe(`${org.orgUrl}/b`)
    expect(
      (await postAcs(app, org.orgUrl, answer(first.id), { cookie: first.binding })).headers.get('location'),
    ).toBe(`${org.orgUrl}/a`)
  })

  test('an unsafe next is not remembered', async () => {
    const { id, binding } = await startLogin('//evil.example/x')
    const response = await postAcs(app, org.orgUrl, answer(id), { cookie: binding })
    expect(response.headers.get('location')).toBe(`${org.orgUrl}/account`)
  })

  test('the account page without a session starts sign-in with next=/account', async () => {
    const response = await app.request(`${org.orgUrl}/account`, { headers: { accept: 'text/html' } })
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe(
      `${org.orgUrl}/okta/login?next=${encodeURIComponent('/orgs/acme/account')}`,
    )
  })

  test('/me without a session is a 401 JSON error', async () => {
    const response = await app.request(`${org.orgUrl}/me`)
    expect(response.status).toBe(401)
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED')
  })
})

describe('an org that requires SP-initiated sign-in', () => {
  test('refuses the Okta tile (no InResponseTo) but accepts an answer to its request', async () => {
    const spOnly = await seedSamlOrg(app, 'sponly', { settings: { allowIdpInitiated: false } })
    const tile = signResponse(oktaResponse({ orgUrl: spOnly.orgUrl, email: spOnly.email }), idpKey())
    const refused = await postAcs(app, spOnly.orgUrl, tile)
    expect(refused.status).toBe(403)
    expect(await refused.text()).toContain(`${spOnly.orgUrl}/okta/login`)
    expect(await lastSamlReason(app, spOnly.orgId)).toBe('idp_initiated_disabled')

    const start = await app.request(`${spOnly.orgUrl}/okta/login`, {
      headers: { 'x-forwarded-for': '10.8.8.8' },
    })
    const location = new URL(start.headers.get('location') as string)
    const xml = inflateRawSync(
      Buffer.from(location.searchParams.get('SAMLRequest') as string, 'base64'),
    ).toString()
    const id = /ID="([^"]+)"/.exec(xml)?.[1] as string
    const ok = await postAcs(
      app,
      spOnly.orgUrl,
      signResponse(oktaResponse({ orgUrl: spOnly.orgUrl, email: spOnly.email, inResponseTo: id }), idpKey()),
      { cookie: cookiePair(start, 'okb_saml_request') as string },
    )
    expect(ok.status).toBe(303)
  })
})

describe('InResponseTo counts only from signed content', () => {
  /** Starts a sign-in at the SP-only org and returns the request ID with its binding cookie. */
  async function spOnlyStart(target: SamlOrg) {
    const start = await app.request(`${target.orgUrl}/okta/login`, {
      headers: { 'x-forwarded-for': '10.7.7.7' },
    })
    const location = new URL(start.headers.get('location') as string)
    const xml = inflateRawSync(
      Buffer.from(location.searchParams.get('SAMLRequest') as string, 'base64'),
    ).toString()
    return {
      id: /ID="([^"]+)"/.exec(xml)?.[1] as string,
      cookie: cookiePair(start, 'okb_saml_request') as string,
    }
  }
  let spOnly: SamlOrg
  beforeAll(async () => {
    spOnly = await seedSamlOrg(app, 'sponly2', { settings: { allowIdpInitiated: false } })
  })

  test('an InResponseTo added to the unsigned Response of an IdP-initiated assertion is ignored', async () => {
    const { id, cookie } = await spOnlyStart(spOnly)
    const tile = signResponse(oktaResponse({ orgUrl: spOnly.orgUrl, email: spOnly.email }), idpKey())
    const forged = tile.replace('<saml2p:Response ', `<saml2p:Response InResponseTo="${id}" `)
    expect(forged).toContain(`InResponseTo="${id}"`)
    const response = await postAcs(app, spOnly.orgUrl, forged, { cookie })
    expect(response.status).toBe(403)
    expect(response.headers.getSetCookie().some((c) => c.includes('okb_session'))).toBe(false)
    expect(await lastSamlReason(app, spOnly.orgId)).toBe('idp_initiated_disabled')
  })

  test('a signed Response carrying InResponseTo (the confirmation without it) is SP-initiated', async () => {
    const { id, cookie } = await spOnlyStart(spOnly)
    const unsigned = oktaResponse({ orgUrl: spOnly.orgUrl, email: spOnly.email, inResponseTo: id }).replace(
      `<saml2:SubjectConfirmationData InResponseTo="${id}" `,
      '<saml2:SubjectConfirmationData ',
    )
    expect(unsigned.match(/InResponseTo=/g)?.length).toBe(1)
    const response = await postAcs(app, spOnly.orgUrl, signResponse(unsigned, idpKey(), 'response'), {
      cookie,
    })
    expect(response.status).toBe(303)
    const audit = (await app.store.audit.list(spOnly.orgId, { kind: 'saml', limit: 1 }))[0]
    expect(JSON.parse(audit?.data ?? '{}').flow).toBe('sp_initiated')
  })

  test('where IdP-initiated is allowed, an unsigned InResponseTo neither binds nor breaks the sign-in', async () => {
    const tile = signResponse(oktaResponse({ orgUrl: org.orgUrl, email: org.email }), idpKey())
    const noisy = tile.replace('<saml2p:Response ', '<saml2p:Response InResponseTo="_nobody_sent_this" ')
    const response = await postAcs(app, org.orgUrl, noisy)
    expect(response.status).toBe(303)
    const audit = (await app.store.audit.list(org.orgId, { kind: 'saml', limit: 1 }))[0]
    expect(JSON.parse(audit?.data ?? '{}').flow).toBe('idp_initiated')
  })
})
