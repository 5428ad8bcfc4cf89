/**
 * The scheduler on its own thread, as the server runs it (`startSchedulerThread` + src/sync/worker.ts),
 * the thread opening its own store from the location: against a real store file it converges while
 * the calling thread keeps writing through the shared write gate, reports its batches to the
 * caller's /metrics and logger, hands WAL checkpoints over, and `stop()` releases the lease; on
 * PostgreSQL it does the same over a pool of its own. If the thread cannot start or cannot open the
 * store, the loop runs on the calling thread.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { setUpIntegration } from '../../src/integration/service.ts'
import { createLogger } from '../../src/observability/log.ts'
import { createMetrics } from '../../src/observability/metrics.ts'
import { createApiKey, createOrg } from '../../src/orgs/service.ts'
import {
  openStore,
  openStoreAt,
  SCHEDULER_THREAD_POOL_SIZE,
  type SqliteStore,
  type Store,
  type StoreLocation,
} from '../../src/store/index.ts'
import { openPostgresStore } from '../../src/store/postgres/index.ts'
import { writeGateStats } from '../../src/store/sqlite/write-gate.ts'
import { type RunningScheduler, startSchedulerThread } from '../../src/sync/thread.ts'
import { tempDataDir } from '../support/binary.ts'
import { selfSigned } from '../support/certs.ts'
import { directoryWriter } from '../support/directory.ts'
import { createDatabase } from '../support/postgres.ts'

const ENTRY = new URL('../../src/sync/worker.ts', import.meta.url)
const config = { syncIntervalMs: 20, fullReconcileIntervalMs: 3_600_000 }
const open: Array<{ store: Store; scheduler?: RunningScheduler }> = []

afterEach(async () => {
  for (const item of open.splice(0)) {
    await item.scheduler?.stop()
    await item.store.close()
  }
})

async function org(path: string) {
  return seed(openStore(path))
}

async function seed<S extends Store>(store: S) {
  const acme = await createOrg(store, { slug: 'acme' })
  await createApiKey(store, { orgSlug: 'acme' })
  await setUpIntegration(
    store,
    acme,
    {
      ssoUrl: 'https://acme.okta.com/app/x/sso/saml',
      issuer: 'http://www.okta.com/x',
      certificate: selfSigned().certificate,
    },
    'test',
  )
  const entry = { store }
  open.push(entry)
  return { store, entry, org: acme, dir: directoryWriter(store, acme.id) }
}

/** Counts read from the file directly: this test is about SQLite connections and threads. */
const count = (store: SqliteStore, sql: string, orgId: string) =>
  (store.engine.db.query(sql).get(orgId) as { n: number }).n

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 3000 && !check(); i++) await Bun.sleep(10)
  expect(check()).toBe(true)
}

describe('the scheduler on its own thread', () => {
  test('converges while the calling thread writes, reports batches and logs, releases its lease', async () => {
    const path = join(tempDataDir(), 'okta-bridge.sqlite')
    const { store, entry, org: acme, dir } = await org(path)
    const lines: string[] = []
    const metrics = createMetrics()
    const scheduler = startSchedulerThread(
      {
        store,
        location: { kind: 'sqlite', path },
        log: createLogger('info', (line) => lines.push(line)),
        metrics,
        config,
      },
      ENTRY,
    )
    Object.assign(entry, { scheduler })
    // The calling thread keeps writing (each write is a gated transaction) while the thread applies.
    const group = await dir.group('Everyone')
    const ids: string[] = []
    for (let i = 0; i < 2000; i += 100) {
      const batch = await dir.users(
        Array.from({ length: 100 }, (_, j) => ({ userName: `u${i + j}@acme.example` })),
      )
      await dir.addMembers(group, batch)
      ids.push(...batch)
      await Bun.sleep(1)
    }
    await until(() => count(store, 'SELECT count(*) AS n FROM accounts WHERE org_id = ?', acme.id) === 2000)
    await until(
      () =>
        count(
          store,
          "SELECT count(*) AS n FROM events WHERE org_id = ? AND type = 'membership.added'",
          acme.id,
        ) === 2000,
    )
    expect(scheduler.threaded).toBe(true)
    expect((await store.syncState.get(acme.id))?.last_error ?? null).toBeNull()
    // Every directory write above went through the gate the thread shares.
    expect(writeGateStats(store.engine.db)?.transactions).toBeGreaterThanOrEqual(40)
    // This connection leaves checkpoints to the thread (a high value is only a backstop).
    expect(
      (store.engine.db.query('PRAGMA wal_autocheckpoint').get() as { wal_autocheckpoint: number })
        .wal_autocheckpoint,
    ).toBe(32_768)
    expect(await metrics.registry.render()).toMatch(/okta_bridge_sync_batches_total\{kind="feed"\} [1-9]/)
    expect(lines.some((line) => line.includes('"msg":"sync scheduler started"'))).toBe(true)

    await scheduler.stop()
    expect(lines.some((line) => line.includes('"msg":"sync scheduler stopped"'))).toBe(true)
    expect(await store.leases.get(`sync:${acme.id}`)).toBeNull()
    // Applied exactly once: one account and one event per user.
    expect(
      count(
        store,
        "SELECT count(DISTINCT account_id) AS n FROM events WHERE org_id = ? AND type = 'account.created'",
        acme.id,
      ),
    ).toBe(2000)
  }, 60_000)

  test('runs on the calling thread when the thread cannot start', async () => {
    const path = join(tempDataDir(), 'okta-bridge.sqlite')
    const { store, entry, org: acme, dir } = await org(path)
    const lines: string[] = []
    const scheduler = startSchedulerThread(
      {
        store,
        location: { kind: 'sqlite', path },
        log: createLogger('info', (line) => lines.push(line)),
        config,
      },
      new URL('./no-such-worker.ts', import.meta.url),
    )
    Object.assign(entry, { scheduler })
    await dir.users([{ userName: 'solo@acme.example' }])
    await until(() => count(store, 'SELECT count(*) AS n FROM accounts WHERE org_id = ?', acme.id) === 1)
    expect(scheduler.threaded).toBe(false)
    expect(lines.some((line) => line.includes('running the scheduler on the main thread'))).toBe(true)
    await scheduler.stop()
    expect(await store.leases.get(`sync:${acme.id}`)).toBeNull()
  }, 30_000)

  test('an in-memory store keeps the loop on the calling thread', async () => {
    const { store, entry, org: acme, dir } = await org(':memory:')
    const scheduler = startSchedulerThread(
      { store, location: { kind: 'sqlite', path: ':memory:' }, log: createLogger('error', () => {}), config },
      ENTRY,
    )
    Object.assign(entry, { scheduler })
    expect(scheduler.threaded).toBe(false)
    await dir.users([{ userName: 'mem@acme.example' }])
    await until(() => count(store, 'SELECT count(*) AS n FROM accounts WHERE org_id = ?', acme.id) === 1)
  })
})

