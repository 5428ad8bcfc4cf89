/**
 * Admin sign-in under a spray: one client posts the console sign-in form with N invented emails
 * through the real fetch handler (real socket peer), then an attacker keeps a locked (email, client)
 * busy. Prints the HTTP time of admitted attempts (argon2id) and of refused ones, how many argon2id
 * checks ran, and how many audit rows the flood wrote; then the audit pruning rate.
 * Run: npx bun bench/sign-in-throttle.ts [attempts]   (default 300)
 */
import { pruneAuditLog } from '../src/housekeeping/index.ts'
import { openStore } from '../src/store/index.ts'
import { createPeerApp } from '../test/hardening/peer-app.ts'
import { seedOrg } from '../test/support/app.ts'
import { ConsoleClient, seedAdmin } from '../test/web/console-client.ts'

const attempts = Number(process.argv[2] ?? 300)
const peers = createPeerApp()
const { org } = await seedOrg(peers.base.store, 'acme')
const admin = await seedAdmin(peers.base, 'acme')

const median = (samples: number[]) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)] ?? 0

let checks = 0
const verify = Bun.password.verify
Bun.password.verify = (...args: Parameters<typeof verify>) => {
  checks++
  return verify(...args)
}

async function flood(label: string, client: ConsoleClient, email: (i: number) => string) {
  const admitted: number[] = []
  const refused: number[] = []
  const rowsBefore = (await peers.base.store.audit.list(org.id, { kind: 'admin', limit: 100_000 })).length
  const checksBefore = checks
  for (let i = 0; i < attempts; i++) {
    const html = await (await client.get('/orgs/acme/admin/login')).text()
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? ''
    const begin = performance.now()
    const response = await client.post('/orgs/acme/admin/login', {
      _csrf: csrf,
      email: email(i),
      password: `guess-${i}`,
    })
    ;(response.status === 429 ? refused : admitted).push(performance.now() - begin)
  }
  const rows =
    (await peers.base.store.audit.list(org.id, { kind: 'admin', limit: 100_000 })).length - rowsBefore
  console.log(
    `${label}: ${attempts} posts → ${admitted.length} admitted (median ${median(admitted).toFixed(1)} ms), ` +
      `${refused.length} refused with 429 (median ${median(refused).toFixed(2)} ms), ` +
      `${checks - checksBefore} argon2id checks, ${rows} audit rows`,
  )
}

await flood(
  'spray of invented emails, one client',
  new ConsoleClient(peers.from('198.51.100.1')),
  (i) => `n${i}@x.example`,
)
await flood(
  'guessing one admin, one client',
  new ConsoleClient(peers.from('198.51.100.2')),
  () => admin.email,
)

const store = openStore(':memory:')
const rows = 200_000
const old = Date.now() - 200 * 24 * 60 * 60_000
await store.transaction(async (tx) => {
  for (let i = 0; i < rows; i++)
    await tx.audit.record({ orgId: 'o', kind: 'sync', action: 'x', outcome: 'success' }, old + i)
})
const begin = performance.now()
const deleted = await pruneAuditLog(store, 90, Date.now(), { batchSize: 1000, maxBatches: 1000, pauseMs: 0 })
const ms = performance.now() - begin
console.log(
  `audit pruning: ${deleted} rows in ${ms.toFixed(0)} ms (${((ms / deleted) * 1000).toFixed(2)} ms per 1,000-row batch)`,
)
