/**
 * The Okta-shaped SCIM push benchmark against the compiled binary on its SQLite default.
 *
 *   bun bench/scim-push.ts [--users 10000] [--preloads 0,100000] [--concurrency 16] [--baseline true]
 *
 * For each preload size: a fresh data dir and server, an org and integration made through the CLI
 * and the admin API, then (optionally) a pre-phase that POSTs `preload` users and waits until the
 * sync scheduler has applied them, then the push at `concurrency` concurrent connections:
 *   1. per user `GET /Users?filter=userName eq "…"` then `POST /Users` (what Okta does),
 *   2. `PUT` profile updates for 20 % of them (custom-app style),
 *   3. `PATCH` deactivation for 10 %,
 *   4. groups: `GET` by displayName + `POST`, then filled by `PATCH add members` in chunks of 100
 *      (ten groups of a tenth of the users each, plus one group of everyone).
 * Reports users/s, req/s and p50/p95/p99 per phase, and the CPU the server's HTTP thread and its
 * sync scheduler thread used per phase, as a table and as JSON. With `--baseline true` (default)
 * each scenario is run a second time, right after, against bench/bare-server.ts compiled the same
 * way: the same SCIM path without the scheduler — the ratio shows what the scheduler costs.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { selfSigned } from '../test/support/certs.ts'
import { build, buildBare, cli, startServer, threadCpu } from './scim-binary.ts'

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '10000' },
    preloads: { type: 'string', default: '0,100000' },
    concurrency: { type: 'string', default: '16' },
    'log-level': { type: 'string', default: 'warn' },
    baseline: { type: 'string', default: 'true' },
  },
})
const BASELINE = values.baseline !== 'false'
const USERS = Number(values.users)
const PRELOADS = String(values.preloads).split(',').map(Number)
const CONCURRENCY = Number(values.concurrency)

interface PhaseResult {
  phase: string
  requests: number
  users: number
  seconds: number
  usersPerSecond: number
  requestsPerSecond: number
  p50: number
  p95: number
  p99: number
  max: number
  errors: number
  /** CPU used during the phase, in % of one core: the server's HTTP thread, its scheduler thread. */
  httpCpu: number
  syncCpu: number
  /** The same for this bench process (the load generator shares the machine). */
  clientCpu: number
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number
}

class Phase {
  readonly latencies: number[] = []
  errors = 0
  private readonly started = performance.now()
  private readonly cpu: ReturnType<typeof threadCpu>
  private readonly clientCpu = process.cpuUsage()
  constructor(
    readonly name: string,
    readonly users: number,
    readonly pid: number,
  ) {
    this.cpu = threadCpu(pid)
  }

  async call(url: string, init: RequestInit, expected: number): Promise<Record<string, unknown> | null> {
    const t0 = performance.now()
    const response = await fetch(url, init)
    const text = await response.text()
    this.latencies.push(performance.now() - t0)
    if (response.status !== expected) {
      this.errors++
      if (this.errors <= 3)
        console.error(
          `${this.name}: ${init.method ?? 'GET'} ${url} → ${response.status} ${text.slice(0, 200)}`,
        )
      return null
    }
    return text ? (JSON.parse(text) as Record<string, unknown>) : {}
  }

  finish(): PhaseResult {
    const seconds = (performance.now() - this.started) / 1000
    const cpu = threadCpu(this.pid)
    const sorted = [...this.latencies].sort((a, b) => a - b)
    const round = (n: number) => Math.round(n * 100) / 100
    return {
      phase: this.name,
      requests: sorted.length,
      users: this.users,
      seconds: round(seconds),
      usersPerSecond: Math.round(this.users / seconds),
      requestsPerSecond: Math.round(sorted.length / seconds),
      p50: round(percentile(sorted, 50)),
      p95: round(percentile(sorted, 95)),
      p99: round(percentile(sorted, 99)),
      max: round(sorted.at(-1) ?? 0),
      errors: this.errors,
      httpCpu: Math.round(((cpu.main - this.cpu.main) / seconds) * 100),
      syncCpu: Math.round(((cpu.worker - this.cpu.worker) / seconds) * 100),
      clientCpu: Math.round(
        (Object.values(process.cpuUsage(this.clientCpu)).reduce((a, b) => a + b, 0) / 1e6 / seconds) * 100,
      ),
    }
  }
}

