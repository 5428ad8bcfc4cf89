import { describe, expect, test } from 'bun:test'
import { createTestApp, seedOrg } from '../support/app.ts'

describe('org routing', () => {
  test('an org with its own origin gets its Okta values at that origin', async () => {
    const app = createTestApp()
    const { auth } = await seedOrg(app.store, 'acme', 'https://sso.acme.example')
    const status = await (await app.request('/api/v1/orgs/acme/okta', { headers: auth })).json()
    expect(status.acsUrl).toBe('https://sso.acme.example/okta/auth')
    expect(status.audience).toBe('https://sso.acme.example')
    expect(status.scimBaseUrl).toBe('https://sso.acme.example/okta/scim')
  })

  test('requests to an own origin are routed to that org (unknown page → its 404, not another org)', async () => {
    const app = createTestApp()
    await seedOrg(app.store, 'acme', 'http://acme.localhost:3000')
    const res = await app.fetch(
      new Request('http://acme.localhost:3000/nothing-here', {
        headers: { accept: 'text/html', host: 'acme.localhost:3000' },
      }),
    )
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toContain('text/html')
    // Global routes stay global on an own origin.
    const health = await app.fetch(new Request('http://acme.localhost:3000/healthz'))
    expect(health.status).toBe(200)
  })

  test('X-Forwarded-Host is honoured only with TRUST_PROXY', async () => {
    const { rewriteForOwnOrigin } = await import('../../src/http/org-routing.ts')
    const app = createTestApp()
    await seedOrg(app.store, 'acme', 'https://sso.acme.example')
    const behindProxy = new Request('http://10.0.0.5:3000/okta/scim/Users', {
      headers: { 'x-forwarded-host': 'sso.acme.example', 'x-forwarded-proto': 'https' },
    })
    expect(new URL((await rewriteForOwnOrigin(behindProxy, app.store, { hops: 1 })).url).pathname).toBe(
      '/orgs/acme/okta/scim/Users',
    )
    expect(new URL((await rewriteForOwnOrigin(behindProxy, app.store, { hops: 0 })).url).pathname).toBe(
      '/okta/scim/Users',
    )
  })

  test('unknown orgs are a 404 in JSON for API clients and a page for people', async () => {
    const app = createTestApp()
    const { auth } = await seedOrg(app.store, 'acme')
    const api = await app.request('/api/v1/orgs/ghost/okta', { headers: auth })
    expect(api.status).toBe(404)
    expect((await api.json()).error.code).toBe('ORG_NOT_FOUND')
    const page = await app.request('/orgs/ghost/account', { headers: { accept: 'text/html' } })
    expect(page.status).toBe(404)
    const html = await page.text()
    expect(html).toContain('<h1>')
    expect(html).not.toMatch(/at .+:\d+:\d+/)
  })
})
