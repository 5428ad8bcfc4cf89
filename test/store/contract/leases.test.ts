/**
 * The lease contract (`store.leases`), on both engines: a free or expired name is taken, the holder
 * renews its own, anyone else is refused while the lease lives, and only the holder releases it.
 * The scheduler takes `sync:<org>` inside each batch's transaction, so a lease taken in a
 * transaction that rolls back was never taken. Races between two instances on one database: many
 * holders asking for a free name at once, or for an expired one, leave exactly one holder; on
 * PostgreSQL, an instance asking while another's transaction holds the row waits for that commit
 * and is refused (or takes the name when that transaction rolls back).
 */
import { describe, expect, test } from 'bun:test'
import type { Store } from '../../../src/store/index.ts'
import { gate, lockWaiters } from '../../support/postgres.ts'
import { eachEngine, openStores } from './engines.ts'

const NOW = 1_700_000_000_000
const TTL = 15_000

class Abandoned extends Error {}

/** `holders` ask for `name` at once, alternating between the two instances; answers the winners. */
async function race(stores: [Store, Store], name: string, holders: string[], now: number) {
  const answers = await Promise.all(
    holders.map((holder, i) => (stores[i % 2] as Store).leases.tryAcquire(name, holder, now, TTL)),
  )
  return holders.filter((_, i) => answers[i])
}

