/**
 * The integrations and store-secrets contract, on both engines. An integration reads back as the
 * same plain row, by org and by token hash, and only its own fields change; its counts (active SCIM
 * users, groups, the users a removal would delete) see only its org. With a SECRET_KEY the SP private
 * key is sealed on its way in and opens only with that key. `unlock` refuses an encrypted store
 * without the key or with another one, seals an older store's clear keys once and marks it; two
 * instances unlocking at once seal each key once, and two with different keys never both succeed.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createSecretBox, isSealed, type SecretBox, SecretKeyError } from '../../../src/secrets/secret-box.ts'
import { UniqueViolation } from '../../../src/store/errors.ts'
import { openStore, type Store } from '../../../src/store/index.ts'
import { openPostgresStore } from '../../../src/store/postgres/index.ts'
import { gate, lockWaiters } from '../../support/postgres.ts'
import { userRow } from './directory-support.ts'
import { eachEngine } from './engines.ts'
import { accountRow, addAccount, addDuplicate, integrationRow, orgRow } from './org-state-support.ts'

const T = 1_700_000_000_000
const KEY = createSecretBox('contract-test-key-number-one-0123456789')
const OTHER_KEY = createSecretBox('contract-test-key-number-two-9876543210')
const PEM = (orgId: string) => `-----BEGIN PRIVATE KEY-----\n${orgId}\n-----END PRIVATE KEY-----\n`

/** Another store on the same database, with `secrets` as its SECRET_KEY: another instance. */
function withKey(base: Store, secrets: SecretBox | null): Promise<Store> {
  if (base.engine.kind === 'postgres') return openPostgresStore(base.engine.url, { poolSize: 4, secrets })
  return Promise.resolve(openStore(base.engine.path, undefined, secrets))
}

