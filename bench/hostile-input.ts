/**
 * The hostile-input benchmark: what one attacker's worst costs the compiled binary's HTTP thread.
 *
 *   bun bench/hostile-input.ts [--duration 6] [--concurrency 4] [--build true] [--only deep,wide]
 *
 * A fresh data dir and server (an org, an API key, the Okta integration, 5,000 SCIM users in one
 * group), then for each attack class:
 *   1. one worst-case request on the idle server while a prober asks `/healthz` every 10 ms:
 *      its latency and status, the HTTP thread's CPU it cost, and the longest `/healthz` wait
 *      meanwhile (the event-loop stall it caused);
 *   2. `concurrency` connections sending that attack back to back for `duration` seconds, the
 *      prober still running: `/healthz` p50/p99/max, attack requests sent and their statuses, and
 *      the HTTP thread's CPU per attack request.
 * A request that takes longer than 30 s is given up (status `timeout`), so a class that is still
 * slow shows as slow and the bench goes on. Goal (issue 9): ≤ 50 ms per request, `/healthz`
 * ≤ 250 ms under attack.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { selfSigned } from '../test/support/certs.ts'
import { build, cli, type Server, startServer, threadCpu } from './scim-binary.ts'

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '6' },
    concurrency: { type: 'string', default: '4' },
    build: { type: 'string', default: 'true' },
    only: { type: 'string', default: '' },
  },
})
const DURATION_MS = Number(values.duration) * 1000
const CONCURRENCY = Number(values.concurrency)
const REQUEST_TIMEOUT_MS = 30_000
const ONLY = String(values.only)
  .split(',')
  .filter((s) => s !== '')

interface Attack {
  name: string
  /** Builds the next request; called once per request sent. */
  request: () => { url: string; init: RequestInit }
}

interface Sent {
  ms: number
  status: string
}

async function send(attack: Attack): Promise<Sent> {
  const { url, init } = attack.request()
  const begin = performance.now()
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })
    await response.arrayBuffer()
    return { ms: performance.now() - begin, status: String(response.status) }
  } catch (error) {
    const name = error instanceof Error ? error.name : ''
    return { ms: performance.now() - begin, status: name === 'TimeoutError' ? 'timeout' : 'error' }
  }
}

/** Asks /healthz back to back (10 ms apart) until stopped; the latencies in ms. */
function startProber(server: Server) {
  const latencies: number[] = []
  let running = true
  const done = (async () => {
    while (running) {
      const begin = performance.now()
      try {
        await (
          await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })
        ).text()
      } catch {
        // counted by its latency
      }
      latencies.push(performance.now() - begin)
      await Bun.sleep(10)
    }
  })()
  return {
    async stop(): Promise<number[]> {
      running = false
      await done
      return latencies.sort((a, b) => a - b)
    },
  }
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0
    ? 0
    : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number)
const round = (n: number) => Math.round(n * 10) / 10
const mainCpu = (pid: number) => threadCpu(pid).main

interface Result {
  attack: string
  oneMs: number
  oneStatus: string
  oneCpuMs: number
  oneStallMs: number
  sent: number
  statuses: string
  cpuPerRequestMs: number
  healthP50: number
  healthP99: number
  healthMax: number
}

function statusSummary(sent: Sent[]): string {
  const counts = new Map<string, number>()
  for (const s of sent) counts.set(s.status, (counts.get(s.status) ?? 0) + 1)
  return [...counts].map(([status, n]) => `${status}×${n}`).join(' ')
}

async function run(server: Server, attack: Attack): Promise<Result> {
  // 1. one worst-case request on an idle server
  await Bun.sleep(300)
  let prober = startProber(server)
  await Bun.sleep(50)
  let cpu = mainCpu(server.pid)
  const one = await send(attack)
  const oneCpuMs = (mainCpu(server.pid) - cpu) * 1000
  await Bun.sleep(50)
  const idle = await prober.stop()

  // 2. back to back from several connections
  await Bun.sleep(300)
  prober = startProber(server)
  cpu = mainCpu(server.pid)
  const until = performance.now() + DURATION_MS
  const sent: Sent[] = []
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) sent.push(await send(attack))
    }),
  )
  const cpuPerRequestMs = ((mainCpu(server.pid) - cpu) * 1000) / Math.max(1, sent.length)
  const health = await prober.stop()
  return {
    attack: attack.name,
    oneMs: round(one.ms),
    oneStatus: one.status,
    oneCpuMs: round(oneCpuMs),
    oneStallMs: round(percentile(idle, 100)),
    sent: sent.length,
    statuses: statusSummary(sent),
    cpuPerRequestMs: round(cpuPerRequestMs),
    healthP50: round(percentile(health, 50)),
    healthP99: round(percentile(health, 99)),
    healthMax: round(percentile(health, 100)),
  }
}