eachEngine((engine) => {
  let store: Store
  let twin: Store
  openStores(engine, (opened, openedTwin) => {
    ;[store, twin] = [opened, openedTwin]
  })

  test('a free name is taken; its holder renews it; another holder is refused while it lives', async () => {
    expect(await store.leases.get('sync:org-a')).toBeNull()
    expect(await store.leases.tryAcquire('sync:org-a', 'i-1', NOW, TTL)).toBe(true)
    const held = { name: 'sync:org-a', holder: 'i-1', expires_at: NOW + TTL }
    expect(await twin.leases.get('sync:org-a')).toEqual(held)
    // One millisecond before it expires, the lease is still i-1's, and the refusal changes nothing.
    expect(await twin.leases.tryAcquire('sync:org-a', 'i-2', NOW + TTL - 1, TTL)).toBe(false)
    expect(await store.leases.get('sync:org-a')).toEqual(held)
    expect(await twin.leases.tryAcquire('sync:org-a', 'i-1', NOW + 5_000, TTL)).toBe(true)
    expect((await store.leases.get('sync:org-a'))?.expires_at).toBe(NOW + 5_000 + TTL)
  })

  test('an expired lease is taken over from its expiry instant on, with a fresh expiry', async () => {
    expect(await store.leases.tryAcquire('sync:org-b', 'i-1', NOW, TTL)).toBe(true)
    expect(await twin.leases.tryAcquire('sync:org-b', 'i-2', NOW + TTL, TTL)).toBe(true)
    expect(await store.leases.get('sync:org-b')).toEqual({
      name: 'sync:org-b',
      holder: 'i-2',
      expires_at: NOW + 2 * TTL,
    })
    // The old holder (a killed instance back from the dead) is now refused like anyone else.
    expect(await store.leases.tryAcquire('sync:org-b', 'i-1', NOW + TTL + 1, TTL)).toBe(false)
  })

  test('only the holder releases a lease; a released name is free for anyone', async () => {
    await store.leases.tryAcquire('sync:org-c', 'i-1', NOW, TTL)
    expect(await twin.leases.release('sync:org-c', 'i-2')).toBe(false)
    expect((await store.leases.get('sync:org-c'))?.holder).toBe('i-1')
    expect(await twin.leases.release('sync:org-c', 'i-1')).toBe(true)
    expect(await store.leases.get('sync:org-c')).toBeNull()
    expect(await store.leases.release('sync:org-c', 'i-1')).toBe(false)
    expect(await twin.leases.tryAcquire('sync:org-c', 'i-2', NOW + 1, TTL)).toBe(true)
  })

  test('names are independent: one holder per name, whatever it holds elsewhere', async () => {
    expect(await store.leases.tryAcquire('sync:org-d', 'i-1', NOW, TTL)).toBe(true)
    expect(await twin.leases.tryAcquire('sync:org-e', 'i-2', NOW, TTL)).toBe(true)
    expect(await twin.leases.tryAcquire('sync:org-f', 'i-1', NOW, TTL)).toBe(true)
    expect((await store.leases.get('sync:org-d'))?.holder).toBe('i-1')
    expect((await store.leases.get('sync:org-e'))?.holder).toBe('i-2')
    expect(await store.leases.release('sync:org-f', 'i-1')).toBe(true)
    expect((await store.leases.get('sync:org-d'))?.holder).toBe('i-1')
  })

  test('a lease taken in a transaction that rolls back was never taken; one that commits is held', async () => {
    await expect(
      store.transaction(async (tx) => {
        expect(await tx.leases.tryAcquire('sync:org-g', 'i-1', NOW, TTL)).toBe(true)
        throw new Abandoned('batch failed')
      }),
    ).rejects.toBeInstanceOf(Abandoned)
    expect(await twin.leases.get('sync:org-g')).toBeNull()
    expect(await twin.transaction((tx) => tx.leases.tryAcquire('sync:org-g', 'i-2', NOW, TTL))).toBe(true)
    expect(await store.transaction((tx) => tx.leases.tryAcquire('sync:org-g', 'i-1', NOW, TTL))).toBe(false)
    expect((await store.leases.get('sync:org-g'))?.holder).toBe('i-2')
  })

  test('twenty holders on two instances asking for a free name at once: exactly one holds it', async () => {
    const holders = Array.from({ length: 20 }, (_, i) => `h-${i}`)
    const winners = await race([store, twin], 'sync:race-free', holders, NOW)
    expect(winners.length).toBe(1)
    expect((await twin.leases.get('sync:race-free'))?.holder).toBe(winners[0] as string)
  })

  test('twenty holders asking for an expired lease at once: exactly one takes it over', async () => {
    await store.leases.tryAcquire('sync:race-expired', 'dead', NOW, TTL)
    const holders = Array.from({ length: 20 }, (_, i) => `h-${i}`)
    const winners = await race([store, twin], 'sync:race-expired', holders, NOW + TTL)
    expect(winners.length).toBe(1)
    expect(await store.leases.get('sync:race-expired')).toEqual({
      name: 'sync:race-expired',
      holder: winners[0] as string,
      expires_at: NOW + 2 * TTL,
    })
  })

  test('batches of two instances taking the lease in their transactions at once: one holder', async () => {
    const take = (instance: Store, holder: string) =>
      instance.transaction(async (tx) => {
        if (!(await tx.leases.tryAcquire('sync:race-tx', holder, NOW, TTL))) return null
        // The batch's own work, read back inside the same transaction.
        return (await tx.leases.get('sync:race-tx'))?.holder ?? 'lost'
      })
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) => take(i % 2 === 0 ? store : twin, `h-${i}`)),
    )
    const winners = outcomes.filter((holder) => holder !== null)
    expect(winners.length).toBe(1)
    expect((await store.leases.get('sync:race-tx'))?.holder).toBe(winners[0] as string)
  })

  if (engine.name === 'postgres') {
    describe('an instance asking while another holds the row (PostgreSQL)', () => {
      const sqlOf = (s: Store) => {
        if (s.engine.kind !== 'postgres') throw new Error('postgres only')
        return s.engine.sql
      }

      test('waits for the holder to commit, then is refused', async () => {
        const taken = gate()
        const release = gate()
        const first = store.transaction(async (tx) => {
          expect(await tx.leases.tryAcquire('sync:held', 'i-1', NOW, TTL)).toBe(true)
          taken.open()
          await release.opened
        })
        await taken.opened
        const second = twin.transaction((tx) => tx.leases.tryAcquire('sync:held', 'i-2', NOW, TTL))
        await lockWaiters(sqlOf(store), 1)
        release.open()
        await first
        expect(await second).toBe(false)
        expect((await twin.leases.get('sync:held'))?.holder).toBe('i-1')
      })

      test('takes the name when the holder rolls back', async () => {
        const taken = gate()
        const release = gate()
        const first = store.transaction(async (tx) => {
          await tx.leases.tryAcquire('sync:rolled', 'i-1', NOW, TTL)
          taken.open()
          await release.opened
          throw new Abandoned('killed mid-batch')
        })
        await taken.opened
        const second = twin.leases.tryAcquire('sync:rolled', 'i-2', NOW, TTL)
        await lockWaiters(sqlOf(store), 1)
        release.open()
        await expect(first).rejects.toBeInstanceOf(Abandoned)
        expect(await second).toBe(true)
        expect((await store.leases.get('sync:rolled'))?.holder).toBe('i-2')
      })

      test('a renewal waiting behind a takeover of its expired lease is refused', async () => {
        await store.leases.tryAcquire('sync:renew', 'old', NOW, TTL)
        const taken = gate()
        const release = gate()
        const takeover = twin.transaction(async (tx) => {
          expect(await tx.leases.tryAcquire('sync:renew', 'new', NOW + TTL, TTL)).toBe(true)
          taken.open()
          await release.opened
        })
        await taken.opened
        // The old holder still sees its own (expired) row, but must not win it back.
        const renewal = store.leases.tryAcquire('sync:renew', 'old', NOW + TTL, TTL)
        await lockWaiters(sqlOf(store), 1)
        release.open()
        await takeover
        expect(await renewal).toBe(false)
        expect((await store.leases.get('sync:renew'))?.holder).toBe('new')
      })
    })
  }
})
