/**
 * The orgs, admins and API keys contract, on both engines: the same plain rows (times as numbers
 * past 2^31, null where nothing was set), the same order (creation time, then id byte by byte), null
 * for what is not there, booleans and counts as SQLite answers them, and every per-org operation
 * blind to other orgs. Uniqueness (slug, url, an admin's email per org, a key's hash) is a
 * `UniqueViolation` on both, also when two instances insert the same value at the same moment.
 */
import { describe, expect, test } from 'bun:test'
import { UniqueViolation } from '../../../src/store/errors.ts'
import type { Store } from '../../../src/store/index.ts'
import type { AdminRow, ApiKeyRow } from '../../../src/store/orgs.ts'
import { gate, lockWaiters } from '../../support/postgres.ts'
import { bytewise, TRICKY_IDS } from './directory-support.ts'
import { eachEngine, openStores } from './engines.ts'
import { orgRow } from './org-state-support.ts'

/** A time past 2^31 ms, so a BIGINT that came back as a string or was cut to int4 shows. */
const T = 1_700_000_000_000

const adminRow = (orgId: string, id: string, email: string, created_at = T): AdminRow => ({
  id,
  org_id: orgId,
  email,
  email_lower: email.toLowerCase(),
  password_hash: `hash-${id}`,
  created_at,
  source: 'password',
  break_glass: 0,
  account_id: null,
})

const keyRow = (orgId: string, id: string, created_at = T): Omit<ApiKeyRow, 'last_used_at'> => ({
  id,
  org_id: orgId,
  name: `key ${id}`,
  key_hash: `sha-${orgId}-${id}`,
  created_at,
})

/** The row as the engine answered it: the same keys and values as `expected`, nothing more. */
function expectRow(actual: object | null, expected: object): void {
  expect(actual).not.toBeNull()
  expect(Object.keys(actual as object).sort()).toEqual(Object.keys(expected).sort())
  expect(actual).toEqual(expected)
}

/** The outcome of `promise`, handled from the start (a rejection never goes unhandled). */
const settled = <T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  )

/** Exactly one of the settled promises failed, with a UniqueViolation. */
function oneUniqueViolation(results: PromiseSettledResult<unknown>[]): void {
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
  expect(results.length - failures.length).toBe(1)
  for (const failure of failures) expect(failure.reason).toBeInstanceOf(UniqueViolation)
}

