/**
 * Webhook delivery benchmark against the compiled binary on its SQLite default (issue 11 targets).
 *
 *   bun bench/webhooks.ts [--events 100000] [--concurrency 8] [--latency-users 1000] [--profile DIR]
 *
 * 1. An org, an API key (CLI) and the Okta integration (admin API); a local receiver that answers
 *    each request after ~1 ms, checks every 100th signature with `standardwebhooks`, and records
 *    what arrived.
 * 2. Backlog: a single-event endpoint is created disabled, `--events` users are pushed over SCIM
 *    (POST /Users at `--concurrency`), and the scheduler writes their feed. Then the endpoint is
 *    enabled: events/s until its cursor reaches the last event, while SCIM PUTs run beside it
 *    (their p50/p99 is "SCIM during delivery"; the same PUTs for 15 s before, with no delivery
 *    running, are the baseline).
 * 3. Batch: a batch endpoint replays the whole feed (`afterEventId: 0`): events/s.
 * 4. Not backlogged: with both endpoints caught up, `--latency-users` more users are pushed at a
 *    steady pace; for each event, the time from being written (its `at`) to arriving at the
 *    receiver, p50/p99.
 * Prints a table and one JSON line. Bench only (not a test): numbers depend on the machine.
 * `--profile DIR` runs the server from source under `bun --cpu-prof-md` instead of the binary and
 * leaves the CPU profile of each of its threads in DIR when it stops.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { Webhook } from 'standardwebhooks'
import { selfSigned } from '../test/support/certs.ts'
import { build, cli, startServer } from './scim-binary.ts'

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    concurrency: { type: 'string', default: '8' },
    'latency-users': { type: 'string', default: '1000' },
    profile: { type: 'string' },
  },
})
const EVENTS = Number(values.events)
const CONCURRENCY = Number(values.concurrency)
const LATENCY_USERS = Number(values['latency-users'])

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.length === 0
    ? 0
    : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number)
}
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits

// The receiver: ~1 ms per request, every 100th signature verified, arrival times per event.
const secrets = new Map<string, string>()
const arrivals = new Map<string, Map<number, number>>()
let verified = 0
let badSignatures = 0
let requests = 0
const receiver = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  async fetch(request) {
    const name = new URL(request.url).pathname.slice(1)
    const body = await request.text()
    const now = Date.now()
    requests++
    if (requests % 100 === 0 && secrets.has(name)) {
      try {
        new Webhook(secrets.get(name) ?? '').verify(body, Object.fromEntries(request.headers))
        verified++
      } catch {
        badSignatures++
      }
    }
    const parsed = JSON.parse(body) as
      | { id: number; at: string }
      | { events: Array<{ id: number; at: string }> }
    const events = 'events' in parsed ? parsed.events : [parsed]
    const seen = arrivals.get(name) ?? new Map<number, number>()
    arrivals.set(name, seen)
    for (const event of events) {
      if (!seen.has(event.id)) seen.set(event.id, now - Date.parse(event.at))
    }
    await Bun.sleep(1)
    return new Response(null, { status: 204 })
  },
})
const hookUrl = (name: string) => `http://127.0.0.1:${receiver.port}/${name}`

build()
const dataDir = mkdtempSync(join(tmpdir(), 'okb-bench-hooks-'))
cli(dataDir, 'org', 'create', '--slug', 'acme')
const { key } = cli(dataDir, 'api-key', 'create', '--org', 'acme')
/** With --profile: a launcher that runs the server from source under Bun's CPU profiler. */
const profiled = (dir: string) => {
  const launcher = join(dataDir, 'profiled-server')
  const main = resolve(import.meta.dir, '../src/main.ts')
  writeFileSync(
    launcher,
    `#!/bin/sh\nexec "${process.execPath}" --cpu-prof-md --cpu-prof-dir "${resolve(dir)}" "${main}" "$@"\n`,
  )
  chmodSync(launcher, 0o755)
  return launcher
}
const server = await startServer(
  dataDir,
  {
    ALLOW_PRIVATE_OUTBOUND: '1',
    SYNC_INTERVAL_MS: '50',
    LOG_LEVEL: 'warn',
  },
  false,
  values.profile ? profiled(values.profile) : undefined,
)
const api = async (path: string, method = 'GET', body?: unknown) => {
  const response = await fetch(`${server.url}/api/v1/orgs/acme${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  if (response.status >= 300)
    throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`)
  return (await response.json()) as Record<string, unknown>
}
const setUp = await api('/okta', 'PUT', {
  ssoUrl: 'https://acme.okta.com/app/bench/sso/saml',
  issuer: 'http://www.okta.com/bench',
  certificate: selfSigned().certificate,
})
const scimToken = setUp.scimToken as string
const scim = async (path: string, method: string, body: unknown) => {
  const started = performance.now()
  const response = await fetch(`${server.url}/orgs/acme/okta/scim${path}`, {
    method,
    headers: { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' },
    body: JSON.stringify(body),
  })
  const text = await response.text()
  if (response.status >= 300) throw new Error(`SCIM ${method} ${path}: ${response.status} ${text}`)
  return { ms: performance.now() - started, body: text }
}
const user = (i: number) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  userName: `user${i}@acme.example`,
  name: { givenName: 'User', familyName: String(i) },
  emails: [{ value: `user${i}@acme.example`, primary: true }],
  active: true,
})

