/**
 * The transaction contract, on both engines: commit, rollback, savepoints, engine errors as store
 * errors, the root store refused inside a transaction, readiness; on PostgreSQL also a deadlock
 * between two transactions, which the store resolves by running the victim again.
 */
import { expect, test } from 'bun:test'
import { StoreMisuse, UniqueViolation } from '../../../src/store/errors.ts'
import type { Store } from '../../../src/store/index.ts'
import type { OrgRow } from '../../../src/store/orgs.ts'
import { gate } from '../../support/postgres.ts'
import { eachEngine, openStores } from './engines.ts'

const org = (slug: string): OrgRow => ({
  id: `id-${slug}`,
  slug,
  name: `${slug} Inc`,
  url: null,
  settings: '{}',
  created_at: 1,
})

class Refused extends Error {}

eachEngine((engine) => {
  let store: Store
  let twin: Store
  openStores(engine, (opened, openedTwin) => {
    ;[store, twin] = [opened, openedTwin]
  })

  test('what a transaction writes commits together and is seen by another instance', async () => {
    await store.transaction(async (tx) => {
      await tx.orgs.insert(org('t-one'))
      await tx.orgs.insert(org('t-two'))
    })
    expect((await twin.orgs.bySlug('t-one'))?.name).toBe('t-one Inc')
    expect((await twin.orgs.bySlug('t-two'))?.id).toBe('id-t-two')
  })

  test('a transaction whose work throws leaves nothing, and its caller gets that very error', async () => {
    const refused = new Refused('no')
    const outcome = store.transaction(async (tx) => {
      await tx.orgs.insert(org('t-rolled'))
      throw refused
    })
    await expect(outcome).rejects.toBe(refused)
    expect(await store.orgs.bySlug('t-rolled')).toBeNull()
  })

  test('a failed savepoint rolls back only its own work and the transaction goes on', async () => {
    await store.transaction(async (tx) => {
      await tx.orgs.insert(org('t-outer'))
      await expect(
        tx.transaction(async (inner) => {
          await inner.orgs.insert(org('t-inner'))
          await inner.orgs.insert(org('t-outer')) // the same slug: refused by the unique index
        }),
      ).rejects.toBeInstanceOf(UniqueViolation)
      await tx.orgs.insert(org('t-after'))
    })
    expect(await store.orgs.bySlug('t-inner')).toBeNull()
    expect((await store.orgs.bySlug('t-outer'))?.id).toBe('id-t-outer')
    expect((await store.orgs.bySlug('t-after'))?.id).toBe('id-t-after')
  })

  test('a duplicate is a UniqueViolation, outside and inside a transaction, and nothing is written', async () => {
    await store.orgs.insert(org('t-dup'))
    await expect(store.orgs.insert({ ...org('t-dup'), id: 'other-id' })).rejects.toBeInstanceOf(
      UniqueViolation,
    )
    await expect(
      store.transaction(async (tx) => {
        await tx.orgs.insert(org('t-dup-new'))
        await tx.orgs.insert({ ...org('t-dup'), id: 'third-id' })
      }),
    ).rejects.toBeInstanceOf(UniqueViolation)
    expect(await store.orgs.bySlug('t-dup-new')).toBeNull()
    expect(await store.orgs.byId('other-id')).toBeNull()
  })

  test('two instances inserting the same slug at once: one row, and the other gets UniqueViolation', async () => {
    const outcomes = await Promise.allSettled([
      store.transaction((tx) => tx.orgs.insert({ ...org('t-race'), id: 'race-1' })),
      twin.transaction((tx) => tx.orgs.insert({ ...org('t-race'), id: 'race-2' })),
    ])
    const rejected = outcomes.filter((outcome) => outcome.status === 'rejected')
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1)
    expect(rejected).toHaveLength(1)
    expect((rejected[0] as PromiseRejectedResult).reason).toBeInstanceOf(UniqueViolation)
    expect((await store.orgs.all()).filter((row) => row.slug === 't-race')).toHaveLength(1)
  })

  test('the root store inside a transaction is refused, and the transaction rolls back', async () => {
    const outcome = store.transaction(async (tx) => {
      await tx.orgs.insert(org('t-misuse'))
      await store.orgs.bySlug('t-misuse')
    })
    await expect(outcome).rejects.toBeInstanceOf(StoreMisuse)
    expect(await store.orgs.bySlug('t-misuse')).toBeNull()
  })

  test('ping answers true while the store answers', async () => {
    expect(await store.ping()).toBe(true)
  })

  if (engine.name === 'postgres') {
    test('a deadlock between two transactions: the victim runs again and both commit', async () => {
      if (store.engine.kind !== 'postgres') throw new Error('postgres only')
      await store.orgs.insert(org('t-lock-a'))
      await store.orgs.insert(org('t-lock-b'))
      const firstLocked = gate()
      const secondLocked = gate()
      const runs = { first: 0, second: 0 }
      // Each takes one row, then wants the other's: PostgreSQL aborts one of them (40P01).
      const first = store.transaction(async (tx) => {
        runs.first++
        await tx.orgs.updateSettings('id-t-lock-a', '{"by":"first"}')
        firstLocked.open()
        await secondLocked.opened
        await tx.orgs.updateSettings('id-t-lock-b', '{"by":"first"}')
      })
      const second = twin.transaction(async (tx) => {
        runs.second++
        await tx.orgs.updateSettings('id-t-lock-b', '{"by":"second"}')
        secondLocked.open()
        await firstLocked.opened
        await tx.orgs.updateSettings('id-t-lock-a', '{"by":"second"}')
      })
      await Promise.all([first, second])
      expect(runs.first + runs.second).toBe(3) // the victim ran twice
      const a = (await store.orgs.byId('id-t-lock-a'))?.settings
      const b = (await store.orgs.byId('id-t-lock-b'))?.settings
      expect(a).toBe(b) // whichever committed last wrote both rows
    })
  }
})