eachEngine((engine) => {
  let store: Store
  let twin: Store
  openStores(engine, async (opened, openedTwin) => {
    ;[store, twin] = [opened, openedTwin]
    for (const id of ['org-a', 'org-b']) await store.orgs.insert(orgRow(id, { created_at: T }))
  })

  test('an org reads back by id, slug and url as it was written; what is not there is null', async () => {
    const row = orgRow('org-url', { url: 'https://sso.acme.example', settings: '{"a":1}', created_at: T + 5 })
    await store.orgs.insert(row)
    expectRow(await store.orgs.byId('org-url'), row)
    expectRow(await store.orgs.bySlug('org-url-slug'), row)
    expectRow(await store.orgs.byUrl('https://sso.acme.example'), row)
    expectRow(await store.orgs.byId('org-a'), orgRow('org-a', { created_at: T }))
    expect(await store.orgs.byId('nope')).toBeNull()
    expect(await store.orgs.bySlug('nope')).toBeNull()
    expect(await store.orgs.byUrl('https://nope.example')).toBeNull()

    await store.orgs.updateSettings('org-url', '{"b":2}')
    expect((await store.orgs.byId('org-url'))?.settings).toBe('{"b":2}')
    await store.orgs.updateSettings('nope', '{}')
    expect((await store.orgs.byId('org-a'))?.settings).toBe('{}')
  })

  test('the org of the first candidate url that one has, in one read', async () => {
    const first = orgRow('org-first', { url: 'http://first.example', created_at: T + 6 })
    const second = orgRow('org-second', { url: 'https://second.example', created_at: T + 7 })
    for (const row of [first, second]) await store.orgs.insert(row)
    expectRow(await store.orgs.firstByUrl(['https://first.example', 'http://first.example']), first)
    expectRow(
      await store.orgs.firstByUrl(['https://nope.example', 'https://second.example', 'http://first.example']),
      second,
    )
    expect(await store.orgs.firstByUrl(['https://first.example', 'http://second.example'])).toBeNull()
    expect(await store.orgs.firstByUrl([])).toBeNull()
  })

  test('all orgs list by creation time, then id byte by byte; own origins list only orgs with a url', async () => {
    const fresh = await engine.open()
    try {
      for (const id of TRICKY_IDS) await fresh.orgs.insert(orgRow(id, { created_at: T }))
      await fresh.orgs.insert(orgRow('early', { created_at: T - 1, url: 'https://early.example' }))
      await fresh.orgs.insert(orgRow('late', { created_at: T + 1, url: 'https://late.example' }))
      expect((await fresh.orgs.all()).map((org) => org.id)).toEqual([
        'early',
        ...bytewise(TRICKY_IDS),
        'late',
      ])
      const origins = (await fresh.orgs.withOwnOrigin()).sort((a, b) => a.slug.localeCompare(b.slug))
      expect(origins).toEqual([
        { slug: 'early-slug', url: 'https://early.example' },
        { slug: 'late-slug', url: 'https://late.example' },
      ])
    } finally {
      await fresh.close()
    }
  })

  test('a taken slug or url is a UniqueViolation, also from two instances at once', async () => {
    await store.orgs.insert(orgRow('org-u1', { url: 'https://taken.example' }))
    await expect(store.orgs.insert(orgRow('org-u2', { slug: 'org-u1-slug' }))).rejects.toBeInstanceOf(
      UniqueViolation,
    )
    await expect(
      store.orgs.insert(orgRow('org-u3', { url: 'https://taken.example' })),
    ).rejects.toBeInstanceOf(UniqueViolation)
    expect(await store.orgs.byId('org-u2')).toBeNull()
    const raced = await Promise.allSettled([
      store.orgs.insert(orgRow('org-r1', { slug: 'raced' })),
      twin.orgs.insert(orgRow('org-r2', { slug: 'raced' })),
      store.transaction((tx) => tx.orgs.insert(orgRow('org-r3', { slug: 'raced' }))),
    ])
    oneUniqueViolation(raced)
    expect(await twin.orgs.bySlug('raced')).not.toBeNull()
  })

  test('admins: read back, listed oldest first, counted, removed and re-passworded per org', async () => {
    const first = adminRow('org-a', 'adm-2', 'Ann@Example.com', T)
    const second = adminRow('org-a', 'adm-1', 'bob@example.com', T)
    const third = adminRow('org-a', 'adm-0', 'cy@example.com', T + 1)
    for (const row of [third, first, second]) await store.admins.insert(row)
    await store.admins.insert(adminRow('org-b', 'adm-b', 'ann@example.com'))

    expectRow(await store.admins.byEmail('org-a', 'ann@example.com'), first)
    expectRow(await store.admins.byId('org-a', 'adm-1'), second)
    expect(await store.admins.byEmail('org-a', 'Ann@Example.com')).toBeNull()
    expect(await store.admins.byId('org-b', 'adm-1')).toBeNull()
    expect((await store.admins.list('org-a')).map((a) => a.id)).toEqual(['adm-1', 'adm-2', 'adm-0'])
    expect(await store.admins.count('org-a')).toBe(3)
    expect(await store.admins.count('org-b')).toBe(1)
    expect(await store.admins.count('org-none')).toBe(0)
    expect(await store.admins.list('org-none')).toEqual([])

    expect(await store.admins.setPasswordHash('org-a', 'adm-1', 'new-hash')).toBe(true)
    expect((await store.admins.byId('org-a', 'adm-1'))?.password_hash).toBe('new-hash')
    expect(await store.admins.setPasswordHash('org-b', 'adm-1', 'stolen')).toBe(false)
    expect(await store.admins.setPasswordHash('org-a', 'nope', 'x')).toBe(false)

    expect(await store.admins.remove('org-b', 'adm-0')).toBe(false)
    expect(await store.admins.remove('org-a', 'adm-0')).toBe(true)
    expect(await store.admins.remove('org-a', 'adm-0')).toBe(false)
    expect(await store.admins.count('org-a')).toBe(2)
    expect(await store.admins.count('org-b')).toBe(1)
  })

  test("an admin's email is unique per org, and two instances adding the same one get one row", async () => {
    await store.admins.insert(adminRow('org-a', 'adm-u1', 'dup@example.com'))
    await expect(store.admins.insert(adminRow('org-a', 'adm-u2', 'DUP@example.com'))).rejects.toBeInstanceOf(
      UniqueViolation,
    )
    await store.admins.insert(adminRow('org-b', 'adm-u3', 'dup@example.com'))
    const raced = await Promise.allSettled([
      store.admins.insert(adminRow('org-b', 'adm-r1', 'race@example.com')),
      twin.admins.insert(adminRow('org-b', 'adm-r2', 'race@example.com')),
    ])
    oneUniqueViolation(raced)
    expect(
      (await twin.admins.list('org-b')).filter((a) => a.email_lower === 'race@example.com'),
    ).toHaveLength(1)
  })

  test('API keys: found by hash, touched, listed oldest first, removed per org', async () => {
    await store.apiKeys.insert(keyRow('org-a', 'key-2', T + 1))
    await store.apiKeys.insert(keyRow('org-a', 'key-1', T + 1))
    await store.apiKeys.insert(keyRow('org-a', 'key-0', T))
    await store.apiKeys.insert(keyRow('org-b', 'key-b'))

    const expected: ApiKeyRow = { ...keyRow('org-a', 'key-1', T + 1), last_used_at: null }
    expectRow(await store.apiKeys.byHash('sha-org-a-key-1'), expected)
    expectRow(await store.apiKeys.byId('org-a', 'key-1'), expected)
    expect(await store.apiKeys.byHash('sha-none')).toBeNull()
    expect(await store.apiKeys.byId('org-b', 'key-1')).toBeNull()

    await store.apiKeys.touch('key-1', T + 99)
    expect((await store.apiKeys.byHash('sha-org-a-key-1'))?.last_used_at).toBe(T + 99)
    expect((await store.apiKeys.list('org-a')).map((k) => k.id)).toEqual(['key-0', 'key-1', 'key-2'])
    expect((await store.apiKeys.list('org-b')).map((k) => k.id)).toEqual(['key-b'])

    expect(await store.apiKeys.remove('org-b', 'key-1')).toBe(false)
    expect(await store.apiKeys.remove('org-a', 'key-1')).toBe(true)
    expect(await store.apiKeys.remove('org-a', 'key-1')).toBe(false)
    expect(await store.apiKeys.byHash('sha-org-a-key-1')).toBeNull()
    await expect(
      store.apiKeys.insert({ ...keyRow('org-b', 'key-c'), key_hash: 'sha-org-a-key-0' }),
    ).rejects.toBeInstanceOf(UniqueViolation)
  })

  test('writes inside a transaction that fails leave nothing behind', async () => {
    await expect(
      store.transaction(async (tx) => {
        await tx.orgs.insert(orgRow('org-rolled-back'))
        await tx.admins.insert(adminRow('org-rolled-back', 'adm-rb', 'rb@example.com'))
        await tx.apiKeys.insert(keyRow('org-rolled-back', 'key-rb'))
        throw new Error('abandoned')
      }),
    ).rejects.toThrow('abandoned')
    expect(await store.orgs.byId('org-rolled-back')).toBeNull()
    expect(await store.admins.count('org-rolled-back')).toBe(0)
    expect(await store.apiKeys.byHash('sha-org-rolled-back-key-rb')).toBeNull()
  })

  if (engine.name === 'postgres') {
    describe('forced interleavings (PostgreSQL)', () => {
      const sqlOf = (s: Store) => {
        if (s.engine.kind !== 'postgres') throw new Error('postgres only')
        return s.engine.sql
      }

      /** Holds a transaction that inserted an org with `slug` until `finish` is called. */
      async function holdInsert(slug: string, id: string, outcome: 'commit' | 'rollback') {
        const inserted = gate()
        const release = gate()
        const held = settled(
          store.transaction(async (tx) => {
            await tx.orgs.insert(orgRow(id, { slug }))
            inserted.open()
            await release.opened
            if (outcome === 'rollback') throw new Error('rolled back on purpose')
          }),
        )
        await inserted.opened
        return { held, finish: release.open }
      }

      test('an instance inserting a slug another one has not committed yet waits, then is refused', async () => {
        const { held, finish } = await holdInsert('held-slug', 'org-h1', 'commit')
        // Settled at once: its refusal may come before `held` is awaited, and must not go unhandled.
        const second = settled(twin.orgs.insert(orgRow('org-h2', { slug: 'held-slug' })))
        await lockWaiters(sqlOf(store), 1)
        finish()
        await held
        expect((await second).error).toBeInstanceOf(UniqueViolation)
        expect((await twin.orgs.bySlug('held-slug'))?.id).toBe('org-h1')
      })

      test('the waiting instance gets the slug when the first one rolls back', async () => {
        const { held, finish } = await holdInsert('freed-slug', 'org-f1', 'rollback')
        const second = settled(twin.orgs.insert(orgRow('org-f2', { slug: 'freed-slug' })))
        await lockWaiters(sqlOf(store), 1)
        finish()
        expect(((await held).error as Error).message).toBe('rolled back on purpose')
        expect((await second).error).toBeUndefined()
        expect((await store.orgs.bySlug('freed-slug'))?.id).toBe('org-f2')
      })
    })
  }
})
