import { join } from 'node:path'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { openStore } from '/work/main/src/store/index.ts'
import { createOrg } from '/work/main/src/orgs/service.ts'
import { setUpIntegration } from '/work/main/src/integration/service.ts'
import { selfSigned } from '/work/main/test/support/certs.ts'
import { directoryWriter } from '/work/main/test/support/directory.ts'
import { applyFeedBatch } from '/work/main/src/sync/feed.ts'
const U = Number(process.argv[2] ?? 30000), G = U / 10
const store = openStore(join(mkdtempSync(join(tmpdir(), 'prof-')), 'x.sqlite'))
const org = createOrg(store, { slug: 'acme' })
setUpIntegration(store, org, { ssoUrl: 'https://acme.okta.com/app/x/sso/saml', issuer: 'http://www.okta.com/x', certificate: selfSigned().certificate }, 'test')
const dir = directoryWriter(store, org.id)
const ids: string[] = []
for (let i = 0; i < U; i += 1000) ids.push(...dir.users(Array.from({ length: 1000 }, (_, j) => ({ userName: `u${i + j}@acme.example` }))))
let t = performance.now()
let n = 0
for (;;) { const r = applyFeedBatch(store, org.id, { holder: 'x', leaseMs: 5000, limit: Number(process.argv[3]) }); if (!r.applied) break; n += r.applied }
console.log('users', n, ((performance.now() - t) * 1000 / n).toFixed(1), 'us/change')
const groups: string[] = []
for (let g = 0; g < G; g++) groups.push(dir.group(`G${g}`))
t = performance.now()
for (let g = 0; g < G; g++) dir.addMembers(groups[g]!, Array.from({ length: 100 }, (_, k) => ids[(g * 10 + k * 997) % U]!))
console.log('scim-side membership writes', ((performance.now() - t) * 1000 / (G * 100)).toFixed(1), 'us/membership')
t = performance.now(); n = 0
for (;;) { const r = applyFeedBatch(store, org.id, { holder: 'x', leaseMs: 5000, limit: Number(process.argv[3]) }); if (!r.applied) break; n += r.applied }
console.log('memberships', n, ((performance.now() - t) * 1000 / n).toFixed(1), 'us/change')
