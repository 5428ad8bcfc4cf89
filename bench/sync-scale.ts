/**
 * Sync scheduler at scale: one org of 100,000 users, 10,000 groups and 1,000,000 memberships pushed
 * through the real SCIM API (HTTP, from a separate client process) into a server wired exactly as
 * `startServer` wires it (store file, app, the scheduler on its own thread). Reports:
 *   (a) sync lag of every change during the push, p50/p99 (written → applied);
 *   (b) a forced full reconcile's duration, and SCIM request latency p50/p99 while it runs;
 *   (c) the integration removal's duration;
 *   (d) the server process's peak RSS.
 *
 *   bun bench/sync-scale.ts [--users 100000] [--groups 10000] [--members 100] [--only removal]
 *                           [--database-url throwaway|postgres://…] [--pool-size 10] [--removal false]
 *                           [--batch-log file.jsonl]
 *
 * `--database-url` runs it on PostgreSQL (bench/database.ts: a throwaway cluster, or a database
 * created on your server), wired as `startServer` wires it there: the HTTP thread's pool
 * (`--pool-size`, default 10) and the scheduler on its own thread (src/sync/thread.ts, worker.ts)
 * with a pool of its own (SCHEDULER_THREAD_POOL_SIZE) — on both engines the scheduler runs on its
 * own thread; `schedulerOnItsOwnThread` in the output says so. `--removal false` stops after (b).
 * `--batch-log` writes one JSON line per scheduler batch (kind, items, durationMs, appliedAt, and
 * `oldest`: when its oldest change was written), for a timeline of the lag.
 *
 * The output also gives the CPU (% of one core) of the HTTP thread, the scheduler thread,
 * PostgreSQL's processes (throwaway cluster) and the SCIM client process, during the push and
 * after it until in sync: on a machine of two cores, whether the lag comes from the scheduler's
 * work or from the cores being taken.
 *
 * `--only removal` measures (c) alone: the directory is written in-process (the SCIM API's rows and
 * feed entries, test/support/directory.ts) and the feed applied before the server starts — the same
 * accounts and events as after the push, in a fraction of the time.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig, parseFlags, sqlitePath } from '../src/config/index.ts'
import { createApp, createFetch } from '../src/http/app.ts'
import type { AppDeps } from '../src/http/context.ts'
import { setUpIntegration } from '../src/integration/service.ts'
import { createLogger } from '../src/observability/log.ts'
import { createMetrics } from '../src/observability/metrics.ts'
import { createApiKey, createOrg } from '../src/orgs/service.ts'
import { openStore, openStoreAt, type Store } from '../src/store/index.ts'
import { type BatchReport, createScheduler } from '../src/sync/scheduler.ts'
import { startSchedulerThread } from '../src/sync/thread.ts'
import { selfSigned } from '../test/support/certs.ts'
import { directoryWriter } from '../test/support/directory.ts'
import { benchDatabase, benchPostmaster, benchServer } from './database.ts'
import { threadCpu, treeCpu } from './scim-binary.ts'

const { flags } = parseFlags(Bun.argv.slice(2))
const USERS = Number(flags.get('users') ?? 100_000)
const GROUPS = Number(flags.get('groups') ?? 10_000)
const MEMBERS = Number(flags.get('members') ?? 100)
const ONLY_REMOVAL = flags.get('only') === 'removal'
const REMOVAL = flags.get('removal') !== 'false'
const POOL_SIZE = Number(flags.get('pool-size') ?? 10)
const BATCH_LOG = flags.get('batch-log')
const batchLog: string[] = []
const pgServer = await benchServer(flags.get('database-url'))
const pg = pgServer ? await benchDatabase(pgServer) : null
const postmaster = await benchPostmaster(flags.get('database-url'))

const dataDir = mkdtempSync(join(tmpdir(), 'okb-bench-sync-'))
const config = loadConfig(
  new Map([
    ['port', '0'],
    ['host', '127.0.0.1'],
    ['data-dir', dataDir],
  ]),
  {},
)
const log = createLogger('warn')
const metrics = createMetrics()
const observe = (operation: 'transaction', seconds: number) =>
  metrics.storeDuration.observe({ operation }, seconds)
const store: Store = pg
  ? await openStoreAt({ kind: 'postgres', url: pg.url }, { observe, poolSize: POOL_SIZE })
  : openStore(sqlitePath(config), observe)
const org = await createOrg(store, { slug: 'bench' })
const { key } = await createApiKey(store, { orgSlug: 'bench' })
const { scimToken } = await setUpIntegration(
  store,
  org,
  {
    ssoUrl: 'https://bench.okta.com/app/x/sso/saml',
    issuer: 'http://www.okta.com/x',
    certificate: selfSigned().certificate,
  },
  'bench',
)

/** The directory of the push, written in-process, and the feed applied (for `--only removal`). */
async function prefill(): Promise<void> {
  const writer = directoryWriter(store, org.id)
  const ids: string[] = []
  for (let i = 0; i < USERS; i += 1000) {
    const page = Array.from({ length: Math.min(1000, USERS - i) }, (_, j) => ({
      userName: `user${i + j}@bench.example`,
      givenName: 'Bench',
      familyName: `User ${i + j}`,
    }))
    ids.push(...(await writer.users(page)))
  }
  for (let g = 0; g < GROUPS; g++) {
    const members = Array.from({ length: MEMBERS }, (_, k) => ids[(g * 37 + k * 101) % USERS] as string)
    await writer.addMembers(await writer.group(`Group ${g}`), members)
  }
  const inProcess = createScheduler({ store, log, config })
  await inProcess.drain()
  // Hand the org over to the server's scheduler thread at once (drain() keeps its lease).
  await store.leases.release(`sync:${org.id}`, inProcess.holder)
}

