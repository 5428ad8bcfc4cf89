/**
 * The throttle state contract, on both engines: `step` is one atomic read-modify-write of one row
 * (the live state in, the next state out; null forgets the key), an expired row reads as absent,
 * `purgeExpired` (housekeeping's job) takes expired rows only, in batches, and names and keys are
 * bounded. Two instances hitting one key at once never lose a count, which is what lets the sign-in
 * throttles (issue 10) run on several instances. On PostgreSQL, the interleavings the row lock has
 * to survive are forced by state: a lost insert race, a row deleted while a step waits for it, a
 * purge racing a revival.
 */
import { describe, expect, test } from 'bun:test'
import { pruneThrottles, startHousekeeping } from '../../../src/housekeeping/index.ts'
import { backoff, StoreThrottle } from '../../../src/http/throttle.ts'
import { silentLogger } from '../../../src/observability/log.ts'
import { StoreMisuse } from '../../../src/store/errors.ts'
import type { Store, StoreTx } from '../../../src/store/index.ts'
import { LoginThrottle, signInThrottleStores } from '../../../src/web/rate-limit.ts'
import { gate, lockWaiters } from '../../support/postgres.ts'
import { eachEngine, openStores } from './engines.ts'

const NAME = 'contract.count'
const NOW = 1_000_000
const FAR = 10 ** 13

type Repos = Pick<StoreTx, 'throttles'>

/** Adds one to the key's counter; `seen` collects what each run of the update was handed. */
const bump = (repos: Repos, key: string, seen: Array<string | null> = [], now = NOW) =>
  repos.throttles.step(NAME, key, now, (state) => {
    seen.push(state)
    return { state: String(Number(state ?? '0') + 1), expiresAt: FAR }
  })

/** The key's live state (written back unchanged, with a far expiry). */
const peek = (repos: Repos, key: string, now = NOW) =>
  repos.throttles.step(NAME, key, now, (state) => ({ state, expiresAt: FAR }))

const put = (repos: Repos, key: string, state: string | null, expiresAt: number, name = NAME) =>
  repos.throttles.step(name, key, NOW, () => ({ state, expiresAt }))