describe('the scheduler on its own thread, on PostgreSQL', () => {
  test("the thread's store: a small pool of its own that plans each statement for its parameters", async () => {
    const location: StoreLocation = { kind: 'postgres', url: await createDatabase() }
    const http = await openStoreAt(location, { poolSize: 4 })
    const thread = await openStoreAt(location, { poolSize: 4, schedulerThread: { handoff: null } })
    open.push({ store: thread }, { store: http })
    const setting = async (store: Store) =>
      store.engine.kind === 'postgres'
        ? { max: store.engine.sql.options.max, plans: (await store.engine.sql`SHOW plan_cache_mode`)[0] }
        : null
    expect(await setting(http)).toEqual({ max: 4, plans: { plan_cache_mode: 'auto' } })
    expect(await setting(thread)).toEqual({
      max: SCHEDULER_THREAD_POOL_SIZE,
      plans: { plan_cache_mode: 'force_custom_plan' },
    })
    expect(thread.pacing).toBeUndefined()
  })

  test('opens a store of its own from the location, converges, reports batches, releases its lease', async () => {
    const url = await createDatabase()
    const { store, entry, org: acme, dir } = await seed(await openPostgresStore(url, { poolSize: 4 }))
    // The engine needs no pacing: the thread's batches run as they are.
    expect(store.pacing).toBeUndefined()
    const lines: string[] = []
    const metrics = createMetrics()
    const scheduler = startSchedulerThread(
      {
        store,
        location: { kind: 'postgres', url },
        log: createLogger('info', (line) => lines.push(line)),
        metrics,
        config,
      },
      ENTRY,
    )
    Object.assign(entry, { scheduler })
    const group = await dir.group('Everyone')
    for (let i = 0; i < 600; i += 100) {
      const batch = await dir.users(
        Array.from({ length: 100 }, (_, j) => ({ userName: `u${i + j}@acme.example` })),
      )
      await dir.addMembers(group, batch)
    }
    const events = async (type: string) =>
      (await store.events.after(acme.id, 0, 100_000)).filter((event) => event.type === type)
    for (let i = 0; i < 3000 && (await events('membership.added')).length < 600; i++) await Bun.sleep(10)
    expect((await events('membership.added')).length).toBe(600)
    expect(scheduler.threaded).toBe(true)
    expect(await store.accounts.countLinked(acme.id)).toBe(600)
    expect((await store.syncState.get(acme.id))?.last_error ?? null).toBeNull()
    expect(await metrics.registry.render()).toMatch(/okta_bridge_sync_batches_total\{kind="feed"\} [1-9]/)
    // The lease is held by the thread, under the name the caller gave it.
    const lease = await store.leases.get(`sync:${acme.id}`)
    expect(lease?.holder).toMatch(new RegExp(`^[^:]+:${process.pid}:`))

    await scheduler.stop()
    expect(lines.some((line) => line.includes('"msg":"sync scheduler thread stopped"'))).toBe(true)
    expect(await store.leases.get(`sync:${acme.id}`)).toBeNull()
    // Applied exactly once: one account.created event per user.
    const created = await events('account.created')
    expect(new Set(created.map((event) => event.account_id)).size).toBe(600)
    expect(created).toHaveLength(600)
  }, 60_000)

  test('a thread that cannot open the store leaves the loop on the calling thread', async () => {
    const url = await createDatabase()
    const { store, entry, org: acme, dir } = await seed(await openPostgresStore(url, { poolSize: 4 }))
    const lines: string[] = []
    // Nothing listens on port 1: the thread's connection is refused.
    const unreachable: StoreLocation = { kind: 'postgres', url: 'postgres://nobody@127.0.0.1:1/none' }
    const scheduler = startSchedulerThread(
      { store, location: unreachable, log: createLogger('info', (line) => lines.push(line)), config },
      ENTRY,
    )
    Object.assign(entry, { scheduler })
    await dir.users([{ userName: 'solo@acme.example' }])
    for (let i = 0; i < 3000 && (await store.accounts.countLinked(acme.id)) < 1; i++) await Bun.sleep(10)
    expect(await store.accounts.countLinked(acme.id)).toBe(1)
    expect(scheduler.threaded).toBe(false)
    expect(
      lines.some((line) =>
        line.includes('could not open the store; running the scheduler on the main thread'),
      ),
    ).toBe(true)
    await scheduler.stop()
    expect(await store.leases.get(`sync:${acme.id}`)).toBeNull()
  }, 30_000)
})
