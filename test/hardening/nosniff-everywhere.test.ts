/**
 * `X-Content-Type-Options: nosniff` is on every response, whatever produced it: pages, the admin
 * API, SCIM, SAML, docs and their assets, operations endpoints, redirects, 404s from the router,
 * error pages, and the refusals the body guard sends before routing. It is set in one place (the
 * fetch handler), so a route added later carries it too.
 */
import { beforeAll, expect, test } from 'bun:test'
import { type ScimClient, scimOrg } from '../scim/support.ts'

let scim: ScimClient

beforeAll(async () => {
  scim = await scimOrg('acme')
})

test('every kind of response says nosniff', async () => {
  const auth = scim.adminAuth
  const scimAuth = { authorization: `Bearer ${scim.token}` }
  const cases: Array<[string, string, RequestInit?]> = [
    ['health', '/healthz'],
    ['readiness', '/readyz'],
    ['metrics (open or refused)', '/metrics'],
    ['docs page', '/docs'],
    ['OpenAPI document', '/docs/json'],
    ['docs asset', '/docs/assets/swagger-ui.css'],
    ['docs script', '/docs/assets/init.js'],
    ['console sign-in page', '/orgs/acme/admin/login'],
    ['console redirect to sign-in', '/orgs/acme/admin/integration'],
    ['console asset', '/orgs/acme/admin/assets/console.css'],
    ['account page', '/orgs/acme/account'],
    ['SAML metadata', '/orgs/acme/okta/metadata'],
    ['SCIM list', '/orgs/acme/okta/scim/Users', { headers: scimAuth }],
    ['SCIM 401', '/orgs/acme/okta/scim/Users'],
    ['SCIM unknown endpoint', '/orgs/acme/okta/scim/Nope', { headers: scimAuth }],
    ['admin API', '/api/v1/orgs/acme/okta', { headers: auth }],
    ['admin API 401', '/api/v1/orgs/acme/okta'],
    ['unknown route, JSON', '/no/such/thing'],
    ['unknown route, page', '/no/such/thing', { headers: { accept: 'text/html' } }],
    ['unknown org page', '/orgs/nobody/admin/login', { headers: { accept: 'text/html' } }],
    [
      'ACS rejection page',
      '/orgs/acme/okta/auth',
      {
        method: 'POST',
        body: 'SAMLResponse=bm90IHhtbA',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
    ],
    [
      'body guard 415',
      '/api/v1/orgs/acme/users',
      { method: 'POST', body: 'a=b', headers: { ...auth, 'content-type': 'text/plain' } },
    ],
    [
      'body guard 413',
      '/api/v1/orgs/acme/users',
      {
        method: 'POST',
        body: '{}',
        headers: { ...auth, 'content-type': 'application/json', 'content-length': String(64 * 1024 * 1024) },
      },
    ],
    [
      'body guard 400 while streaming',
      '/orgs/acme/okta/scim/Users',
      {
        method: 'POST',
        body: '['.repeat(100),
        headers: { ...scimAuth, 'content-type': 'application/scim+json' },
      },
    ],
  ]
  const missing: string[] = []
  for (const [name, path, init] of cases) {
    const response = await scim.app.request(path, init)
    await response.arrayBuffer()
    if (response.headers.get('x-content-type-options') !== 'nosniff')
      missing.push(`${name} (${response.status})`)
  }
  expect(missing).toEqual([])
})

test('a redirect keeps its status, location and cookies', async () => {
  const response = await scim.app.request('/orgs/acme/admin/integration')
  expect(response.status).toBe(303)
  expect(response.headers.get('location')).toContain('/orgs/acme/admin/login')
  expect(response.headers.get('x-content-type-options')).toBe('nosniff')
})