eachEngine((engine) => {
  let store: Store
  beforeAll(async () => {
    store = await engine.open()
    for (const id of ['org-a', 'org-b']) await store.orgs.insert(orgRow(id))
  }, 30_000)
  afterAll(() => store.close())

  /** A fresh database with `orgs` whose integrations have clear SP keys, and stores on it. */
  async function clearStore(orgs: string[]) {
    const base = await engine.open()
    for (const id of orgs) {
      await base.orgs.insert(orgRow(id))
      await base.integrations.insert(integrationRow(id))
      await base.integrations.setSpKeys(id, PEM(id), `cert-${id}`, T)
    }
    const opened: Store[] = [base]
    const open = async (secrets: SecretBox | null) => {
      const instance = await withKey(base, secrets)
      opened.push(instance)
      return instance
    }
    const close = () => Promise.all(opened.map((instance) => instance.close()))
    return { base, open, close }
  }

  test("a SCIM request's org and its token hash in one read; no integration, no hash", async () => {
    await store.orgs.insert(orgRow('org-scim'))
    await store.orgs.insert(orgRow('org-bare'))
    await store.integrations.insert(integrationRow('org-scim', { scim_token_hash: 'token-scim' }))
    expect(await store.orgs.bySlugWithScimToken('org-scim-slug')).toEqual({
      org: orgRow('org-scim'),
      scimTokenHash: 'token-scim',
      firstScimRequestAt: null,
    })
    await store.integrations.markFirstScimRequest('org-scim', 1_700_000_000_123)
    expect((await store.orgs.bySlugWithScimToken('org-scim-slug'))?.firstScimRequestAt).toBe(
      1_700_000_000_123,
    )
    expect(await store.orgs.bySlugWithScimToken('org-bare-slug')).toEqual({
      org: orgRow('org-bare'),
      scimTokenHash: null,
      firstScimRequestAt: null,
    })
    expect(await store.orgs.bySlugWithScimToken('nope')).toBeNull()
  })

  test('an integration reads back by org and token hash; update and token change only their fields', async () => {
    const row = integrationRow('org-a', { next_certificate: 'MIIC-next', settings: '{"x":1}', created_at: T })
    await store.integrations.insert(row)
    expect(Object.keys((await store.integrations.get('org-a')) as object).sort()).toEqual(
      Object.keys(row).sort(),
    )
    expect(await store.integrations.get('org-a')).toEqual(row)
    expect(await store.integrations.byTokenHash('token-of-org-a')).toEqual(row)
    expect(await store.integrations.get('org-b')).toBeNull()
    expect(await store.integrations.byTokenHash('token-none')).toBeNull()

    const changed = {
      org_id: 'org-a',
      sso_url: 'https://new.example/sso',
      issuer: 'urn:new',
      certificate: 'MIIC-2',
    }
    await store.integrations.update({ ...changed, next_certificate: null, settings: '{}', updated_at: T + 1 })
    await store.integrations.setTokenHash('org-a', 'token-rotated', T + 2)
    const expected = {
      ...row,
      ...changed,
      next_certificate: null,
      settings: '{}',
      scim_token_hash: 'token-rotated',
    }
    expect(await store.integrations.get('org-a')).toEqual({ ...expected, updated_at: T + 2 })
    expect(await store.integrations.byTokenHash('token-of-org-a')).toBeNull()

    await store.integrations.setSpKeys('org-a', PEM('org-a'), 'sp-cert', T + 3)
    const withKeys = await store.integrations.get('org-a')
    expect(withKeys).toMatchObject({
      sp_private_key: PEM('org-a'),
      sp_certificate: 'sp-cert',
      updated_at: T + 3,
    })
    expect(await store.integrations.spPrivateKey(withKeys as NonNullable<typeof withKeys>)).toBe(PEM('org-a'))
    expect(await store.integrations.spPrivateKey({ org_id: 'org-a', sp_private_key: null })).toBeNull()
  })

  test('one integration per org and per token hash', async () => {
    await expect(store.integrations.insert(integrationRow('org-a'))).rejects.toBeInstanceOf(UniqueViolation)
    await expect(
      store.integrations.insert(integrationRow('org-b', { scim_token_hash: 'token-rotated' })),
    ).rejects.toBeInstanceOf(UniqueViolation)
    expect(await store.integrations.get('org-b')).toBeNull()
  })

  test('the counts see only the org: active users, groups, and the users a removal deletes', async () => {
    const users = ['u-created', 'u-merged', 'u-waiting', 'u-orphan', 'u-inactive']
    for (const id of users) {
      await store.directory.insertUser(userRow('org-b', id, id, id === 'u-inactive' ? { active: 0 } : {}))
    }
    await store.directory.insertUser(userRow('org-a', 'u-elsewhere', 'u-elsewhere'))
    await store.directory.insertGroup({
      id: 'g-b',
      org_id: 'org-b',
      display_name: 'B',
      display_name_lower: 'b',
      external_id: null,
      resource: '{}',
      version: 1,
      created_at: T,
      updated_at: T,
    })
    await addAccount(
      store,
      accountRow('org-b', 'a-created', { scim_user_id: 'u-created', created_via_integration: 1 }),
    )
    await addAccount(store, accountRow('org-b', 'a-created-2', { created_via_integration: 1 }))
    await addAccount(store, accountRow('org-b', 'a-merged', { scim_user_id: 'u-merged', source: 'local' }))
    await addAccount(store, accountRow('org-b', 'a-local', { source: 'local' }))
    await addDuplicate(store, {
      org_id: 'org-b',
      scim_user_id: 'u-waiting',
      account_id: 'a-local',
      matched_on: 'email',
      detected_at: T,
    })
    expect(await store.integrations.countActiveScimUsers('org-b')).toBe(4)
    expect(await store.integrations.countGroups('org-b')).toBe(1)
    // a-created and a-created-2, plus u-orphan and u-inactive (no account, not waiting).
    expect(await store.integrations.countRemovableUsers('org-b')).toBe(4)
    expect(await store.integrations.countActiveScimUsers('org-none')).toBe(0)
    expect(await store.integrations.countRemovableUsers('org-none')).toBe(0)
    expect(await store.integrations.countGroups('org-none')).toBe(0)
    await store.integrations.remove('org-a')
    expect(await store.integrations.get('org-a')).toBeNull()
  })

  describe('secrets', () => {
    test('a clear store unlocks without a key; with one, its clear SP keys are sealed once', async () => {
      const { base, open, close } = await clearStore(['s-1', 's-2'])
      try {
        await base.orgs.insert(orgRow('s-none'))
        await base.integrations.insert(integrationRow('s-none'))
        expect(await base.secrets.encrypted()).toBe(false)
        expect(await base.secrets.unlock(T)).toEqual({ encrypted: false, sealed: 0 })

        const keyed = await open(KEY)
        expect(await keyed.secrets.unlock(T)).toEqual({ encrypted: true, sealed: 2 })
        expect(await keyed.secrets.unlock(T)).toEqual({ encrypted: true, sealed: 0 })
        expect(await base.secrets.encrypted()).toBe(true)
        for (const id of ['s-1', 's-2']) {
          const row = await keyed.integrations.get(id)
          expect(isSealed(row?.sp_private_key)).toBe(true)
          expect(await keyed.integrations.spPrivateKey(row as NonNullable<typeof row>)).toBe(PEM(id))
          // Without the key the sealed value does not open.
          await expect(base.integrations.spPrivateKey(row as NonNullable<typeof row>)).rejects.toBeInstanceOf(
            SecretKeyError,
          )
        }
        expect((await base.integrations.get('s-none'))?.sp_private_key).toBeNull()
      } finally {
        await close()
      }
    })

    test('an encrypted store refuses no key and a wrong key, and keys written without one', async () => {
      const { base, open, close } = await clearStore(['s-1'])
      try {
        const keyed = await open(KEY)
        await keyed.secrets.unlock(T)
        const sealed = (await base.integrations.get('s-1'))?.sp_private_key
        await expect(base.secrets.unlock(T)).rejects.toBeInstanceOf(SecretKeyError)
        await expect((await open(OTHER_KEY)).secrets.unlock(T)).rejects.toThrow(
          'SECRET_KEY is not the key this store was encrypted with',
        )
        await expect(base.integrations.setSpKeys('s-1', 'clear', 'c', T)).rejects.toBeInstanceOf(
          SecretKeyError,
        )
        expect((await base.integrations.get('s-1'))?.sp_private_key).toBe(sealed as string)

        await keyed.integrations.setSpKeys('s-1', PEM('rotated'), 'cert-2', T + 1)
        const row = await keyed.integrations.get('s-1')
        expect(isSealed(row?.sp_private_key)).toBe(true)
        expect(await keyed.integrations.spPrivateKey(row as NonNullable<typeof row>)).toBe(PEM('rotated'))
      } finally {
        await close()
      }
    })

    test('without a key check, sealed values prove the key: the right one writes the check', async () => {
      const base = await engine.open()
      const keyed = await withKey(base, KEY)
      const other = await withKey(base, OTHER_KEY)
      try {
        await base.orgs.insert(orgRow('s-1'))
        await base.integrations.insert(integrationRow('s-1'))
        // Sealed by a process with the key that never ran unlock: no key check yet.
        await keyed.integrations.setSpKeys('s-1', PEM('s-1'), 'cert', T)
        expect(await base.secrets.encrypted()).toBe(false)
        await expect(base.secrets.unlock(T)).rejects.toBeInstanceOf(SecretKeyError)
        await expect(other.secrets.unlock(T)).rejects.toBeInstanceOf(SecretKeyError)
        expect(await base.secrets.encrypted()).toBe(false)
        expect(await keyed.secrets.unlock(T)).toEqual({ encrypted: true, sealed: 0 })
        expect(await base.secrets.encrypted()).toBe(true)
      } finally {
        await Promise.all([other.close(), keyed.close(), base.close()])
      }
    })

    test('two instances unlocking at once seal each key once', async () => {
      const { open, close } = await clearStore(['c-1', 'c-2', 'c-3'])
      try {
        const [one, two] = [await open(KEY), await open(KEY)]
        const results = await Promise.all([one.secrets.unlock(T), two.secrets.unlock(T)])
        expect(results.map((r) => r.sealed).sort()).toEqual([0, 3])
        for (const id of ['c-1', 'c-2', 'c-3']) {
          const row = await two.integrations.get(id)
          expect(await one.integrations.spPrivateKey(row as NonNullable<typeof row>)).toBe(PEM(id))
        }
      } finally {
        await close()
      }
    })

    test('two instances with different keys on a clear store: one unlocks, the other is refused', async () => {
      const { open, close } = await clearStore([])
      try {
        const [one, two] = [await open(KEY), await open(OTHER_KEY)]
        const results = await Promise.allSettled([one.secrets.unlock(T), two.secrets.unlock(T)])
        const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
        expect(refused).toHaveLength(1)
        expect(refused[0]?.reason).toBeInstanceOf(SecretKeyError)
      } finally {
        await close()
      }
    })

    if (engine.name === 'postgres') {
      describe('forced interleavings (PostgreSQL)', () => {
        /** Holds `instance`'s unlock open in a transaction until the returned function is called. */
        async function holdUnlock(instance: Store) {
          const unlocked = gate()
          const release = gate()
          const held = instance.transaction(async (tx) => {
            const result = await tx.secrets.unlock(T)
            unlocked.open()
            await release.opened
            return result
          })
          await unlocked.opened
          return { held, finish: release.open }
        }
        const sqlOf = (s: Store) => {
          if (s.engine.kind !== 'postgres') throw new Error('postgres only')
          return s.engine.sql
        }

        test('an unlock waiting for another instance’s reads the keys it sealed, sealing none', async () => {
          const { base, open, close } = await clearStore(['f-1', 'f-2'])
          try {
            const { held, finish } = await holdUnlock(await open(KEY))
            const second = (await open(KEY)).secrets.unlock(T)
            await lockWaiters(sqlOf(base), 1)
            finish()
            expect(await held).toEqual({ encrypted: true, sealed: 2 })
            expect(await second).toEqual({ encrypted: true, sealed: 0 })
            const row = await base.integrations.get('f-1')
            expect(
              KEY.open(row?.sp_private_key as string, {
                purpose: 'integrations.sp_private_key',
                orgId: 'f-1',
              }),
            ).toBe(PEM('f-1'))
          } finally {
            await close()
          }
        })

        test('an unlock with another key waiting for the first one’s key check is refused', async () => {
          const { base, open, close } = await clearStore([])
          try {
            const { held, finish } = await holdUnlock(await open(KEY))
            // Handled at once: its refusal may come before `held` is awaited, and must not go unhandled.
            const second = (await open(OTHER_KEY)).secrets.unlock(T).then(
              () => null,
              (error: unknown) => error,
            )
            await lockWaiters(sqlOf(base), 1)
            finish()
            expect(await held).toEqual({ encrypted: true, sealed: 0 })
            expect(((await second) as Error).message).toBe(
              'SECRET_KEY is not the key this store was encrypted with',
            )
          } finally {
            await close()
          }
        })
      })
    }
  })
})
