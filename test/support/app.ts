/**
 * A fresh in-process server for route tests: an in-memory store, a real app, requests through the
 * same fetch handler the server uses (`app.handle` behind limits and own-origin rewrite).
 */
import { type Config, loadConfig } from '../../src/config/index.ts'
import { createApp, createFetch } from '../../src/http/app.ts'
import type { AppDeps } from '../../src/http/context.ts'
import { silentLogger } from '../../src/observability/log.ts'
import { createMetrics } from '../../src/observability/metrics.ts'
import { createApiKey, createOrg } from '../../src/orgs/service.ts'
import { createSecretBox } from '../../src/secrets/secret-box.ts'
import { openStore, type SqliteStore, type Store } from '../../src/store/index.ts'

export const PUBLIC_URL = 'http://localhost:3000'
/** Test apps serve /metrics behind this token (with none, /metrics is off); send METRICS_AUTH. */
export const METRICS_TOKEN = 'test-metrics-token-0123456789'
export const METRICS_AUTH = { authorization: `Bearer ${METRICS_TOKEN}` }

export interface TestApp {
  deps: AppDeps
  store: SqliteStore
  config: Config
  fetch(request: Request): Promise<Response>
  /** Request to a path on PUBLIC_URL (or a full URL). */
  request(path: string, init?: RequestInit): Promise<Response>
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    ...loadConfig(new Map(), { DATABASE_URL: ':memory:', PUBLIC_URL, METRICS_TOKEN }),
    ...overrides,
  }
}

export function createTestApp(overrides: Partial<Config> = {}): TestApp {
  const config = testConfig(overrides)
  // Like the server: with SECRET_KEY set, SP private keys are sealed in the store.
  const store = openStore(':memory:', undefined, config.secretKey ? createSecretBox(config.secretKey) : null)
  const deps: AppDeps = { config, store, log: silentLogger, metrics: createMetrics(), version: 'test' }
  const app = createApp(deps)
  const fetch = createFetch(app, deps)
  return {
    deps,
    store,
    config,
    fetch,
    request: (path, init) =>
      fetch(new Request(path.startsWith('http') ? path : `${PUBLIC_URL}${path}`, init)),
  }
}

/** An org with an admin API key. */
export async function seedOrg(store: Store, slug = 'acme', url?: string) {
  const org = await createOrg(store, { slug, name: `${slug} Inc`, url })
  const { key } = await createApiKey(store, { orgSlug: slug })
  return { org, apiKey: key, auth: { authorization: `Bearer ${key}` } }
}

export function jsonBody(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } }
}