/** Runs `work(i)` for i in [from, to) on `CONCURRENCY` connections; returns each call's ms. */
async function pool(from: number, to: number, work: (i: number) => Promise<number>, width = CONCURRENCY) {
  const times: number[] = []
  let next = from
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < to) times.push(await work(next++))
    }),
  )
  return times
}

const createdEvents = async () => ((await api('/sync')) as { pendingChanges: number }).pendingChanges
const lastEventId = async () => {
  let after = 0
  for (;;) {
    const page = (await api(`/events?after=${after}&limit=1000`)) as {
      events: Array<{ id: number }>
      nextCursor: string
    }
    if (page.events.length === 0) return after
    after = Number(page.nextCursor)
  }
}
const cursorOf = async (id: string) => ((await api(`/webhooks/${id}`)) as { cursor: number }).cursor
/** Until the endpoint's cursor reaches `target`; with `rates`, its events/s per 10 s of the wait. */
async function waitCursor(id: string, target: number, rates?: number[]) {
  let windowStart = performance.now()
  let windowCursor = await cursorOf(id)
  for (let cursor = windowCursor; cursor < target; cursor = await cursorOf(id)) {
    await Bun.sleep(50)
    if (rates && performance.now() - windowStart >= 10_000) {
      rates.push(Math.round((cursor - windowCursor) / ((performance.now() - windowStart) / 1000)))
      windowStart = performance.now()
      windowCursor = cursor
    }
  }
}

