/**
 * The OAuth contract (`store.oauth`), on both engines: a started "Connect GitHub / Bitbucket" state
 * reads back exactly as written and is taken once only (also when two instances redeem it at once:
 * the callback may land on either), expired states go in housekeeping, and the per-provider identity
 * reads and deletes that connecting needs: a login is found case-insensitively in its org and
 * provider only, and disconnecting removes one provider of one account.
 *
 * A login is connected to one account of an org at most. `finishConnect` checks `identityByLogin`
 * and then links in one transaction; the last tests make two instances do that at once for two
 * accounts and the same login: the second finds it taken (on PostgreSQL, its lookup waits for the
 * first transaction to end; once it commits, the login is taken; once it rolls back, it is free).
 */
import { describe, expect, test } from 'bun:test'
import type { Store } from '../../../src/store/index.ts'
import type { OAuthStateRow } from '../../../src/store/oauth.ts'
import { gate, lockWaiters } from '../../support/postgres.ts'
import { eachEngine, openStores } from './engines.ts'
import { accountRow, linkedRow, orgRow } from './org-state-support.ts'

const NOW = 1_700_000_000_000
const ORG = 'org-o'
const OTHER = 'org-p'

const state = (hash: string, extra: Partial<OAuthStateRow> = {}): OAuthStateRow => ({
  state_hash: hash,
  org_id: ORG,
  account_id: 'acc-1',
  session_hash: `session-of-${hash}`,
  provider: 'github',
  code_verifier: `verifier-${hash}`,
  expires_at: NOW + 600_000,
  ...extra,
})

