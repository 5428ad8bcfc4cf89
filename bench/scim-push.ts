/**
 * The Okta-shaped SCIM push benchmark against the compiled binary, on its SQLite default or on
 * PostgreSQL.
 *
 *   bun bench/scim-push.ts [--users 10000] [--preloads 0,100000] [--concurrency 16] [--baseline true]
 *                          [--database-url throwaway|postgres://…] [--pool-size 10] [--instances 1,2]
 *                          [--against <git revision>] [--rounds 1]
 *
 * For each preload size: a fresh data dir (and, on PostgreSQL, a fresh database: bench/database.ts)
 * and server, an org and integration made through the CLI and the admin API, then (optionally) a
 * pre-phase that POSTs `preload` users and waits until the sync scheduler has applied them, then
 * the push at `concurrency` concurrent connections:
 *   1. per user `GET /Users?filter=userName eq "…"` then `POST /Users` (what Okta does),
 *   2. `PUT` profile updates for 20 % of them (custom-app style),
 *   3. `PATCH` deactivation for 10 %,
 *   4. groups: `GET` by displayName + `POST`, then filled by `PATCH add members` in chunks of 100
 *      (ten groups of a tenth of the users each, plus one group of everyone).
 * Reports users/s, req/s and p50/p95/p99 per phase, and the CPU the server's HTTP thread, its sync
 * scheduler thread and the PostgreSQL server used per phase, as a table and as JSON. Variants, each
 * run on its own fresh store in the same session (`--rounds` times, alternating their order), with
 * the push's users/s ratio printed at the end:
 * - `--instances 1,2`: that many servers on one PostgreSQL database, the client sending each
 *   request to the next one in turn (round-robin);
 * - `--against REV`: the binary of commit REV (built from `git archive`) next to this checkout's;
 * - `--baseline true` (default, SQLite only, without `--against`): bench/bare-server.ts compiled the
 *   same way: the same SCIM path without the scheduler — the ratio shows what the scheduler costs.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { selfSigned } from '../test/support/certs.ts'
import { benchDatabase, benchPostmaster, benchServer } from './database.ts'
import {
  Phase,
  type PhaseResult,
  pool as poolOf,
  table,
  userBody as user,
  type Watched,
} from './push-phase.ts'
import { build, buildBare, buildRevision, cliOf, type Server, startServer } from './scim-binary.ts'

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '10000' },
    preloads: { type: 'string', default: '0,100000' },
    concurrency: { type: 'string', default: '16' },
    'log-level': { type: 'string', default: 'warn' },
    baseline: { type: 'string', default: 'true' },
    'database-url': { type: 'string' },
    'pool-size': { type: 'string', default: '10' },
    instances: { type: 'string', default: '1' },
    against: { type: 'string' },
    rounds: { type: 'string', default: '1' },
  },
})
const USERS = Number(values.users)
const PRELOADS = String(values.preloads).split(',').map(Number)
const CONCURRENCY = Number(values.concurrency)
const INSTANCES = String(values.instances).split(',').map(Number)
const ROUNDS = Number(values.rounds)
const AGAINST = values.against
const pgServer = await benchServer(values['database-url'])
const postmaster = await benchPostmaster(values['database-url'])
const BASELINE = values.baseline !== 'false' && pgServer === null && AGAINST === undefined
if (pgServer === null && INSTANCES.some((n) => n > 1)) {
  throw new Error('--instances above 1 needs --database-url (several servers on one PostgreSQL database)')
}

const pool = (count: number, task: (i: number) => Promise<void>) => poolOf(count, CONCURRENCY, task)

interface Variant {
  label: string
  binary: string
  instances: number
  bare: boolean
}

async function scenario(preload: number, variant: Variant): Promise<PhaseResult[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'okb-bench-'))
  const database = pgServer ? await benchDatabase(pgServer) : null
  const env: Record<string, string> = database
    ? { DATABASE_URL: database.url, DATABASE_POOL_SIZE: String(values['pool-size']) }
    : {}
  const slug = 'bench'
  cliOf(variant.binary, env, dataDir, 'org', 'create', '--slug', slug, '--name', 'Bench Inc')
  const { key } = cliOf(variant.binary, env, dataDir, 'api-key', 'create', '--org', slug)
  const servers: Server[] = []
  try {
    for (let i = 0; i < variant.instances; i++) {
      const serverEnv = { LOG_LEVEL: String(values['log-level']), ...env }
      servers.push(await startServer(dataDir, serverEnv, variant.bare, variant.binary))
    }
    const server = servers[0] as Server
    const watched: Watched = { pids: servers.map((s) => s.pid), postmaster }
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
    // Round-robin: each request goes to the next server.
    const bases = servers.map((s) => `${s.url}/orgs/${slug}/okta/scim`)
    let turn = 0
    const next = () => bases[turn++ % bases.length] as string
    const base = bases[0] as string
    const headers = {
      authorization: `Bearer ${scimToken}`,
      accept: 'application/scim+json',
      'content-type': 'application/scim+json; charset=utf-8',
    }
    const results: PhaseResult[] = []

    if (preload > 0) {
      const phase = new Phase(`preload ${preload} (POST only)`, preload, watched)
      await pool(preload, async (i) => {
        await phase.call(
          `${next()}/Users`,
          { method: 'POST', headers, body: JSON.stringify(user(`pre${i}@bench.example`, `Pre${i}`, 'Load')) },
          201,
        )
      })
      results.push(phase.finish())
      if (!variant.bare) {
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
    const push = new Phase('push: GET filter + POST', USERS, watched)
    await pool(USERS, async (i) => {
      const email = `user${i}@bench.example`
      const found = await push.call(
        `${next()}/Users?filter=${encodeURIComponent(`userName eq "${email}"`)}&startIndex=1&count=100`,
        { headers },
        200,
      )
      if (found && found.totalResults !== 0) push.errors++
      const created = await push.call(
        `${next()}/Users`,
        { method: 'POST', headers, body: JSON.stringify(user(email, `User${i}`, 'Bench')) },
        201,
      )
      ids[i] = created?.id as string
    })
    results.push(push.finish())

    const updates = Math.floor(USERS * 0.2)
    const put = new Phase('PUT profile update (20%)', updates, watched)
    await pool(updates, async (i) => {
      const body = { ...user(`user${i}@bench.example`, `Renamed${i}`, 'Bench'), id: ids[i] }
      await put.call(`${next()}/Users/${ids[i]}`, { method: 'PUT', headers, body: JSON.stringify(body) }, 200)
    })
    results.push(put.finish())

    const deactivations = Math.floor(USERS * 0.1)
    const patch = new Phase('PATCH deactivate (10%)', deactivations, watched)
    const deactivate = JSON.stringify({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', value: { active: false } }],
    })
    await pool(deactivations, async (i) => {
      await patch.call(
        `${next()}/Users/${ids[USERS - 1 - i]}`,
        { method: 'PATCH', headers, body: deactivate },
        200,
      )
    })
    results.push(patch.finish())

    const groupNames = [...Array.from({ length: 10 }, (_, g) => `Team ${g}`), 'Everyone']
    const groupIds: string[] = []
    const groups = new Phase('groups: GET filter + POST', 0, watched)
    await pool(groupNames.length, async (g) => {
      const name = groupNames[g] as string
      await groups.call(
        `${next()}/Groups?filter=${encodeURIComponent(`displayName eq "${name}"`)}`,
        { headers },
        200,
      )
      const created = await groups.call(
        `${next()}/Groups`,
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
    const fill = new Phase('groups: PATCH add members (100 per request)', 0, watched)
    await pool(chunks.length, async (c) => {
      const chunk = chunks[c] as { group: string; members: string[] }
      const body = JSON.stringify({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [
          { op: 'add', path: 'members', value: chunk.members.map((value) => ({ value, display: value })) },
        ],
      })
      await fill.call(`${next()}/Groups/${chunk.group}`, { method: 'PATCH', headers, body }, 204)
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
    for (const server of servers) await server.stop()
    await database?.drop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

const pushOf = (rows: PhaseResult[]) => rows.find((r) => r.phase.startsWith('push')) as PhaseResult

const current = build()
const binaries = [{ label: 'okta-bridge', binary: current }]
if (AGAINST) binaries.push({ label: AGAINST, binary: buildRevision(AGAINST) })
if (BASELINE) buildBare()
const variants: Variant[] = []
for (const instances of INSTANCES)
  for (const { label, binary } of binaries)
    variants.push({ label: instances > 1 ? `${label} ×${instances}` : label, binary, instances, bare: false })
if (BASELINE)
  variants.push({ label: 'baseline without the scheduler', binary: current, instances: 1, bare: true })

const engine = pgServer ? 'PostgreSQL' : 'SQLite'
const all: Record<string, PhaseResult[][]> = {}
for (const preload of PRELOADS) {
  const scope = `${USERS.toLocaleString('en')} users pushed, ${preload.toLocaleString('en')} already in the org, ${engine}`
  const runs = new Map<Variant, PhaseResult[][]>(variants.map((v) => [v, []]))
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate the order, so neither variant always runs on the warmer (or busier) machine.
    for (const variant of round % 2 === 0 ? variants : [...variants].reverse()) {
      const results = await scenario(preload, variant)
      runs.get(variant)?.push(results)
      console.log(`\n${table(`${scope} — ${variant.label} (round ${round + 1})`, results)}\n`)
    }
  }
  const mean = (variant: Variant) => {
    const list = (runs.get(variant) ?? []).map((results) => pushOf(results).usersPerSecond)
    return list.reduce((a, b) => a + b, 0) / Math.max(1, list.length)
  }
  for (const variant of variants) {
    const pushes = (runs.get(variant) ?? []).map(pushOf)
    all[`${preload}:${variant.label}`] = runs.get(variant) ?? []
    console.log(
      `push ${variant.label}: users/s ${pushes.map((p) => p.usersPerSecond).join(', ')} (mean ${Math.round(mean(variant))}); p99 ms ${pushes.map((p) => p.p99).join(', ')}`,
    )
  }
  const ratio = (top: Variant | undefined, bottom: Variant | undefined) => {
    if (top && bottom)
      console.log(`push users/s, ${top.label} ÷ ${bottom.label}: ${(mean(top) / mean(bottom)).toFixed(3)}`)
  }
  const find = (binary: string, instances: number, bare = false) =>
    variants.find((v) => v.binary === binary && v.instances === instances && v.bare === bare)
  for (const instances of INSTANCES) {
    if (AGAINST) ratio(find(current, instances), find(binaries[1]?.binary as string, instances))
    for (const { binary } of binaries)
      if (instances !== INSTANCES[0]) ratio(find(binary, instances), find(binary, INSTANCES[0] as number))
  }
  if (BASELINE) ratio(find(current, 1), find(current, 1, true))
}
console.log(JSON.stringify({ users: USERS, concurrency: CONCURRENCY, engine, results: all }))
