/**
 * The SCIM client side of bench/sync-scale.ts, run as its own process so it does not share the
 * server's event loop: `push` provisions users then groups (with members) the way Okta does, over
 * HTTP; `probe` makes a steady trickle of SCIM reads and writes until a stop file appears. Each
 * prints one JSON line with counts and request latency percentiles.
 *
 *   bun bench/sync-client.ts push  <baseUrl> <token> <users> <groups> <membersPerGroup>
 *   bun bench/sync-client.ts probe <baseUrl> <token> <users> <stopFile>
 */
import { existsSync } from 'node:fs'

const [mode, base, token, ...rest] = Bun.argv.slice(2)
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' }
const latencies: number[] = []
let errors = 0

async function call(method: string, path: string, body?: unknown): Promise<Record<string, unknown> | null> {
  const started = performance.now()
  for (let attempt = 0; attempt < 5; attempt++) {
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await response.text()
    if (response.status === 429) {
      await Bun.sleep(50)
      continue
    }
    latencies.push(performance.now() - started)
    if (response.status >= 400) {
      errors++
      return null
    }
    return text ? (JSON.parse(text) as Record<string, unknown>) : {}
  }
  errors++
  return null
}

const userBody = (i: number) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  userName: `user${i}@bench.example`,
  name: { givenName: `Given${i}`, familyName: `Family${i}` },
  emails: [{ primary: true, value: `user${i}@bench.example`, type: 'work' }],
  displayName: `Given${i} Family${i}`,
  externalId: `00u${i}`,
  active: true,
})

async function pool(count: number, concurrency: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await work(next++)
    }),
  )
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0
  const sorted = Float64Array.from(values).sort()
  return (
    Math.round((sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number) * 100) /
    100
  )
}

const report = (extra: Record<string, unknown>) =>
  console.log(
    JSON.stringify({
      ...extra,
      requests: latencies.length,
      errors,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
    }),
  )

if (mode === 'push') {
  const [users, groups, perGroup] = rest.map(Number) as [number, number, number]
  const ids: string[] = new Array(users)
  const started = performance.now()
  await pool(users, 16, async (i) => {
    const created = await call('POST', '/Users', userBody(i))
    ids[i] = String(created?.id ?? '')
  })
  const usersDone = performance.now()
  // Each user lands in groups × perGroup / users groups, spread evenly.
  const stride = Math.max(1, Math.floor(users / groups))
  await pool(groups, 8, async (g) => {
    const members = Array.from({ length: perGroup }, (_, k) => ({
      value: ids[(g * stride + k * 997) % users],
    }))
    await call('POST', '/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: `Group ${g}`,
      members: [...new Map(members.map((m) => [m.value, m])).values()],
    })
  })
  report({
    mode,
    users,
    groups,
    usersSeconds: Math.round(usersDone - started) / 1000,
    groupsSeconds: Math.round(performance.now() - usersDone) / 1000,
  })
} else if (mode === 'probe') {
  const [usersRaw, stopFile] = rest as [string, string]
  const users = Number(usersRaw)
  let n = 0
  while (!existsSync(stopFile)) {
    const i = (n * 7919) % users
    const found = await call(
      'GET',
      `/Users?filter=${encodeURIComponent(`userName eq "user${i}@bench.example"`)}`,
    )
    const id = (found?.Resources as Array<{ id: string }> | undefined)?.[0]?.id
    if (id) {
      await call('PATCH', `/Users/${id}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', value: { displayName: `Probe ${n}` } }],
      })
    }
    n++
    await Bun.sleep(5)
  }
  report({ mode })
}