eachEngine((engine) => {
  let store: Store
  let twin: Store
  openStores(engine, async (opened, openedTwin) => {
    ;[store, twin] = [opened, openedTwin]
    for (const org of [ORG, OTHER]) await store.orgs.insert(orgRow(org))
    for (const id of ['acc-1', 'acc-2', 'acc-3', 'acc-4']) await store.accounts.insert(accountRow(ORG, id))
    await store.accounts.insert(accountRow(OTHER, 'acc-o'))
  })

  test('a state reads back exactly as written when taken, and is taken once only', async () => {
    const row = state('s-1', { provider: 'bitbucket' })
    await store.oauth.insertState(row)
    expect(await twin.oauth.takeState('s-1')).toEqual(row)
    expect(await store.oauth.takeState('s-1')).toBeNull()
    expect(await twin.oauth.takeState('never-started')).toBeNull()
  })

  test('a state taken in a transaction that rolls back can still be redeemed', async () => {
    await store.oauth.insertState(state('s-2'))
    await expect(
      store.transaction(async (tx) => {
        expect(await tx.oauth.takeState('s-2')).not.toBeNull()
        throw new Error('token exchange failed')
      }),
    ).rejects.toThrow('token exchange failed')
    expect((await twin.oauth.takeState('s-2'))?.code_verifier).toBe('verifier-s-2')
  })

  test('one state redeemed on both instances many times at once is taken exactly once', async () => {
    await store.oauth.insertState(state('s-race'))
    const taken = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? store : twin).oauth.takeState('s-race')),
    )
    expect(taken.filter((row) => row !== null)).toEqual([state('s-race')])
  })

  test('expired states go, from their expiry instant on, in every org; live ones stay', async () => {
    const kept = await engine.open()
    try {
      for (const org of [ORG, OTHER]) await kept.orgs.insert(orgRow(org))
      await kept.accounts.insert(accountRow(ORG, 'acc-1'))
      await kept.accounts.insert(accountRow(OTHER, 'acc-o'))
      await kept.oauth.insertState(state('old', { expires_at: NOW - 1 }))
      await kept.oauth.insertState(state('at-now', { org_id: OTHER, account_id: 'acc-o', expires_at: NOW }))
      await kept.oauth.insertState(state('live', { expires_at: NOW + 1 }))
      expect(await kept.oauth.removeExpiredStates(NOW)).toBe(2)
      expect(await kept.oauth.removeExpiredStates(NOW)).toBe(0)
      expect(await kept.oauth.takeState('old')).toBeNull()
      expect((await kept.oauth.takeState('live'))?.expires_at).toBe(NOW + 1)
    } finally {
      await kept.close()
    }
  })

  test("a state goes with its account: a deleted account's connection cannot be finished", async () => {
    await store.oauth.insertState(state('s-gone', { account_id: 'acc-4' }))
    expect(await store.accounts.remove(ORG, 'acc-4')).toBe(1)
    expect(await twin.oauth.takeState('s-gone')).toBeNull()
  })

  test('a login is found case-insensitively, in its org and provider only', async () => {
    const row = linkedRow(ORG, 'li-1', 'acc-1', 'github', { login: 'Octo-Cat' })
    await store.linkedIdentities.insert(row)
    await store.linkedIdentities.insert(linkedRow(ORG, 'li-2', 'acc-1', 'bitbucket', { login: 'octo-cat' }))
    expect(await twin.oauth.identityByLogin(ORG, 'github', 'octo-CAT')).toEqual(row)
    expect((await twin.oauth.identityByLogin(ORG, 'bitbucket', 'OCTO-CAT'))?.id).toBe('li-2')
    expect(await twin.oauth.identityByLogin(OTHER, 'github', 'Octo-Cat')).toBeNull()
    expect(await twin.oauth.identityByLogin(ORG, 'github', 'octo')).toBeNull()
    expect(await twin.oauth.identityByLogin(ORG, 'github', 'Octo_Cat')).toBeNull()
  })

  test('disconnecting removes one provider of one account of one org', async () => {
    await store.linkedIdentities.insert(linkedRow(OTHER, 'li-o', 'acc-o', 'github', { login: 'Octo-Cat' }))
    expect(await twin.oauth.removeIdentity(OTHER, 'acc-1', 'github')).toBe(0)
    expect(await twin.oauth.removeIdentity(ORG, 'acc-1', 'github')).toBe(1)
    expect(await twin.oauth.removeIdentity(ORG, 'acc-1', 'github')).toBe(0)
    expect((await store.linkedIdentities.ofAccount(ORG, 'acc-1')).map((r) => r.provider)).toEqual([
      'bitbucket',
    ])
    expect((await store.oauth.identityByLogin(OTHER, 'github', 'octo-cat'))?.id).toBe('li-o')
  })

  /** What finishConnect does in its transaction: refuse a login taken by someone else, else link. */
  const connect = (instance: Store, accountId: string, login: string, hold?: () => Promise<void>) =>
    instance.transaction(async (tx) => {
      const taken = await tx.oauth.identityByLogin(ORG, 'github', login)
      if (taken && taken.account_id !== accountId) return 'taken'
      await tx.oauth.removeIdentity(ORG, accountId, 'github')
      await tx.linkedIdentities.insert(
        linkedRow(ORG, `li-${accountId}-${login}`, accountId, 'github', { login }),
      )
      await hold?.()
      return 'linked'
    })

  test('two accounts connecting one login on two instances at once: one links, one finds it taken', async () => {
    const outcomes = await Promise.all([
      connect(store, 'acc-2', 'Shared-Login'),
      connect(twin, 'acc-3', 'shared-login'),
    ])
    expect([...outcomes].sort()).toEqual(['linked', 'taken'])
    const winner = outcomes[0] === 'linked' ? 'acc-2' : 'acc-3'
    expect((await store.oauth.identityByLogin(ORG, 'github', 'SHARED-LOGIN'))?.account_id).toBe(winner)
    const holders = await Promise.all(
      ['acc-2', 'acc-3'].map((id) => store.linkedIdentities.ofAccount(ORG, id)),
    )
    expect(holders.flat().length).toBe(1)
  })

  if (engine.name === 'postgres') {
    describe('the connect transactions of two instances interleaved (PostgreSQL)', () => {
      const sqlOf = (s: Store) => {
        if (s.engine.kind !== 'postgres') throw new Error('postgres only')
        return s.engine.sql
      }
      const interleaved = async (login: string, firstEnds: 'commits' | 'rolls back') => {
        const linked = gate()
        const release = gate()
        const first = connect(store, 'acc-2', login, async () => {
          linked.open()
          await release.opened
          if (firstEnds === 'rolls back') throw new Error('audit failed')
        })
        await linked.opened
        const second = connect(twin, 'acc-3', login.toLowerCase())
        await lockWaiters(sqlOf(store), 1)
        release.open()
        const outcomes = await Promise.allSettled([first, second])
        return outcomes.map((o) => (o.status === 'fulfilled' ? o.value : 'failed'))
      }

      test('a login linked in a transaction not yet committed is found taken once it commits', async () => {
        expect(await interleaved('Race-Login', 'commits')).toEqual(['linked', 'taken'])
        expect((await store.oauth.identityByLogin(ORG, 'github', 'race-login'))?.account_id).toBe('acc-2')
      })

      test('a login linked in a transaction that rolls back is free for the next', async () => {
        expect(await interleaved('Free-Login', 'rolls back')).toEqual(['failed', 'linked'])
        expect((await store.oauth.identityByLogin(ORG, 'github', 'free-login'))?.account_id).toBe('acc-3')
      })
    })
  }
})