const prefillStarted = performance.now()
if (ONLY_REMOVAL) await prefill()
const prefillSeconds = Math.round((performance.now() - prefillStarted) / 100) / 10

// Lag of each applied change, in 1 ms buckets up to 2 minutes.
const lagBuckets = new Uint32Array(120_001)
let lagCount = 0
// How much of the wall time the scheduler spent in feed batches, and how big they were.
const feedWork = { batches: 0, changes: 0, ms: 0 }
const batchMs: Record<string, number[]> = {}
const deps: AppDeps = { config, store, log, metrics, version: 'bench' }
const fetchHandler = createFetch(createApp(deps), deps)
const server = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  maxRequestBodySize: config.maxBodyBytes,
  fetch: fetchHandler,
})
function onBatch(report: BatchReport): void {
  if (BATCH_LOG) {
    const { changeTimes, ...rest } = report
    batchLog.push(JSON.stringify({ ...rest, oldest: changeTimes?.[0] ?? null }))
  }
  // How long each batch held the write gate (the HTTP thread may wait up to that long).
  const durations = batchMs[report.kind] ?? []
  batchMs[report.kind] = durations
  durations.push(report.durationMs - report.gateWaitMs)
  if (report.kind === 'feed') {
    feedWork.batches++
    feedWork.changes += report.items
    feedWork.ms += report.durationMs
  }
  for (const at of report.changeTimes ?? []) {
    const bucket = Math.min(120_000, Math.max(0, Math.round(report.appliedAt - at)))
    lagBuckets[bucket] = (lagBuckets[bucket] ?? 0) + 1
    lagCount++
  }
}

const scheduler = startSchedulerThread(
  {
    store,
    log,
    metrics,
    config,
    location: pg ? { kind: 'postgres', url: pg.url } : { kind: 'sqlite', path: sqlitePath(config) },
  },
  new URL('../src/sync/worker.ts', import.meta.url),
  { onBatch },
)
let peakRss = 0
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss())
}, 100)

const base = `http://127.0.0.1:${server.port}`
const scimBase = `${base}/orgs/bench/okta/scim`
const admin = { authorization: `Bearer ${key}` }
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const state = () => store.syncState.get(org.id)

function lagPercentile(p: number): number {
  let seen = 0
  const target = Math.ceil((p / 100) * lagCount)
  for (let ms = 0; ms < lagBuckets.length; ms++) {
    seen += lagBuckets[ms] as number
    if (seen >= target) return ms / 1000
  }
  return Number.POSITIVE_INFINITY
}

async function client(args: string[]): Promise<Record<string, number | string>> {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, 'sync-client.ts'), ...args], {
    stdout: 'pipe',
    stderr: 'inherit',
  })
  const out = await new Response(proc.stdout).text()
  await proc.exited
  const usage = proc.resourceUsage()
  const cpuSeconds = usage ? Number(usage.cpuTime.total) / 1e6 : 0
  return { ...JSON.parse(out.trim().split('\n').at(-1) ?? '{}'), cpuSeconds }
}

/**
 * Whether the scheduler has applied every change: one index probe for a change after its
 * checkpoint (a count of the backlog, polled, would cost the database a core while it is long).
 */
async function untilInSync(): Promise<void> {
  for (;;) {
    const s = await state()
    if (s && (await store.syncState.changesAfter(org.id, s.applied_seq, 1)).length === 0) return
    await sleep(50)
  }
}

/** CPU seconds so far: this process's HTTP thread and scheduler thread, and PostgreSQL's processes. */
function cpuNow() {
  const threads = threadCpu(process.pid)
  return { http: threads.main, sync: threads.worker, db: postmaster === null ? 0 : treeCpu(postmaster) }
}

/** CPU used from `since` over `seconds` of wall time, in % of one core, per part. */
function cpuShare(since: ReturnType<typeof cpuNow>, seconds: number, extra: Record<string, number> = {}) {
  const now = cpuNow()
  const share = (used: number) => Math.round((used / seconds) * 100)
  return {
    httpThread: share(now.http - since.http),
    syncThread: share(now.sync - since.sync),
    postgres: postmaster === null ? null : share(now.db - since.db),
    ...Object.fromEntries(Object.entries(extra).map(([name, used]) => [name, share(used)])),
  }
}