function table(results: Result[]): string {
  const head = [
    'attack',
    'one: ms',
    'status',
    'HTTP CPU ms',
    'healthz max ms',
    'load: sent',
    'statuses',
    'HTTP CPU ms/req',
    'healthz p50',
    'p99',
    'max',
  ]
  const rows = results.map((r) => [
    r.attack,
    r.oneMs,
    r.oneStatus,
    r.oneCpuMs,
    r.oneStallMs,
    r.sent,
    r.statuses,
    r.cpuPerRequestMs,
    r.healthP50,
    r.healthP99,
    r.healthMax,
  ])
  const line = (cells: unknown[]) => `| ${cells.map(String).join(' | ')} |`
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n')
}

// ---- payloads -------------------------------------------------------------------------------

const deepJson = (depth: number) => '['.repeat(depth) + ']'.repeat(depth)
const DEEP_JSON = deepJson(30_000)
const FLAT_JSON = `[${Array(500_000).fill('0').join(',')}]`
const WIDE_OBJECT = `{${Array.from({ length: 60_000 }, (_, i) => `"k${i}":${i}`).join(',')}}`

function deepSamlForm(depth: number): string {
  const xml =
    '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_hostile" Version="2.0" IssueInstant="2024-01-01T00:00:00Z">' +
    '<a>'.repeat(depth) +
    '</a>'.repeat(depth) +
    '</samlp:Response>'
  return `SAMLResponse=${encodeURIComponent(Buffer.from(xml).toString('base64'))}`
}

