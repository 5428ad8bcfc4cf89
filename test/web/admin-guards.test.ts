/**
 * Every admin route is guarded by its plugin, read from the assembled app's route table so a route
 * added later is covered without editing this file: each admin API route answers 401 in the API's
 * JSON to a caller without a credential, each console route sends a browser without a session to
 * sign-in, and each console form refuses a forged CSRF token with the "form has expired" page and
 * changes nothing. Only the sign-in routes, the assets and the live status JSON are exempt, by name.
 */
import { describe, expect, test } from 'bun:test'
import type { TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { createApp } from '../../src/http/app.ts'
import { issueSession } from '../../src/sessions/service.ts'
import { createTestApp, seedOrg } from '../support/app.ts'
import { seedAdmin } from './console-client.ts'

// Routes under the console prefix that need no session (or answer JSON), each for its own reason.
const WITHOUT_SESSION = new Set([
  'GET /orgs/:slug/admin/login',
  // Sign-in with Okta: starts the SAML flow (its own throttle), lands in the console.
  'GET /orgs/:slug/admin/sso',
  'POST /orgs/:slug/admin/login',
  'POST /orgs/:slug/admin/logout',
  'GET /orgs/:slug/admin',
  'GET /orgs/:slug/admin/assets/:name',
  'GET /orgs/:slug/admin/integration/status.json',
])

async function setUp() {
  const app = createTestApp()
  const { org } = await seedOrg(app.store, 'acme')
  const admin = await seedAdmin(app, 'acme')
  const routes = createApp(app.deps).routes.map((route) => ({
    method: route.method,
    path: route.path,
    body: (route.hooks as { body?: TSchema }).body,
    key: `${route.method} ${route.path}`,
  }))
  return { app, org, admin, routes }
}

const concrete = (path: string) => path.replace(':slug', 'acme').replace(/:\w+/g, 'x')

/** The smallest body the route's model accepts, so validation passes and the guard is what answers. */
function validBody(schema: TSchema | undefined): Record<string, unknown> {
  return schema ? (Value.Create(schema) as Record<string, unknown>) : {}
}

describe('admin guards', () => {
  test('every admin API route answers 401 without a credential', async () => {
    const { app, routes } = await setUp()
    const api = routes.filter((r) => r.path.startsWith('/api/v1/orgs/:slug/'))
    expect(api.length).toBeGreaterThan(15)
    for (const route of api) {
      const hasBody = route.method !== 'GET' && route.method !== 'DELETE'
      const response = await app.request(concrete(route.path), {
        method: route.method,
        ...(hasBody
          ? { body: JSON.stringify(validBody(route.body)), headers: { 'content-type': 'application/json' } }
          : {}),
      })
      expect(response.status, route.key).toBe(401)
      expect(((await response.json()) as { error: { code: string } }).error.code, route.key).toBe(
        'UNAUTHENTICATED',
      )
    }
  })

  test('every console page and form sends a browser without a session to sign-in', async () => {
    const { app, routes } = await setUp()
    const pages = routes.filter((r) => r.path.startsWith('/orgs/:slug/admin') && !WITHOUT_SESSION.has(r.key))
    expect(pages.length).toBeGreaterThan(15)
    for (const route of pages) {
      const form = { ...validBody(route.body), _csrf: 'x' } as Record<string, string>
      const response = await app.request(concrete(route.path), {
        method: route.method,
        headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
        ...(route.method === 'POST' ? { body: new URLSearchParams(form).toString() } : {}),
      })
      expect(response.status, route.key).toBe(303)
      expect(response.headers.get('location'), route.key).toStartWith('/orgs/acme/admin/login?next=')
    }
  })

  test('every console form refuses a forged CSRF token and changes nothing', async () => {
    const { app, org, admin, routes } = await setUp()
    const session = await issueSession(app.store, { orgId: org.id, kind: 'admin', subjectId: admin.id })
    const forms = routes.filter(
      (r) => r.method === 'POST' && r.path.startsWith('/orgs/:slug/admin') && !WITHOUT_SESSION.has(r.key),
    )
    expect(forms.length).toBeGreaterThan(8)
    const before = (await app.store.audit.list(org.id, { limit: 1000 })).length
    for (const route of forms) {
      const form = { ...validBody(route.body), _csrf: 'forged' } as Record<string, string>
      const response = await app.request(concrete(route.path), {
        method: 'POST',
        headers: {
          accept: 'text/html',
          'content-type': 'application/x-www-form-urlencoded',
          cookie: `okb_admin=${session.token}`,
        },
        body: new URLSearchParams(form).toString(),
      })
      expect(response.status, route.key).toBe(403)
      expect(await response.text(), route.key).toContain('This form has expired')
    }
    expect((await app.store.audit.list(org.id, { limit: 1000 })).length).toBe(before)
    expect(await app.store.admins.count(org.id)).toBe(1)
  })
})
