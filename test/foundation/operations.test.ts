import { describe, expect, test } from 'bun:test'
import { bodyPolicyOf } from '../../src/http/body-policy.ts'
import { createTestApp, METRICS_AUTH, seedOrg } from '../support/app.ts'

describe('health, readiness, metrics', () => {
  test('healthz and readyz answer 200', async () => {
    const app = createTestApp()
    expect((await app.request('/healthz')).status).toBe(200)
    const ready = await app.request('/readyz')
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({ status: 'ready' })
  })

  test('readyz is 503 when the store does not answer', async () => {
    const app = createTestApp()
    await app.store.close()
    const ready = await app.request('/readyz')
    expect(ready.status).toBe(503)
  })

  test('metrics count requests by route and status, with latency histograms', async () => {
    const app = createTestApp()
    const { auth } = await seedOrg(app.store)
    await app.request('/api/v1/orgs/acme/okta', { headers: auth })
    await app.request('/api/v1/orgs/acme/okta')
    // Metrics are recorded after the response is sent: wait until both requests are counted.
    let text = ''
    for (let i = 0; i < 100 && !text.includes('status="401"'); i++) {
      await Bun.sleep(5)
      text = await (await app.request('/metrics', { headers: METRICS_AUTH })).text()
    }
    expect(text).toContain('# TYPE okta_bridge_http_requests_total counter')
    expect(text).toMatch(
      /okta_bridge_http_requests_total\{method="GET",route="\/api\/v1\/orgs\/:slug\/okta",status="200"\} 1/,
    )
    expect(text).toMatch(
      /okta_bridge_http_requests_total\{method="GET",route="\/api\/v1\/orgs\/:slug\/okta",status="401"\} 1/,
    )
    expect(text).toContain('okta_bridge_http_request_duration_seconds_bucket{')
    expect(text).toContain('le="+Inf"')
  })
})

describe('API docs', () => {
  test('the OpenAPI document covers the routes with models, errors and auth schemes', async () => {
    const app = createTestApp()
    const doc = await (await app.request('/docs/json')).json()
    expect(doc.openapi).toMatch(/^3\./)
    const okta = doc.paths['/api/v1/orgs/{slug}/okta']
    expect(Object.keys(okta).sort()).toEqual(['delete', 'get', 'put'])
    expect(okta.put.requestBody.content['application/json'].schema).toBeDefined()
    expect(okta.put.responses['400']).toBeDefined()
    expect(doc.paths['/api/v1/orgs/{slug}/okta/scim-token'].post).toBeDefined()
    expect(doc.paths['/healthz'].get).toBeDefined()
    expect(doc.components.securitySchemes.apiKey.scheme).toBe('bearer')
    // Every documented operation has a summary and at least one response.
    for (const [path, item] of Object.entries(
      doc.paths as Record<string, Record<string, { summary?: string; responses?: object }>>,
    )) {
      for (const [method, op] of Object.entries(item)) {
        expect({ path, method, summary: typeof op.summary }).toEqual({ path, method, summary: 'string' })
        expect(Object.keys(op.responses ?? {}).length).toBeGreaterThan(0)
      }
    }
  })

  test('every documented request body names exactly the content types its surface accepts', async () => {
    const doc = await (await createTestApp().request('/docs/json')).json()
    const seen = { api: 0, page: 0 }
    for (const [path, item] of Object.entries(
      doc.paths as Record<string, Record<string, { requestBody?: { content: Record<string, unknown> } }>>,
    )) {
      for (const [method, op] of Object.entries(item)) {
        if (!op.requestBody) continue
        // The types are those of the body guard (src/http/body-policy.ts), which refuses the rest.
        const accepted = [...bodyPolicyOf(path).accepts].sort()
        const documented = Object.keys(op.requestBody.content)
        const surface = bodyPolicyOf(path).surface
        if (surface === 'api' || surface === 'page') seen[surface]++
        for (const type of documented)
          expect({ path, method, type, ok: accepted.includes(type) }).toEqual({
            path,
            method,
            type,
            ok: true,
          })
      }
    }
    expect(seen.api).toBeGreaterThanOrEqual(6)
    expect(seen.page).toBeGreaterThanOrEqual(10)
    expect(Object.keys(doc.paths['/api/v1/orgs/{slug}/okta'].put.requestBody.content)).toEqual([
      'application/json',
    ])
  })

  test('the Swagger UI page references no external origin and its assets are served', async () => {
    const app = createTestApp()
    const page = await app.request('/docs')
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).not.toMatch(/https?:\/\//)
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
    const srcs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string)
    expect(srcs.length).toBe(3)
    for (const src of srcs) {
      const asset = await app.request(src)
      expect(asset.status).toBe(200)
      expect((await asset.text()).length).toBeGreaterThan(50)
    }
  })
})