async function main() {
  if (values.build !== 'false') build()
  const dataDir = mkdtempSync(join(tmpdir(), 'okb-hostile-'))
  const slug = 'bench'
  cli(dataDir, 'org', 'create', '--slug', slug, '--name', 'Bench Inc')
  const { key } = cli(dataDir, 'api-key', 'create', '--org', slug)
  const server = await startServer(dataDir, { LOG_LEVEL: 'error' })
  try {
    const api = `${server.url}/api/v1/orgs/${slug}`
    const apiHeaders = { authorization: `Bearer ${key}`, 'content-type': 'application/json' }
    const setup = await fetch(`${api}/okta`, {
      method: 'PUT',
      headers: apiHeaders,
      body: JSON.stringify({
        ssoUrl: 'https://bench.okta.com/app/bench/exk1/sso/saml',
        issuer: 'http://www.okta.com/exk1',
        certificate: selfSigned('bench-idp').certificate,
      }),
    })
    const { scimToken } = (await setup.json()) as { scimToken: string }
    const scim = `${server.url}/orgs/${slug}/okta/scim`
    const scimHeaders = {
      authorization: `Bearer ${scimToken}`,
      accept: 'application/scim+json',
      'content-type': 'application/scim+json; charset=utf-8',
    }

    // 5,000 users in one group, for the PATCH classes.
    const userIds: string[] = []
    for (let batch = 0; batch < 5_000; batch += 50) {
      const created = await Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const email = `member${batch + i}@bench.example`
          const response = await fetch(`${scim}/Users`, {
            method: 'POST',
            headers: scimHeaders,
            body: JSON.stringify({
              userName: email,
              name: { givenName: 'M', familyName: String(batch + i) },
              active: true,
            }),
          })
          return ((await response.json()) as { id?: string }).id
        }),
      )
      for (const id of created) if (id) userIds.push(id)
    }
    const group = await fetch(`${scim}/Groups`, {
      method: 'POST',
      headers: scimHeaders,
      body: JSON.stringify({ displayName: 'Everyone', members: userIds.map((value) => ({ value })) }),
    })
    const groupId = ((await group.json()) as { id: string }).id
    const patchUser = (await (
      await fetch(`${scim}/Users`, {
        method: 'POST',
        headers: scimHeaders,
        body: JSON.stringify({ userName: 'emails@bench.example', name: {} }),
      })
    ).json()) as { id: string }
    console.log(`set up: ${userIds.length} users in group ${groupId}`)

    const removeOps = JSON.stringify({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: userIds.slice(0, 1_000).map((id) => ({ op: 'remove', path: `members[value eq "${id}"]` })),
    })
    const addBack = JSON.stringify({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [
        { op: 'add', path: 'members', value: userIds.slice(0, 1_000).map((value) => ({ value })) },
      ],
    })
    const manyEmails = (round: number) =>
      JSON.stringify({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [0, 1].map((op) => ({
          op: 'add',
          path: 'emails',
          value: Array.from({ length: 6_000 }, (_, i) => ({
            value: `e${round}-${op}-${i}@bench.example`,
            type: 'other',
          })),
        })),
      })
    const longFilter = `userName eq "${'a'.repeat(2_000)}"`
    const manyOrs = Array.from({ length: 80 }, (_, i) => `userName eq "u${i}"`).join(' or ')
    const deepParens = `${'('.repeat(1_000)}userName pr${')'.repeat(1_000)}`

    const post =
      (url: string, body: string, headers: Record<string, string>, method = 'POST') =>
      () => ({
        url,
        init: { method, body, headers },
      })
    const form = { 'content-type': 'application/x-www-form-urlencoded' }
    let patchRound = 0
    let sprayed = 0
    let emailRound = 0

    // The sign-in form's CSRF pair: the cookie and the hidden field it must match.
    const loginPage = await fetch(`${server.url}/orgs/${slug}/admin/login`)
    const loginCookie = loginPage.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ')
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await loginPage.text())?.[1] ?? ''

    const attacks: Attack[] = [
      {
        name: 'deep JSON → admin login',
        request: post(`${server.url}/orgs/${slug}/admin/login`, DEEP_JSON, {
          'content-type': 'application/json',
        }),
      },
      {
        name: 'deep JSON → admin login (as form)',
        request: post(`${server.url}/orgs/${slug}/admin/login`, DEEP_JSON, form),
      },
      { name: 'deep JSON → admin API', request: post(`${api}/role-mappings`, DEEP_JSON, apiHeaders, 'PUT') },
      { name: 'deep JSON → SCIM', request: post(`${scim}/Users`, DEEP_JSON, scimHeaders) },
      {
        name: 'wide JSON 1 MB → admin login',
        request: post(`${server.url}/orgs/${slug}/admin/login`, FLAT_JSON, {
          'content-type': 'application/json',
        }),
      },
      {
        name: 'wide JSON 1 MB → admin API',
        request: post(`${api}/role-mappings`, FLAT_JSON, apiHeaders, 'PUT'),
      },
      { name: 'wide object → admin API', request: post(`${api}/okta`, WIDE_OBJECT, apiHeaders, 'PUT') },
      { name: 'wide JSON 1 MB → SCIM', request: post(`${scim}/Users`, FLAT_JSON, scimHeaders) },
      { name: 'wide object → SCIM', request: post(`${scim}/Users`, WIDE_OBJECT, scimHeaders) },
      {
        name: 'deep XML 5,000 → ACS',
        request: post(`${server.url}/orgs/${slug}/okta/auth`, deepSamlForm(5_000), form),
      },
      {
        name: 'deep XML 20,000 → ACS',
        request: post(`${server.url}/orgs/${slug}/okta/auth`, deepSamlForm(20_000), form),
      },
      {
        name: 'SCIM PATCH 1,000 member removes (5,000-member group)',
        // Every other request puts the 1,000 back, so each remove has members to remove.
        request: () => ({
          url: `${scim}/Groups/${groupId}`,
          init: { method: 'PATCH', headers: scimHeaders, body: patchRound++ % 2 === 0 ? removeOps : addBack },
        }),
      },
      {
        name: 'SCIM PATCH 2 × 6,000 emails',
        request: () => ({
          url: `${scim}/Users/${patchUser.id}`,
          init: { method: 'PATCH', headers: scimHeaders, body: manyEmails(emailRound++) },
        }),
      },
      {
        name: 'SCIM filter 2,000 chars',
        request: () => ({
          url: `${scim}/Users?filter=${encodeURIComponent(longFilter)}`,
          init: { headers: scimHeaders },
        }),
      },
      {
        name: 'SCIM filter 80 ORs',
        request: () => ({
          url: `${scim}/Users?filter=${encodeURIComponent(manyOrs)}`,
          init: { headers: scimHeaders },
        }),
      },
      {
        name: 'SCIM filter 1,000 parentheses',
        request: () => ({
          url: `${scim}/Users?filter=${encodeURIComponent(deepParens)}`,
          init: { headers: scimHeaders },
        }),
      },
      {
        name: 'password spray (distinct emails) → admin login',
        request: () => ({
          url: `${server.url}/orgs/${slug}/admin/login`,
          init: {
            method: 'POST',
            headers: { ...form, cookie: loginCookie },
            body: new URLSearchParams({
              _csrf: csrf,
              email: `spray${sprayed++}@bench.example`,
              password: 'Winter2024!',
            }).toString(),
          },
        }),
      },
    ]

    const chosen = attacks.filter((a) => ONLY.length === 0 || ONLY.some((word) => a.name.includes(word)))
    const results: Result[] = []
    for (const attack of chosen) {
      const result = await run(server, attack)
      results.push(result)
      console.log(
        `${attack.name}: ${result.oneMs} ms (${result.oneStatus}), healthz max under load ${result.healthMax} ms`,
      )
    }
    console.log(`\nconcurrency ${CONCURRENCY}, ${DURATION_MS / 1000} s per class\n`)
    console.log(table(results))
    console.log(`\n${JSON.stringify(results)}`)
  } finally {
    await server.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

await main()