/** Runs `task(i)` for i in [0, count) on `CONCURRENCY` workers. */
async function pool(count: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < count) await task(next++)
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
}

function user(email: string, given: string, family: string, active = true): Record<string, unknown> {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: email,
    name: { givenName: given, familyName: family },
    emails: [{ primary: true, value: email, type: 'work' }],
    displayName: `${given} ${family}`,
    locale: 'en-US',
    externalId: `00u${email.length}${given}`,
    groups: [],
    password: 'Passw0rd!',
    active,
  }
}

async function scenario(preload: number, bare: boolean): Promise<PhaseResult[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'okb-bench-'))
  const slug = 'bench'
  cli(dataDir, 'org', 'create', '--slug', slug, '--name', 'Bench Inc')
  const { key } = cli(dataDir, 'api-key', 'create', '--org', slug)
  const server = await startServer(dataDir, { LOG_LEVEL: String(values['log-level']) }, bare)
  try {
    const setup = await fetch(`${server.url}/api/v1/orgs/${slug}/okta`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        ssoUrl: 'https://bench.okta.com/app/bench/exk1/sso/saml',
        issuer: 'http://www.okta.com/exk1',
        certificate: selfSigned('bench-idp').certificate,
      }),
    })
    const { scimToken } = (await setup.json()) as { scimToken: string }
    const base = `${server.url}/orgs/${slug}/okta/scim`
    const headers = {
      authorization: `Bearer ${scimToken}`,
      accept: 'application/scim+json',
      'content-type': 'application/scim+json; charset=utf-8',
    }
    const results: PhaseResult[] = []

    if (preload > 0) {
      const phase = new Phase(`preload ${preload} (POST only)`, preload, server.pid)
      await pool(preload, async (i) => {
        await phase.call(
          `${base}/Users`,
          { method: 'POST', headers, body: JSON.stringify(user(`pre${i}@bench.example`, `Pre${i}`, 'Load')) },
          201,
        )
      })
      results.push(phase.finish())
      if (!bare) {
        // "Already in the org" means settled: the scheduler applies the preload (and runs the first
        // full reconcile a new integration gets) before the measured push starts.
        const settle = performance.now()
        for (;;) {
          const sync = await fetch(`${server.url}/api/v1/orgs/${slug}/sync`, {
            headers: { authorization: `Bearer ${key}` },
          })
          const state = (await sync.json()) as { pendingChanges: number; fullReconcile: { running: boolean } }
          if (state.pendingChanges === 0 && !state.fullReconcile.running) break
          await Bun.sleep(200)
        }
        console.log(
          `preload applied by the scheduler ${((performance.now() - settle) / 1000).toFixed(1)} s after it ended`,
        )
      }
    }

    const ids: string[] = new Array(USERS)
    const push = new Phase('push: GET filter + POST', USERS, server.pid)
    await pool(USERS, async (i) => {
      const email = `user${i}@bench.example`
      const found = await push.call(
        `${base}/Users?filter=${encodeURIComponent(`userName eq "${email}"`)}&startIndex=1&count=100`,
        { headers },
        200,
      )
      if (found && found.totalResults !== 0) push.errors++
      const created = await push.call(
        `${base}/Users`,
        { method: 'POST', headers, body: JSON.stringify(user(email, `User${i}`, 'Bench')) },
        201,
      )
      ids[i] = created?.id as string
    })
    results.push(push.finish())

    const updates = Math.floor(USERS * 0.2)
    const put = new Phase('PUT profile update (20%)', updates, server.pid)
    await pool(updates, async (i) => {
      const body = { ...user(`user${i}@bench.example`, `Renamed${i}`, 'Bench'), id: ids[i] }
      await put.call(`${base}/Users/${ids[i]}`, { method: 'PUT', headers, body: JSON.stringify(body) }, 200)
    })
    results.push(put.finish())

    const deactivations = Math.floor(USERS * 0.1)
    const patch = new Phase('PATCH deactivate (10%)', deactivations, server.pid)
    const deactivate = JSON.stringify({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', value: { active: false } }],
    })
    await pool(deactivations, async (i) => {
      await patch.call(
        `${base}/Users/${ids[USERS - 1 - i]}`,
        { method: 'PATCH', headers, body: deactivate },
        200,
      )
    })
    results.push(patch.finish())

    const groupNames = [...Array.from({ length: 10 }, (_, g) => `Team ${g}`), 'Everyone']
    const groupIds: string[] = []
    const groups = new Phase('groups: GET filter + POST', 0, server.pid)
    await pool(groupNames.length, async (g) => {
      const name = groupNames[g] as string
      await groups.call(
        `${base}/Groups?filter=${encodeURIComponent(`displayName eq "${name}"`)}`,
        { headers },
        200,
      )
      const created = await groups.call(
        `${base}/Groups`,
        {
          method: 'POST',
          headers,
          body: JSON.stringify({
            schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
            displayName: name,
            members: [],
          }),
        },
        201,
      )
      groupIds[g] = created?.id as string
    })
    results.push(groups.finish())

    // Chunks of 100 members: each Team gets a tenth of the users, Everyone gets all of them.
    const chunks: Array<{ group: string; members: string[] }> = []
    const tenth = Math.ceil(USERS / 10)
    for (let start = 0; start < USERS; start += 100) {
      const members = ids.slice(start, Math.min(start + 100, USERS))
      chunks.push({ group: groupIds[Math.floor(start / tenth)] as string, members })
      chunks.push({ group: groupIds[10] as string, members })
    }
    const fill = new Phase('groups: PATCH add members (100 per request)', 0, server.pid)
    await pool(chunks.length, async (c) => {
      const chunk = chunks[c] as { group: string; members: string[] }
      const body = JSON.stringify({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [
          { op: 'add', path: 'members', value: chunk.members.map((value) => ({ value, display: value })) },
        ],
      })
      await fill.call(`${base}/Groups/${chunk.group}`, { method: 'PATCH', headers, body }, 204)
    })
    results.push(fill.finish())

    const everyone = await fetch(`${base}/Groups/${groupIds[10]}?attributes=displayName`, { headers })
    const check = await fetch(`${base}/Users?filter=${encodeURIComponent('active eq true')}&count=0`, {
      headers,
    })
    const summary = (await check.json()) as { totalResults: number }
    const expectedActive = preload + USERS - deactivations
    if (everyone.status !== 200 || summary.totalResults !== expectedActive) {
      console.error(`check failed: ${summary.totalResults} active users, expected ${expectedActive}`)
    }
    const sync = await fetch(`${server.url}/api/v1/orgs/${slug}/sync`, {
      headers: { authorization: `Bearer ${key}` },
    })
    if (sync.status === 200) console.log(`sync scheduler state right after the push: ${await sync.text()}`)
    return results
  } finally {
    await server.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

function table(title: string, results: PhaseResult[]): string {
  const lines = [
    `### ${title}`,
    '',
    '| phase | requests | users/s | req/s | p50 ms | p95 ms | p99 ms | max ms | errors | CPU % HTTP thread | CPU % sync thread | CPU % bench client |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ]
  for (const r of results) {
    lines.push(
      `| ${r.phase} | ${r.requests} | ${r.users ? r.usersPerSecond : '–'} | ${r.requestsPerSecond} | ${r.p50} | ${r.p95} | ${r.p99} | ${r.max} | ${r.errors} | ${r.httpCpu} | ${r.syncCpu} | ${r.clientCpu} |`,
    )
  }
  return lines.join('\n')
}

build()
if (BASELINE) buildBare()
const all: Record<string, PhaseResult[]> = {}
for (const preload of PRELOADS) {
  const scope = `${USERS.toLocaleString('en')} users pushed, ${preload.toLocaleString('en')} already in the org`
  const results = await scenario(preload, false)
  all[String(preload)] = results
  console.log(`\n${table(`${scope} — okta-bridge (scheduler running)`, results)}\n`)
  if (!BASELINE) continue
  const bare = await scenario(preload, true)
  all[`${preload}-baseline`] = bare
  console.log(`\n${table(`${scope} — baseline without the scheduler`, bare)}\n`)
  const push = (rows: PhaseResult[]) => rows.find((r) => r.phase.startsWith('push')) as PhaseResult
  console.log(
    `push users/s, okta-bridge ÷ baseline: ${(push(results).usersPerSecond / push(bare).usersPerSecond).toFixed(2)}; p99 ${push(results).p99} vs ${push(bare).p99} ms\n`,
  )
}
console.log(JSON.stringify({ users: USERS, concurrency: CONCURRENCY, results: all }))
