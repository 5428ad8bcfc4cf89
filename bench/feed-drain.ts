/**
 * The sync scheduler's change-feed apply alone: a directory written in-process (the SCIM API's
 * rows and feed entries, test/support/directory.ts), then the feed applied by the scheduler's own
 * batches (`drain()`, the batch sizes and budgets of its thread) with nothing else running. Reports
 * changes/s, feed-batch milliseconds p50/p99, and the CPU seconds per 1,000 changes of this process
 * and of PostgreSQL — the scheduler's cost per change, which bench/sync-scale.ts shows as lag when
 * it exceeds what the push leaves of the machine. CPU seconds hardly depend on the load of other
 * processes, wall time does: compare CPU when the machine is shared.
 *
 *   bun bench/feed-drain.ts [--users 20000] [--groups 2000] [--members 100]
 *                           [--database-url throwaway|postgres://…] [--statements 15]
 *
 * `--statements N` (PostgreSQL, a server started with shared_preload_libraries=pg_stat_statements)
 * prints the N statements the drain spent most time in; `--postmaster PID` counts that server's CPU
 * (the throwaway cluster's is found by itself).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig, parseFlags, sqlitePath } from '../src/config/index.ts'
import { setUpIntegration } from '../src/integration/service.ts'
import { createLogger } from '../src/observability/log.ts'
import { createOrg } from '../src/orgs/service.ts'
import { openStore, openStoreAt, type Store } from '../src/store/index.ts'
import { createScheduler } from '../src/sync/scheduler.ts'
import { THREAD_OPTIONS } from '../src/sync/thread.ts'
import { selfSigned } from '../test/support/certs.ts'
import { directoryWriter } from '../test/support/directory.ts'
import { benchDatabase, benchPostmaster, benchServer } from './database.ts'
import { threadCpu, treeCpu } from './scim-binary.ts'

const { flags } = parseFlags(Bun.argv.slice(2))
const USERS = Number(flags.get('users') ?? 20_000)
const GROUPS = Number(flags.get('groups') ?? 2_000)
const MEMBERS = Number(flags.get('members') ?? 100)
const STATEMENTS = Number(flags.get('statements') ?? 0)
const pgServer = await benchServer(flags.get('database-url'))
const pg = pgServer ? await benchDatabase(pgServer) : null
const postmaster = flags.has('postmaster')
  ? Number(flags.get('postmaster'))
  : await benchPostmaster(flags.get('database-url'))

const dataDir = mkdtempSync(join(tmpdir(), 'okb-bench-drain-'))
const config = loadConfig(new Map([['data-dir', dataDir]]), {})
const log = createLogger('warn')
const location = pg ? ({ kind: 'postgres', url: pg.url } as const) : null
const store: Store = location ? await openStoreAt(location) : openStore(sqlitePath(config))
const org = await createOrg(store, { slug: 'bench' })
await setUpIntegration(
  store,
  org,
  {
    ssoUrl: 'https://bench.okta.com/app/x/sso/saml',
    issuer: 'http://www.okta.com/x',
    certificate: selfSigned().certificate,
  },
  'bench',
)

// The org's first full reconcile, over the empty directory (else it would run during the drain).
const first = createScheduler({ store, log, config })
await first.drain()
await store.leases.release(`sync:${org.id}`, first.holder)

// The directory, as the push of bench/sync-scale.ts leaves it: users, then groups with members.
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
const stride = Math.max(1, Math.floor(USERS / GROUPS))
for (let g = 0; g < GROUPS; g++) {
  const members = new Set(
    Array.from({ length: MEMBERS }, (_, k) => ids[(g * stride + k * 997) % USERS] as string),
  )
  await writer.addMembers(await writer.group(`Group ${g}`), [...members])
}

// The scheduler thread's store (its pool and plans) and options, on this thread.
const schedulerStore: Store = location
  ? await openStoreAt(location, { schedulerThread: { handoff: null } })
  : store
const stats = STATEMENTS > 0 && pg ? schedulerStore.engine : null
if (stats?.kind === 'postgres') {
  await stats.sql.unsafe('CREATE EXTENSION IF NOT EXISTS pg_stat_statements')
  await stats.sql.unsafe('SELECT pg_stat_statements_reset()')
}
const batchMs: number[] = []
let changes = 0
const scheduler = createScheduler(
  { store: schedulerStore, log, config },
  {
    ...THREAD_OPTIONS,
    onBatch: (report) => {
      if (report.kind !== 'feed') return
      batchMs.push(report.durationMs)
      changes += report.items
    },
  },
)
const cpu = () => {
  const threads = threadCpu(process.pid)
  return { bun: threads.main + threads.worker + threads.other, db: postmaster ? treeCpu(postmaster) : 0 }
}
const before = cpu()
const started = performance.now()
await scheduler.drain()
const seconds = (performance.now() - started) / 1000
const after = cpu()
await store.leases.release(`sync:${org.id}`, scheduler.holder)

const sorted = batchMs.sort((a, b) => a - b)
const at = (p: number) => Math.round((sorted[Math.ceil(p * sorted.length) - 1] ?? 0) * 10) / 10
const perThousand = (used: number) => Math.round((used / changes) * 1000 * 1000) / 1000
const result: Record<string, unknown> = {
  engine: store.engine.kind,
  users: USERS,
  groups: GROUPS,
  changes,
  seconds: Math.round(seconds * 10) / 10,
  changesPerSecond: Math.round(changes / seconds),
  feedBatchMs: { batches: sorted.length, p50: at(0.5), p99: at(0.99), max: at(1) },
  cpuSecondsPer1000Changes: {
    bun: perThousand(after.bun - before.bun),
    postgres: postmaster ? perThousand(after.db - before.db) : null,
  },
}
if (stats?.kind === 'postgres') {
  const top = (await stats.sql.unsafe(
    `SELECT calls, round(total_exec_time)::int AS ms, rows,
            left(regexp_replace(query, '\\s+', ' ', 'g'), 110) AS query
     FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
     ORDER BY total_exec_time DESC LIMIT ${STATEMENTS}`,
  )) as Record<string, unknown>[]
  result.statements = top
}
console.log(JSON.stringify(result, null, 2))
if (schedulerStore !== store) await schedulerStore.close()
await store.close()
await pg?.drop()
rmSync(dataDir, { recursive: true, force: true })