eachEngine((engine) => {
  let store: Store
  let twin: Store
  openStores(engine, (opened, openedTwin) => {
    ;[store, twin] = [opened, openedTwin]
  })

  test('a step is handed what the last one stored, and a null state forgets the key', async () => {
    const seen: Array<string | null> = []
    expect(await bump(store, 'k-basic', seen)).toBe('1')
    expect(await store.transaction((tx) => bump(tx, 'k-basic', seen))).toBe('2')
    expect(await bump(twin, 'k-basic', seen)).toBe('3')
    expect(seen).toEqual([null, '1', '2'])
    expect(await put(store, 'k-basic', null, 0)).toBeNull()
    expect(await peek(twin, 'k-basic')).toBeNull()
  })

  test('each throttle name has its own state for the same key', async () => {
    await put(store, 'k-named', 'a', FAR, 'contract.a')
    await put(store, 'k-named', 'b', FAR, 'contract.b')
    const read = (name: string) =>
      store.throttles.step(name, 'k-named', NOW, (state) => ({ state, expiresAt: FAR }))
    expect(await read('contract.a')).toBe('a')
    expect(await read('contract.b')).toBe('b')
    expect(await peek(store, 'k-named')).toBeNull()
  })

  test('a step in a transaction that rolls back leaves the state as it was', async () => {
    await bump(store, 'k-rollback')
    await expect(
      store.transaction(async (tx) => {
        await bump(tx, 'k-rollback')
        throw new Error('abandoned')
      }),
    ).rejects.toThrow('abandoned')
    expect(await peek(store, 'k-rollback')).toBe('1')
  })

  test('an expired row reads as absent; a purge takes expired rows only, at most `limit` at a time', async () => {
    const purgeStore = await engine.open()
    try {
      for (let i = 0; i < 5; i++) await put(purgeStore, `old-${i}`, 'stale', NOW - 1 - i)
      await put(purgeStore, 'at-now', 'stale', NOW)
      await put(purgeStore, 'live', 'fresh', NOW + 1)
      // A row whose time has come is gone for every reader, purged or not.
      expect(await bump(purgeStore, 'at-now')).toBe('1')
      expect(await purgeStore.throttles.purgeExpired(NOW, 4)).toBe(4)
      expect(await purgeStore.throttles.purgeExpired(NOW, 4)).toBe(1)
      expect(await purgeStore.throttles.purgeExpired(NOW, 4)).toBe(0)
      expect(await peek(purgeStore, 'live')).toBe('fresh')
      expect(await peek(purgeStore, 'at-now')).toBe('1')
    } finally {
      await purgeStore.close()
    }
  })

  test('housekeeping deletes expired throttle rows in batches, on its timer run too', async () => {
    const kept = await engine.open()
    try {
      const now = Date.now()
      for (let i = 0; i < 7; i++) await put(kept, `gone-${i}`, 'stale', now - 1000)
      await put(kept, 'live', 'fresh', now + 60_000)
      const limits = { batchSize: 3, maxBatches: 2, pauseMs: 0 }
      expect(await pruneThrottles(kept, now, limits)).toBe(6) // two batches; the rest waits
      await put(kept, 'gone-late', 'stale', now - 1000)
      const housekeeping = startHousekeeping(
        { store: kept, config: { auditRetentionDays: 365 }, log: silentLogger },
        { firstRunMs: 60_000, intervalMs: 60_000 },
      )
      await housekeeping.runNow()
      await housekeeping.stop()
      expect(await kept.throttles.purgeExpired(now, 100)).toBe(0)
      expect(await peek(kept, 'live', now)).toBe('fresh')
    } finally {
      await kept.close()
    }
  })

  test('names and keys beyond their bounds are refused, so no row grows with what a client sends', async () => {
    await expect(put(store, 'k'.repeat(129), 'x', FAR)).rejects.toBeInstanceOf(StoreMisuse)
    await expect(put(store, 'k', 'x', FAR, 'n'.repeat(65))).rejects.toBeInstanceOf(StoreMisuse)
    expect(await put(store, 'k'.repeat(128), 'x', FAR, 'n'.repeat(64))).toBe('x')
  })

  test('many hits at once from two instances on one key: every one is counted', async () => {
    const perInstance = 100
    const hits: Promise<unknown>[] = []
    for (let i = 0; i < perInstance; i++) {
      hits.push(store.transaction((tx) => bump(tx, 'k-race')))
      hits.push(twin.transaction((tx) => bump(tx, 'k-race')))
    }
    await Promise.all(hits)
    expect(await peek(store, 'k-race')).toBe(String(2 * perInstance))
  })

  test('five failures spread over two instances lock the key on both, and the lock is audited once', async () => {
    const here = new StoreThrottle(store, 'contract.backoff', backoff(5, 30, 15 * 60))
    const there = new StoreThrottle(twin, 'contract.backoff', backoff(5, 30, 15 * 60))
    for (let i = 0; i < 5; i++) {
      const instance = i % 2 === 0 ? here : there
      expect((await instance.check('admin@acme.example', NOW)).allowed).toBe(true)
      await instance.hit('admin@acme.example', NOW)
    }
    expect(await there.check('admin@acme.example', NOW)).toEqual({
      allowed: false,
      firstRefusal: true,
      retryAfterSeconds: 30,
    })
    expect(await here.check('admin@acme.example', NOW)).toEqual({
      allowed: false,
      firstRefusal: false,
      retryAfterSeconds: 30,
    })
    await here.reset('admin@acme.example')
    expect((await there.check('admin@acme.example', NOW)).allowed).toBe(true)
  })

  test("the sign-in throttles' per-email ceiling counts failures from every instance", async () => {
    const here = new LoginThrottle(signInThrottleStores(store))
    const there = new LoginThrottle(signInThrottleStores(twin))
    const attempt = (client: string) => ({ orgId: 'o-ceiling', email: 'admin@acme.example', client })
    for (let c = 0; c < 25; c++) {
      for (let i = 0; i < 4; i++) {
        const instance = (c + i) % 2 === 0 ? here : there
        expect(await instance.admit(attempt(`192.0.2.${c}`), NOW)).toBeNull()
        await instance.failed(attempt(`192.0.2.${c}`), NOW)
      }
    }
    const refused = await here.admit(attempt('203.0.113.200'), NOW)
    expect(refused?.reason).toBe('rate limited: too many failures for this email')
    expect((await there.admit(attempt('203.0.113.201'), NOW))?.firstRefusal).toBe(false)
  })

  if (engine.name === 'postgres') {
    describe('forced interleavings (PostgreSQL)', () => {
      const sqlOf = (s: Store) => {
        if (s.engine.kind !== 'postgres') throw new Error('postgres only')
        return s.engine.sql
      }

      test('a step that loses the insert race to another instance counts on top of its row', async () => {
        const inserted = gate()
        const release = gate()
        const first = store.transaction(async (tx) => {
          await bump(tx, 'k-insert-race')
          inserted.open()
          await release.opened
        })
        await inserted.opened
        const seen: Array<string | null> = []
        // Sees no row (the first insert is not committed), then waits on that insert's key.
        const second = twin.transaction((tx) => bump(tx, 'k-insert-race', seen))
        await lockWaiters(sqlOf(store), 1)
        release.open()
        await Promise.all([first, second])
        expect(seen).toEqual([null, '1'])
        expect(await peek(store, 'k-insert-race')).toBe('2')
      })

      test('a step waiting for a row that another instance deletes starts from nothing', async () => {
        await put(store, 'k-deleted', '41', FAR)
        const deleted = gate()
        const release = gate()
        const reset = store.transaction(async (tx) => {
          await put(tx, 'k-deleted', null, 0)
          deleted.open()
          await release.opened
        })
        await deleted.opened
        const seen: Array<string | null> = []
        const second = twin.transaction((tx) => bump(tx, 'k-deleted', seen))
        await lockWaiters(sqlOf(store), 1)
        release.open()
        await Promise.all([reset, second])
        expect(seen).toEqual([null])
        expect(await peek(store, 'k-deleted')).toBe('1')
      })

      test('a purge that waited for a row a step revived leaves it alone', async () => {
        await put(store, 'k-revived', 'stale', NOW - 10)
        const revived = gate()
        const release = gate()
        const step = store.transaction(async (tx) => {
          expect(await bump(tx, 'k-revived')).toBe('1')
          revived.open()
          await release.opened
        })
        await revived.opened
        const purge = twin.throttles.purgeExpired(NOW, 10)
        await lockWaiters(sqlOf(store), 1)
        release.open()
        await step
        expect(await purge).toBe(0)
        expect(await peek(store, 'k-revived')).toBe('1')
      })
    })
  }
})