/** (a) and (b): the push through SCIM, then a forced full reconcile while SCIM requests go on. */
async function pushAndReconcile() {
  // (a) The push, with the scheduler applying as it goes.
  const pushStarted = performance.now()
  const cpuAtStart = cpuNow()
  const push = await client([
    'push',
    scimBase,
    scimToken as string,
    String(USERS),
    String(GROUPS),
    String(MEMBERS),
  ])
  const pushSeconds = (performance.now() - pushStarted) / 1000
  const cpuDuringPush = cpuShare(cpuAtStart, pushSeconds, { client: Number(push.cpuSeconds) })
  const cpuAtPushEnd = cpuNow()
  await untilInSync()
  const drainedSeconds = (performance.now() - pushStarted) / 1000
  const cpuCatchingUp = cpuShare(cpuAtPushEnd, Math.max(0.001, drainedSeconds - pushSeconds))

  // (b) A forced full reconcile while a client keeps making SCIM requests.
  const stopFile = join(dataDir, 'stop-probe')
  const probe = client(['probe', scimBase, scimToken as string, String(USERS), stopFile])
  await sleep(500)
  const reconcileStarted = performance.now()
  const resync = await fetch(`${base}/api/v1/orgs/bench/resync`, { method: 'POST', headers: admin })
  if (resync.status !== 200) throw new Error(`resync: ${resync.status} ${await resync.text()}`)
  while ((await state())?.reconcile_running === 1) await sleep(20)
  const reconcileSeconds = (performance.now() - reconcileStarted) / 1000
  const reconciled = await state()
  writeFileSync(stopFile, '')
  const probed = await probe
  return {
    push: {
      ...push,
      wallSeconds: Math.round(pushSeconds * 10) / 10,
      inSyncAfterSeconds: Math.round(drainedSeconds * 10) / 10,
    },
    // % of one core (the machine has `nproc` of them; other load shows in `uptime`).
    cpu: { duringPush: cpuDuringPush, afterPushUntilInSync: cpuCatchingUp },
    feedBatches: {
      ...feedWork,
      ms: Math.round(feedWork.ms),
      busyShareOfPush: Math.round(feedWork.ms / 10 / drainedSeconds) / 100,
    },
    lag: {
      changes: lagCount,
      p50Seconds: lagPercentile(50),
      p99Seconds: lagPercentile(99),
      maxSeconds: lagPercentile(100),
    },
    fullReconcile: {
      seconds: Math.round(reconcileSeconds * 10) / 10,
      processed: reconciled?.reconcile_processed,
      scimDuring: probed,
    },
  }
}

const pushed = ONLY_REMOVAL ? { prefillSeconds } : await pushAndReconcile()
// One query for the directory's size: a bench-only read of the store's tables.
const countSql = `SELECT (SELECT count(*) FROM scim_users WHERE org_id = $1) AS users,
   (SELECT count(*) FROM scim_groups WHERE org_id = $1) AS groups,
   (SELECT count(*) FROM scim_memberships WHERE org_id = $1) AS memberships,
   (SELECT count(*) FROM accounts WHERE org_id = $1) AS accounts,
   (SELECT count(*) FROM events WHERE org_id = $1) AS events`
const counts =
  store.engine.kind === 'sqlite'
    ? store.engine.db.query(countSql.replaceAll('$1', '?1')).get(org.id)
    : Object.fromEntries(
        Object.entries(
          ((await store.engine.sql.unsafe(countSql, [org.id])) as Record<string, unknown>[])[0] ?? {},
        ).map(([name, value]) => [name, Number(value)]),
      )

// (c) Removal of the integration.
let removal: Record<string, unknown> = { skipped: true }
if (REMOVAL) {
  const removalStarted = performance.now()
  const answer = await fetch(`${base}/api/v1/orgs/bench/okta`, { method: 'DELETE', headers: admin })
  const removalCounts = await answer.json()
  while ((await state())?.removal_running === 1) await sleep(20)
  removal = {
    ...removalCounts,
    seconds: Math.round((performance.now() - removalStarted) / 100) / 10,
    deleted: (await state())?.removal_deleted,
  }
}

clearInterval(sampler)
await scheduler.stop()
await server.stop(true)
const result = {
  directory: counts,
  ...pushed,
  engine: store.engine.kind,
  removal,
  peakRssMB: Math.round(peakRss / 1024 / 1024),
  batchMs: Object.fromEntries(
    Object.entries(batchMs).map(([kind, list]) => {
      const sorted = list.sort((a, b) => a - b)
      const at = (p: number) => Math.round((sorted[Math.ceil(p * sorted.length) - 1] ?? 0) * 10) / 10
      return [kind, { batches: sorted.length, p50: at(0.5), p99: at(0.99), max: at(1) }]
    }),
  ),
  schedulerOnItsOwnThread: scheduler.threaded,
}
console.log(JSON.stringify(result, null, 2))
if (BATCH_LOG) writeFileSync(BATCH_LOG, `${batchLog.join('\n')}\n`)
await store.close()
await pg?.drop()
const probedOk = ONLY_REMOVAL || existsSync(join(dataDir, 'stop-probe'))
// A million-membership store is ~1 GB: do not leave it in /tmp.
rmSync(dataDir, { recursive: true, force: true })
if (!probedOk) process.exit(1)
