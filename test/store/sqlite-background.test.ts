/**
 * Background transactions on SQLite (`store.transaction(work, { background: true })`): while the
 * scheduler's thread holds the write gate, a priority transaction of the HTTP thread makes the
 * thread's young batch give way (roll back) and blocks the HTTP thread until it can enter; a
 * background one does neither — the thread's batch commits, the HTTP thread's event loop keeps
 * running while it waits, and it commits right after. Two real threads on one file; the holder is
 * test/support/gate-holder.ts.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { openStore, type Store } from '../../src/store/index.ts'
import { tempDataDir } from '../support/binary.ts'
import type { HoldAnswer, HoldRequest } from '../support/gate-holder.ts'
import { orgRow } from './contract/org-state-support.ts'

const open: Store[] = []
const workers: Worker[] = []
afterEach(async () => {
  for (const worker of workers.splice(0)) worker.terminate()
  for (const store of open.splice(0)) await store.close()
})

/** The HTTP thread's store and a holder thread in its transaction, holding the gate. */
async function holding(waitForAlive: boolean, prepare?: (store: Store) => Promise<void>) {
  const path = join(tempDataDir(), 'okta-bridge.sqlite')
  const http = openStore(path)
  open.push(http)
  await prepare?.(http)
  const handoff = http.pacing?.shareWithThread()
  if (!handoff) throw new Error('a SQLite store shares its gate')
  const alive = new SharedArrayBuffer(4)
  const worker = new Worker(new URL('../support/gate-holder.ts', import.meta.url).href)
  workers.push(worker)
  const answers: HoldAnswer[] = []
  const next = (type: HoldAnswer['type']) =>
    new Promise<HoldAnswer>((resolve) => {
      const look = () => {
        const found = answers.find((answer) => answer.type === type)
        if (found) resolve(found)
        else setTimeout(look, 1)
      }
      look()
    })
  worker.addEventListener('message', (event: MessageEvent<HoldAnswer>) => answers.push(event.data))
  worker.postMessage({ path, handoff, alive, waitForAlive } satisfies HoldRequest)
  await next('holding')
  return { http, alive: new Int32Array(alive), done: () => next('done') }
}

const leaseHolder = async (store: Store, name: string) =>
  store.engine.kind === 'sqlite'
    ? ((
        store.engine.db.query('SELECT holder FROM leases WHERE name = ?').get(name) as {
          holder: string
        } | null
      )?.holder ?? null)
    : null

describe('background transactions at the SQLite write gate', () => {
  test('a priority transaction makes the holding thread give way, and waits without blocking this one', async () => {
    const { http, alive, done } = await holding(true)
    const writing = http.transaction((tx) => tx.leases.tryAcquire('http:write', 'http', Date.now(), 60_000))
    // The holder goes on (and gives way) only once this thread has run a timer while it waited.
    setTimeout(() => Atomics.store(alive, 0, 1), 5)
    expect(await writing).toBe(true)
    const answer = await done()
    expect(answer).toEqual({ type: 'done', outcome: 'gave way', yields: 1 })
    expect(await leaseHolder(http, 'holder:first')).toBeNull()
    expect(await leaseHolder(http, 'http:write')).toBe('http')
  })

  test('a single write outside a transaction (an audit row) waits for the gate the same way', async () => {
    const { http, alive, done } = await holding(true, (store) => store.orgs.insert(orgRow('org-1')))
    const writing = http.audit.record({
      orgId: 'org-1',
      kind: 'admin',
      action: 'test.write',
      outcome: 'success',
      actor: 'test',
    })
    setTimeout(() => Atomics.store(alive, 0, 1), 5)
    await writing
    expect(await done()).toMatchObject({ outcome: 'gave way' })
    const rows = await http.audit.list('org-1', { limit: 10 })
    expect(rows.map((row) => row.action)).toEqual(['test.write'])
  })

  test('a background transaction waits its turn without blocking this thread or rolling the other back', async () => {
    const { http, alive, done } = await holding(true)
    let committed = false
    const writing = http
      .transaction((tx) => tx.leases.tryAcquire('http:write', 'http', Date.now(), 60_000), {
        background: true,
      })
      .then((value) => {
        committed = true
        return value
      })
    // The holder commits only once this thread has run a timer while its transaction waited.
    setTimeout(() => {
      Atomics.store(alive, 0, 1)
    }, 5)
    const answer = await done()
    expect(answer).toEqual({ type: 'done', outcome: 'committed', yields: 0 })
    expect(await writing).toBe(true)
    expect(committed).toBe(true)
    expect(await leaseHolder(http, 'holder:first')).toBe('thread')
    expect(await leaseHolder(http, 'holder:second')).toBe('thread')
    expect(await leaseHolder(http, 'http:write')).toBe('http')
    const stats = http.pacing?.stats()
    expect(stats?.transactions).toBe(1)
    expect(stats?.backgroundFallbacks).toBe(0)
  })

  test('without a shared gate a background transaction is an ordinary one', async () => {
    const store = openStore(join(tempDataDir(), 'okta-bridge.sqlite'))
    open.push(store)
    const results = await Promise.all([
      store.transaction((tx) => tx.leases.tryAcquire('a', 'one', Date.now(), 60_000), { background: true }),
      store.transaction((tx) => tx.leases.tryAcquire('a', 'two', Date.now(), 60_000)),
      store
        .transaction(
          async (tx) => {
            await tx.leases.tryAcquire('b', 'three', Date.now(), 60_000)
            throw new Error('rolled back')
          },
          { background: true },
        )
        .catch((error: Error) => error.message),
    ])
    expect(results).toEqual([true, false, 'rolled back'])
    expect(await leaseHolder(store, 'a')).toBe('one')
    expect(await leaseHolder(store, 'b')).toBeNull()
  })
})
