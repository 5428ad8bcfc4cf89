/**
 * A real app with a real in-memory store, an org with its integration set up through the admin
 * API, a directory writer for that org, and a real scheduler driven in-process (`drain()`).
 */

import { silentLogger } from '../../src/observability/log.ts'
import { issueSession } from '../../src/sessions/service.ts'
import type { Store } from '../../src/store/index.ts'
import { createScheduler, type SchedulerOptions } from '../../src/sync/scheduler.ts'
import { createTestApp, jsonBody, seedOrg, type TestApp } from '../support/app.ts'
import { directoryWriter } from '../support/directory.ts'
import { setUpIntegration } from '../support/integration.ts'

export async function syncedOrg(app: TestApp, slug: string, settings: Record<string, unknown> = {}) {
  const seeded = await seedOrg(app.store, slug)
  const { scimToken } = await setUpIntegration(
    app,
    slug,
    seeded.auth,
    Object.keys(settings).length ? { settings } : {},
  )
  return { ...seeded, scimToken, dir: directoryWriter(app.store, seeded.org.id) }
}

export async function syncTestbed(options: SchedulerOptions = {}) {
  const app = createTestApp()
  const scheduler = createScheduler(
    { store: app.store, log: silentLogger, metrics: app.deps.metrics, config: app.config },
    options,
  )
  const acme = await syncedOrg(app, 'acme')
  return { app, store: app.store, scheduler, acme }
}

/** A response body read loosely: tests assert its shape with expect(), the contract is the OpenAPI model. */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type Body = any

export async function api(
  app: TestApp,
  auth: Record<string, string>,
  path: string,
  init: { method?: string; body?: unknown } = {},
) {
  const response = await app.request(path, {
    method: init.method ?? 'GET',
    ...(init.body === undefined ? { headers: auth } : jsonBody(init.body, auth)),
  })
  return { status: response.status, body: (await response.json()) as Record<string, Body> }
}

export function accountOf(store: Store, orgId: string, scimUserId: string) {
  return store.accounts.byScimUser(orgId, scimUserId)
}

export function signIn(store: Store, orgId: string, accountId: string) {
  return issueSession(store, { orgId, kind: 'user', subjectId: accountId })
}

export async function eventTypes(store: Store, orgId: string): Promise<string[]> {
  return (await store.events.after(orgId, 0, 100_000)).map((e) => e.type)
}
