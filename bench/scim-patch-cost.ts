/**
 * What one hostile SCIM PATCH costs the HTTP thread, in process (the real app on an in-memory
 * store, requests through `app.request`), and how long another org's `GET /Users` waits behind it.
 * The shapes are those of issue 9: many member operations on a big group, and multi-valued
 * attributes with thousands of elements.
 *
 *   npx bun bench/scim-patch-cost.ts [--members 5000] [--runs 3]
 *
 * Scenarios, each timed `runs` times (median and max reported):
 *   remove-by-filter   one PATCH of 1,000 `remove members[value eq "…"]` ops on a group of `members`
 *   remove-where       one PATCH of 1,000 `remove members[display eq "…"]` ops (a filter that names no id)
 *   remove-where-max   the same with as many ops as accepted after the fix (RESOURCE_LIMITS.memberFilters)
 *   replace-members    one PATCH of 1,000 `replace members` ops of 10 ids each
 *   add-members        one PATCH of 1,000 `add members` ops of 10 ids each
 *   emails-2x6000      one user PATCH adding 2 × 6,000 emails (answered 400 after the fix)
 *   ops-5000           one user PATCH of 5,000 operations (answered 400 after the fix)
 * Each line also shows the status answered and the latency of a concurrent `GET /Users` of org B.
 */
import { parseArgs } from 'node:util'
import { RESOURCE_LIMITS } from '../src/scim/model.ts'
import { oktaUser, type ScimClient, scimOrg } from '../test/scim/support.ts'
import { createTestApp } from '../test/support/app.ts'

const { values } = parseArgs({
  options: { members: { type: 'string', default: '5000' }, runs: { type: 'string', default: '3' } },
})
const MEMBERS = Number(values.members)
const RUNS = Number(values.runs)

const app = createTestApp({ maxBodyBytes: 1024 * 1024 })
const a = await scimOrg('bench-a', app)
const b = await scimOrg('bench-b', app)
await b.post('/Users', oktaUser('bystander@b.example'))

const ids: string[] = []
for (let i = 0; i < MEMBERS; i++) {
  const r = await a.post('/Users', oktaUser(`member${i}@a.example`, `Member${i}`, 'Bench'))
  ids.push(r.body.id as string)
}
const groupId = (await a.post('/Groups', { displayName: 'Everyone' })).body.id as string
async function fill(): Promise<void> {
  for (let i = 0; i < ids.length; i += 1000) {
    const value = ids.slice(i, i + 1000).map((id) => ({ value: id }))
    await a.patch(`/Groups/${groupId}`, { Operations: [{ op: 'add', path: 'members', value }] })
  }
}
await fill()
const userId = ids[0] as string

type Body = { Operations: Array<Record<string, unknown>> }
const scenarios: Array<{ name: string; path: string; body: () => Body; after?: () => Promise<void> }> = [
  {
    name: 'remove-by-filter',
    path: `/Groups/${groupId}`,
    body: () => ({
      Operations: ids.slice(0, 1000).map((id) => ({ op: 'remove', path: `members[value eq "${id}"]` })),
    }),
    after: fill,
  },
  {
    name: 'remove-where',
    path: `/Groups/${groupId}`,
    body: () => ({
      Operations: Array.from({ length: 1000 }, (_, i) => ({
        op: 'remove',
        path: `members[display eq "nobody ${i}"]`,
      })),
    }),
  },
  {
    name: 'remove-where-max',
    path: `/Groups/${groupId}`,
    body: () => ({
      Operations: Array.from({ length: RESOURCE_LIMITS.memberFilters }, (_, i) => ({
        op: 'remove',
        path: `members[display eq "nobody ${i}"]`,
      })),
    }),
  },
  {
    name: 'replace-members',
    path: `/Groups/${groupId}`,
    body: () => ({
      Operations: Array.from({ length: 1000 }, (_, i) => ({
        op: 'replace',
        path: 'members',
        value: ids.slice(i * 10, i * 10 + 10).map((id) => ({ value: id })),
      })),
    }),
    after: fill,
  },
  {
    name: 'add-members',
    path: `/Groups/${groupId}`,
    body: () => ({
      Operations: Array.from({ length: 1000 }, (_, i) => ({
        op: 'add',
        path: 'members',
        value: ids.slice(i * 10, i * 10 + 10).map((id) => ({ value: id })),
      })),
    }),
  },
  {
    name: 'emails-2x6000',
    path: `/Users/${userId}`,
    body: () => ({
      Operations: [0, 1].map((k) => ({
        op: 'add',
        path: 'emails',
        value: Array.from({ length: 6000 }, (_, i) => ({ value: `e${k}-${i}@a.example`, type: 'work' })),
      })),
    }),
  },
  {
    name: 'ops-5000',
    path: `/Users/${userId}`,
    body: () => ({
      Operations: Array.from({ length: 5000 }, (_, i) => ({ op: 'replace', path: 'title', value: `t${i}` })),
    }),
  },
]

/** Times the PATCH while org B polls `GET /Users` every millisecond; reports B's worst wait. */
async function timed(client: ScimClient, path: string, body: Body) {
  let done = false
  let bystanderMs = 0
  const bystander = (async () => {
    while (!done) {
      // From when B's request was due (1 ms after the last one), so time spent queued counts.
      const due = performance.now() + 1
      await Bun.sleep(1)
      await b.get('/Users')
      bystanderMs = Math.max(bystanderMs, performance.now() - due)
    }
  })()
  const t0 = performance.now()
  const reply = await client.patch(path, body)
  const ms = performance.now() - t0
  done = true
  await bystander
  return { ms, status: reply.status, bystanderMs }
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number
const rows: Array<Record<string, unknown>> = []
for (const scenario of scenarios) {
  const samples: Array<{ ms: number; status: number; bystanderMs: number }> = []
  for (let run = 0; run < RUNS; run++) {
    samples.push(await timed(a, scenario.path, scenario.body()))
    if (scenario.after) await scenario.after()
  }
  rows.push({
    scenario: scenario.name,
    status: samples.map((s) => s.status).join(','),
    medianMs: Number(median(samples.map((s) => s.ms)).toFixed(1)),
    maxMs: Number(Math.max(...samples.map((s) => s.ms)).toFixed(1)),
    otherOrgGetMaxMs: Number(Math.max(...samples.map((s) => s.bystanderMs)).toFixed(1)),
  })
}
console.table(rows)
console.log(JSON.stringify({ members: MEMBERS, runs: RUNS, rows }))
