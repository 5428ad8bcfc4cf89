/**
 * The shared poison-item ladder (src/sync/poison.ts): a failing batch is retried with one item, a
 * failing item is skipped with its reason, and a busy store is never taken for a poison item — the
 * scheduler backs off and applies the same changes once the store answers again.
 */
import { Database } from 'bun:sqlite'
import { afterEach, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { setUpIntegration } from '../../src/integration/service.ts'
import { silentLogger } from '../../src/observability/log.ts'
import { createApiKey, createOrg } from '../../src/orgs/service.ts'
import { StoreBusy } from '../../src/store/errors.ts'
import { openStore, type SqliteStore } from '../../src/store/index.ts'
import { isolatePoison } from '../../src/sync/poison.ts'
import { createScheduler } from '../../src/sync/scheduler.ts'
import { tempDataDir } from '../support/binary.ts'
import { selfSigned } from '../support/certs.ts'
import { directoryWriter } from '../support/directory.ts'

/** A ladder step that notes it ran and answers its name. */
const step = (steps: string[], name: string) => async () => {
  steps.push(name)
  return name
}

describe('the poison-item ladder', () => {
  test('a batch that succeeds is all there is', async () => {
    const steps: string[] = []
    const result = await isolatePoison({
      batch: step(steps, 'batch'),
      one: step(steps, 'one'),
      skip: step(steps, 'skip'),
    })
    expect(result).toBe('batch')
    expect(steps).toEqual(['batch'])
  })

  test('a failing batch is retried with one item; a failing item is skipped with its reason', async () => {
    const steps: string[] = []
    expect(
      await isolatePoison({
        batch: async () => {
          steps.push('batch')
          throw new Error('one bad row')
        },
        one: step(steps, 'one'),
        skip: async () => 'skip',
      }),
    ).toBe('one')
    let reason = ''
    expect(
      await isolatePoison({
        batch: async () => {
          throw new Error('one bad row')
        },
        one: async () => {
          throw new Error('the bad row itself')
        },
        skip: async (why) => {
          reason = why
          return 'skip'
        },
      }),
    ).toBe('skip')
    expect(reason).toBe('the bad row itself')
    expect(steps).toEqual(['batch', 'one'])
  })

  test('a busy store is never skipped: it goes to the caller, from either step', async () => {
    const skipped: string[] = []
    const skip = async (why: string) => {
      skipped.push(why)
      return 'skip'
    }
    const busy = () => Promise.reject(new StoreBusy())
    await expect(isolatePoison({ batch: busy, one: async () => 'one', skip })).rejects.toBeInstanceOf(
      StoreBusy,
    )
    await expect(
      isolatePoison({ batch: () => Promise.reject(new Error('bad row')), one: busy, skip }),
    ).rejects.toBeInstanceOf(StoreBusy)
    expect(skipped).toEqual([])
  })
})

const open: Array<{ close(): unknown }> = []
afterEach(async () => {
  for (const item of open.splice(0).reverse()) await item.close()
})

describe('a busy store in the scheduler', () => {
  test('backs the feed off and applies every change later, skipping none', async () => {
    const path = join(tempDataDir(), 'okta-bridge.sqlite')
    const store: SqliteStore = openStore(path)
    open.push(store)
    const acme = await createOrg(store, { slug: 'acme' })
    await createApiKey(store, { orgSlug: 'acme' })
    await setUpIntegration(
      store,
      acme,
      {
        ssoUrl: 'https://acme.okta.com/app/x/sso/saml',
        issuer: 'http://www.okta.com/x',
        certificate: selfSigned().certificate,
      },
      'test',
    )
    const dir = directoryWriter(store, acme.id)
    await dir.users([{ userName: 'one@acme.example' }, { userName: 'two@acme.example' }])
    // Another process (the CLI, say) holds the file's write lock; this connection gives up quickly.
    store.engine.db.exec('PRAGMA busy_timeout = 20')
    const other = new Database(path)
    open.push(other)
    other.exec('BEGIN IMMEDIATE')
    let clock = Date.now()
    const scheduler = createScheduler(
      { store, log: silentLogger, config: { syncIntervalMs: 20, fullReconcileIntervalMs: 3_600_000 } },
      { now: () => clock },
    )
    await scheduler.drain()
    expect(await store.accounts.countLinked(acme.id)).toBe(0)
    other.exec('ROLLBACK')
    // Backed off: nothing runs until the back-off (1 s) has passed.
    await scheduler.drain()
    expect(await store.accounts.countLinked(acme.id)).toBe(0)
    clock += 1_001
    await scheduler.drain()
    expect(await store.accounts.countLinked(acme.id)).toBe(2)
    const audit = await store.audit.list(acme.id, { kind: 'sync', limit: 100 })
    expect(audit.filter((row) => row.action === 'sync.change_skipped')).toEqual([])
    expect((await store.syncState.get(acme.id))?.applied_seq).toBeGreaterThan(0)
    await scheduler.stop()
  })
})