try {
  // 2. Backlog, then single-event delivery with SCIM traffic beside it.
  const single = await api('/webhooks', 'POST', { url: hookUrl('single') })
  secrets.set('single', single.secret as string)
  await api(`/webhooks/${single.id}`, 'PATCH', { enabled: false })
  const scimIds: Array<[string, number]> = []
  const pushStarted = performance.now()
  await pool(0, EVENTS, async (i) => {
    const { ms, body } = await scim('/Users', 'POST', user(i))
    if (i % Math.max(1, Math.floor(EVENTS / 2000)) === 0)
      scimIds.push([(JSON.parse(body) as { id: string }).id, i])
    return ms
  })
  const pushSeconds = (performance.now() - pushStarted) / 1000
  while ((await createdEvents()) > 0) await Bun.sleep(200)

  // PUTs of existing users (profile updates), paced: about 50 requests/s on 2 connections, while
  // `going()` holds. First with no delivery running (the baseline), then beside the delivery.
  const putsWhile = async (going: (round: number) => Promise<boolean>) => {
    const times: number[] = []
    for (let round = 0; await going(round); round++) {
      const batch = await pool(
        0,
        4,
        async (j) => {
          const [id, i] = scimIds[(round * 4 + j) % scimIds.length] as [string, number]
          const { ms } = await scim(`/Users/${id}`, 'PUT', {
            ...user(i),
            id,
            name: { givenName: 'Renamed', familyName: String(round) },
          })
          return ms
        },
        2,
      )
      times.push(...batch)
      await Bun.sleep(60)
    }
    return times
  }
  const baselineUntil = performance.now() + 15_000
  const scimBaseline = await putsWhile(async () => performance.now() < baselineUntil)
  while ((await createdEvents()) > 0) await Bun.sleep(200)
  const backlogLast = await lastEventId()

  await api(`/webhooks/${single.id}`, 'PATCH', { enabled: true })
  const singleStarted = performance.now()
  let scimDuring: number[] = []
  const beside = (async () => {
    scimDuring = await putsWhile(async () => (await cursorOf(single.id as string)) < backlogLast)
  })()
  const singleRates: number[] = []
  await waitCursor(single.id as string, backlogLast, singleRates)
  const singleSeconds = (performance.now() - singleStarted) / 1000
  // How long the receiver took to answer the drain's last requests, as the server measured it
  // (its delivery log, whole ms): the rest of each event's time is the server's own.
  const logged = (await api(`/webhooks/${single.id}/deliveries?limit=1000`)) as {
    items: Array<{ durationMs: number }>
  }
  const answerMs = logged.items.map((item) => item.durationMs)
  await beside
  const feedLast = await lastEventId()
  await waitCursor(single.id as string, feedLast)

  // 3. Batch: replay the whole feed to a batch endpoint.
  const batch = await api('/webhooks', 'POST', { url: hookUrl('batch'), batch: true })
  secrets.set('batch', batch.secret as string)
  const batchStarted = performance.now()
  await api(`/webhooks/${batch.id}/replay`, 'POST', { afterEventId: 0 })
  await waitCursor(batch.id as string, feedLast)
  const batchSeconds = (performance.now() - batchStarted) / 1000

  // 4. Not backlogged: a steady trickle; written → delivered for each of its events.
  const before = feedLast
  await pool(
    EVENTS,
    EVENTS + LATENCY_USERS,
    async (i) => {
      const { ms } = await scim('/Users', 'POST', user(i))
      await Bun.sleep(20)
      return ms
    },
    2,
  )
  while ((await createdEvents()) > 0) await Bun.sleep(100)
  const latencyLast = await lastEventId()
  await waitCursor(single.id as string, latencyLast)
  const latencies = [...(arrivals.get('single') ?? new Map()).entries()]
    .filter(([id]) => id > before)
    .map(([, ms]) => ms)

  // The ceiling of single-event mode on this machine: the same receiver, sequential POSTs of a
  // typical body with nothing else (no store, no signing) — what one request at a time can reach.
  const sample = JSON.stringify({ id: 1, type: 'account.created', at: new Date().toISOString(), data: {} })
  const rawStarted = performance.now()
  for (let i = 0; i < 2000; i++) {
    await (await fetch(hookUrl('raw'), { method: 'POST', body: sample })).arrayBuffer()
  }
  const rawPerSecond = 2000 / ((performance.now() - rawStarted) / 1000)
  const delivered = arrivals.get('single')?.size ?? 0
  const result = {
    events: backlogLast,
    pushUsersPerSecond: round(EVENTS / pushSeconds),
    singleEventsPerSecond: round(backlogLast / singleSeconds),
    singleEventsPerSecondBy10s: singleRates,
    singleAnswerMs: { p50: percentile(answerMs, 50), p99: percentile(answerMs, 99) },
    sequentialRequestsPerSecond: round(rawPerSecond),
    batchEventsPerSecond: round(feedLast / batchSeconds),
    scimWithoutDelivery: {
      requests: scimBaseline.length,
      p50: round(percentile(scimBaseline, 50), 2),
      p99: round(percentile(scimBaseline, 99), 2),
    },
    scimDuringDelivery: {
      requests: scimDuring.length,
      p50: round(percentile(scimDuring, 50), 2),
      p99: round(percentile(scimDuring, 99), 2),
    },
    writtenToDelivered: {
      events: latencies.length,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
    },
    signaturesVerified: verified,
    badSignatures,
    singleDistinctEvents: delivered,
  }
  console.log(
    [
      '| measure | value | target |',
      '| --- | --- | --- |',
      `| events in the backlog | ${result.events.toLocaleString('en-US')} | |`,
      `| single-event mode | ${result.singleEventsPerSecond.toLocaleString('en-US')} events/s | ≥ 500 |`,
      `| one request at a time to the same receiver, nothing else (ceiling of single mode) | ${result.sequentialRequestsPerSecond.toLocaleString('en-US')} requests/s | |`,
      `| batch mode | ${result.batchEventsPerSecond.toLocaleString('en-US')} events/s | ≥ 10,000 |`,
      `| SCIM PUT, no delivery running (baseline) | p50 ${result.scimWithoutDelivery.p50} ms, p99 ${result.scimWithoutDelivery.p99} ms (${result.scimWithoutDelivery.requests} requests) | |`,
      `| SCIM PUT during delivery | p50 ${result.scimDuringDelivery.p50} ms, p99 ${result.scimDuringDelivery.p99} ms (${result.scimDuringDelivery.requests} requests) | p99 < 20 ms |`,
      `| written → delivered, not backlogged | p50 ${result.writtenToDelivered.p50} ms, p99 ${result.writtenToDelivered.p99} ms (${result.writtenToDelivered.events} events) | p99 ≤ 1 s |`,
      `| signatures checked with standardwebhooks | ${verified} ok, ${badSignatures} bad | 0 bad |`,
    ].join('\n'),
  )
  console.log(JSON.stringify(result))
} finally {
  await server.stop()
  receiver.stop(true)
  rmSync(dataDir, { recursive: true, force: true })
}
