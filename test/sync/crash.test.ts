/**
 * Crash safety of the scheduler with the real compiled binary: a large backlog is being applied,
 * the process is killed with SIGKILL mid-way, restarted, and converges exactly — every account and
 * every event once, none lost, none doubled — resuming from the checkpoint, not from zero.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { setUpIntegration } from '../../src/integration/service.ts'
import { createApiKey, createOrg } from '../../src/orgs/service.ts'
import { openStore } from '../../src/store/index.ts'
import { type RunningBinary, startBinary, tempDataDir } from '../support/binary.ts'
import { selfSigned } from '../support/certs.ts'
import { directoryWriter } from '../support/directory.ts'

const USERS = 12_000
const running: RunningBinary[] = []
afterAll(async () => {
  for (const binary of running) if (binary.proc.exitCode === null) await binary.stop('SIGKILL')
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('kill -9 during sync', () => {
  test('restart resumes from the checkpoint and converges exactly', async () => {
    const dataDir = tempDataDir()
    const store = openStore(join(dataDir, 'okta-bridge.sqlite'))
    const org = await createOrg(store, { slug: 'acme' })
    await createApiKey(store, { orgSlug: 'acme' })
    await setUpIntegration(
      store,
      org,
      {
        ssoUrl: 'https://acme.okta.com/app/x/sso/saml',
        issuer: 'http://www.okta.com/x',
        certificate: selfSigned().certificate,
      },
      'test',
    )
    const dir = directoryWriter(store, org.id)
    const group = await dir.group('Everyone')
    const ids: string[] = []
    for (let i = 0; i < USERS; i += 1000) {
      ids.push(
        ...(await dir.users(
          Array.from({ length: 1000 }, (_, j) => ({ userName: `u${i + j}@acme.example` })),
        )),
      )
    }
    for (let i = 0; i < USERS; i += 2000) await dir.addMembers(group, ids.slice(i, i + 2000))
    const applied = async () => (await store.syncState.get(org.id))?.applied_seq ?? 0
    const lastSeq = (
      store.engine.db.query('SELECT max(seq) AS s FROM directory_changes').get() as { s: number }
    ).s

    const env = { DATA_DIR: dataDir, LOG_LEVEL: 'info' }
    const first = await startBinary([], env)
    running.push(first)
    // Wait until the scheduler is part-way through the backlog, then kill it without warning.
    for (let i = 0; i < 2000 && (await applied()) < 2000; i++) await sleep(5)
    expect(await first.stop('SIGKILL')).not.toBe(0)
    const atKill = await applied()
    expect(atKill).toBeGreaterThan(0)
    expect(atKill).toBeLessThan(lastSeq)

    const second = await startBinary([], env)
    running.push(second)
    for (let i = 0; i < 6000 && (await applied()) < lastSeq; i++) await sleep(10)
    expect(await second.stop('SIGTERM')).toBe(0)
    expect(await applied()).toBe(lastSeq)

    // Counts by event type have no repository: this SQLite-only test reads the file directly.
    const one = (sql: string) => (store.engine.db.query(sql).get(org.id) as { n: number }).n
    expect(one('SELECT count(*) AS n FROM accounts WHERE org_id = ?')).toBe(USERS)
    expect(one("SELECT count(*) AS n FROM events WHERE org_id = ? AND type = 'account.created'")).toBe(USERS)
    expect(
      one("SELECT count(DISTINCT account_id) AS n FROM events WHERE org_id = ? AND type = 'account.created'"),
    ).toBe(USERS)
    expect(one("SELECT count(*) AS n FROM events WHERE org_id = ? AND type = 'membership.added'")).toBe(USERS)
    expect(one("SELECT count(*) AS n FROM events WHERE org_id = ? AND type = 'group.created'")).toBe(1)
    expect(
      one(
        "SELECT count(*) AS n FROM events WHERE org_id = ? AND type NOT IN ('account.created', 'membership.added', 'group.created')",
      ),
    ).toBe(0)
    // The lease of the stopped process was released on SIGTERM.
    expect(await store.leases.get(`sync:${org.id}`)).toBeNull()
    await store.close()
  }, 180_000)
})
