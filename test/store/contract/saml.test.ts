/**
 * The SAML state contract (`store.saml`), on both engines: the replay cache accepts an assertion ID
 * once per org until it expires (then it may be used again), outstanding AuthnRequests are consumed
 * once, only by the browser that started them and only before they expire, so are the LogoutRequests
 * we sent (once, per org, before they expire), `prune` removes what
 * expired in every org, the SP key pair is cleared for one org, and an account's groups come from
 * its org's directory. Two instances on one database handling the same assertion, or the ACS of the
 * same AuthnRequest, at once: exactly one succeeds (what lets an SP-initiated sign-in start on one
 * instance and finish on another without opening a replay window). On PostgreSQL, as the ACS does it
 * (prune, remember, take the request, in one transaction): a second instance waits for the first's
 * commit and is refused, or accepts the assertion when the first rolled back.
 */
import { describe, expect, test } from 'bun:test'
import type { Store } from '../../../src/store/index.ts'
import type { SamlRequestRow } from '../../../src/store/saml.ts'
import { gate, lockWaiters } from '../../support/postgres.ts'
import { groupRow, userRow } from './directory-support.ts'
import { eachEngine, openStores } from './engines.ts'
import { accountRow, integrationRow, orgRow } from './org-state-support.ts'

const NOW = 1_700_000_000_000
const LATER = NOW + 5 * 60_000
const ORG = 'org-s'
const OTHER = 'org-t'

const request = (orgId: string, requestId: string, extra: Partial<SamlRequestRow> = {}): SamlRequestRow => ({
  org_id: orgId,
  request_id: requestId,
  browser_hash: `browser-of-${requestId}`,
  next_path: '/app',
  expires_at: LATER,
  purpose: 'account',
  ...extra,
})

/** `count` attempts at once, alternating between the two instances; answers how many succeeded. */
async function atOnce<T>(stores: [Store, Store], count: number, attempt: (store: Store) => Promise<T>) {
  return Promise.all(Array.from({ length: count }, (_, i) => attempt(stores[i % 2] as Store)))
}

eachEngine((engine) => {
  let store: Store
  let twin: Store
  openStores(engine, async (opened, openedTwin) => {
    ;[store, twin] = [opened, openedTwin]
    for (const id of [ORG, OTHER]) {
      await store.orgs.insert(orgRow(id))
      await store.integrations.insert(integrationRow(id, { sp_private_key: 'key', sp_certificate: 'cert' }))
    }
  })

  test('an assertion ID is accepted once per org while it lives, on every instance', async () => {
    expect(await store.saml.rememberAssertion(ORG, '_a1', LATER, NOW)).toBe(true)
    expect(await store.saml.rememberAssertion(ORG, '_a1', LATER, NOW + 1)).toBe(false)
    expect(await twin.saml.rememberAssertion(ORG, '_a1', LATER + 60_000, LATER - 1)).toBe(false)
    // The same ID from another org's IdP is another assertion.
    expect(await twin.saml.rememberAssertion(OTHER, '_a1', LATER, NOW)).toBe(true)
    expect(await store.saml.rememberAssertion(OTHER, '_a1', LATER, NOW)).toBe(false)
  })

  test('an expired entry is taken over from its expiry instant on, and then lives again', async () => {
    expect(await store.saml.rememberAssertion(ORG, '_a2', LATER, NOW)).toBe(true)
    expect(await twin.saml.rememberAssertion(ORG, '_a2', LATER + 60_000, LATER)).toBe(true)
    expect(await store.saml.rememberAssertion(ORG, '_a2', LATER + 60_000, LATER + 1)).toBe(false)
  })

  test('one assertion posted to both instances many times at once is accepted exactly once', async () => {
    const answers = await atOnce([store, twin], 20, (s) => s.saml.rememberAssertion(ORG, '_race', LATER, NOW))
    expect(answers.filter(Boolean).length).toBe(1)
  })

  test('an expired entry replayed on both instances at once is taken over exactly once', async () => {
    await store.saml.rememberAssertion(ORG, '_race-expired', NOW, NOW - 1)
    const answers = await atOnce([store, twin], 20, (s) =>
      s.saml.rememberAssertion(ORG, '_race-expired', LATER, NOW),
    )
    expect(answers.filter(Boolean).length).toBe(1)
  })

  test('an AuthnRequest is consumed once, by its browser, in its org, before it expires', async () => {
    const row = request(ORG, '_r1')
    await store.saml.insertRequest(row)
    expect(await twin.saml.takeRequest(ORG, '_r1', 'another-browser', NOW)).toBeNull()
    expect(await twin.saml.takeRequest(OTHER, '_r1', row.browser_hash, NOW)).toBeNull()
    expect(await twin.saml.takeRequest(ORG, '_r1', row.browser_hash, NOW)).toEqual(row)
    expect(await store.saml.takeRequest(ORG, '_r1', row.browser_hash, NOW)).toBeNull()

    await store.saml.insertRequest(request(ORG, '_r2', { next_path: null }))
    expect(await store.saml.takeRequest(ORG, '_r2', 'browser-of-_r2', LATER)).toBeNull()
    expect(await store.saml.takeRequest(ORG, '_r2', 'browser-of-_r2', LATER - 1)).toEqual(
      request(ORG, '_r2', { next_path: null }),
    )
  })

  test('the same request id in two orgs is two requests', async () => {
    await store.saml.insertRequest(request(ORG, '_r3'))
    await store.saml.insertRequest(request(OTHER, '_r3', { next_path: '/other' }))
    expect((await twin.saml.takeRequest(OTHER, '_r3', 'browser-of-_r3', NOW))?.next_path).toBe('/other')
    expect((await twin.saml.takeRequest(ORG, '_r3', 'browser-of-_r3', NOW))?.next_path).toBe('/app')
  })

  test('one AuthnRequest answered on both instances many times at once is consumed exactly once', async () => {
    await store.saml.insertRequest(request(ORG, '_race-r'))
    const answers = await atOnce([store, twin], 20, (s) =>
      s.saml.takeRequest(ORG, '_race-r', 'browser-of-_race-r', NOW),
    )
    expect(answers.filter((row) => row !== null)).toEqual([request(ORG, '_race-r')])
  })

  test('a request consumed in a transaction that rolls back is still outstanding', async () => {
    await store.saml.insertRequest(request(ORG, '_r4'))
    await expect(
      store.transaction(async (tx) => {
        expect(await tx.saml.takeRequest(ORG, '_r4', 'browser-of-_r4', NOW)).not.toBeNull()
        expect(await tx.saml.rememberAssertion(ORG, '_a4', LATER, NOW)).toBe(true)
        throw new Error('signature check failed later')
      }),
    ).rejects.toThrow('signature check failed later')
    expect(await twin.saml.rememberAssertion(ORG, '_a4', LATER, NOW)).toBe(true)
    expect(await twin.saml.takeRequest(ORG, '_r4', 'browser-of-_r4', NOW)).not.toBeNull()
  })

  test('prune removes expired replay entries and requests of every org, and counts them', async () => {
    const pruned = await engine.open()
    try {
      for (const id of [ORG, OTHER]) await pruned.orgs.insert(orgRow(id))
      await pruned.saml.rememberAssertion(ORG, '_old', NOW - 1, NOW - 10)
      await pruned.saml.rememberAssertion(OTHER, '_old', NOW, NOW - 10)
      await pruned.saml.rememberAssertion(ORG, '_live', NOW + 1, NOW - 10)
      await pruned.saml.insertRequest(request(OTHER, '_old-r', { expires_at: NOW }))
      await pruned.saml.insertRequest(request(ORG, '_live-r', { expires_at: NOW + 1 }))
      expect(await pruned.saml.prune(NOW)).toBe(3)
      expect(await pruned.saml.prune(NOW)).toBe(0)
      // What was pruned may be used again; what lives is still refused and still outstanding.
      expect(await pruned.saml.rememberAssertion(ORG, '_old', LATER, NOW)).toBe(true)
      expect(await pruned.saml.rememberAssertion(ORG, '_live', LATER, NOW)).toBe(false)
      expect(await pruned.saml.takeRequest(OTHER, '_old-r', 'browser-of-_old-r', NOW - 1)).toBeNull()
      expect(await pruned.saml.takeRequest(ORG, '_live-r', 'browser-of-_live-r', NOW)).not.toBeNull()
    } finally {
      await pruned.close()
    }
  })

  test('a LogoutRequest we sent is answered once, in its org, before it expires; prune takes expired ones', async () => {
    const sent = { org_id: ORG, request_id: '_lo1', subject_id: 'acc-1', expires_at: LATER }
    await store.saml.insertLogoutRequest(sent)
    await store.saml.insertLogoutRequest({ ...sent, org_id: OTHER, subject_id: null })
    expect(await twin.saml.takeLogoutRequest(ORG, '_lo1', LATER)).toBeNull()
    const answers = await atOnce([store, twin], 10, (s) => s.saml.takeLogoutRequest(ORG, '_lo1', NOW))
    expect(answers.filter((row) => row !== null)).toEqual([sent])
    expect(await twin.saml.takeLogoutRequest(OTHER, '_lo1', NOW)).toEqual({
      ...sent,
      org_id: OTHER,
      subject_id: null,
    })
    const pruned = await engine.open()
    try {
      await pruned.saml.insertLogoutRequest({ ...sent, expires_at: NOW })
      await pruned.saml.insertLogoutRequest({ ...sent, request_id: '_lo2', expires_at: NOW + 1 })
      expect(await pruned.saml.prune(NOW)).toBe(1)
      expect(await pruned.saml.takeLogoutRequest(ORG, '_lo2', NOW)).not.toBeNull()
    } finally {
      await pruned.close()
    }
  })

  test('clearSpKeys clears the key pair of one org only', async () => {
    await store.saml.clearSpKeys(ORG, NOW)
    const cleared = await twin.integrations.get(ORG)
    expect([cleared?.sp_private_key, cleared?.sp_certificate, cleared?.updated_at]).toEqual([null, null, NOW])
    const kept = await twin.integrations.get(OTHER)
    expect([kept?.sp_certificate, kept?.updated_at]).toEqual(['cert', 1_000])
  })

  test("an account's groups are its SCIM user's groups in its org, by name, case-insensitively", async () => {
    const user = userRow(ORG, 'su-1', 'ann@example.com')
    await store.directory.insertUser(user)
    for (const [id, name] of [
      ['g-1', 'beta'],
      ['g-2', 'Alpha'],
      ['g-3', 'gamma'],
    ] as const) {
      await store.directory.insertGroup(groupRow(ORG, id, name))
    }
    await store.directory.addMembers(ORG, 'g-1', ['su-1'])
    await store.directory.addMembers(ORG, 'g-2', ['su-1'])
    await store.accounts.insert(accountRow(ORG, 'acc-1', { scim_user_id: 'su-1' }))
    await store.accounts.insert(accountRow(ORG, 'acc-local'))
    expect(await twin.saml.groupsOf(ORG, 'acc-1')).toEqual(['Alpha', 'beta'])
    expect(await twin.saml.groupsOf(ORG, 'acc-local')).toEqual([])
    expect(await twin.saml.groupsOf(OTHER, 'acc-1')).toEqual([])
  })

  if (engine.name === 'postgres') {
    describe('the ACS transaction of two instances at once (PostgreSQL)', () => {
      const sqlOf = (s: Store) => {
        if (s.engine.kind !== 'postgres') throw new Error('postgres only')
        return s.engine.sql
      }
      /** What the ACS does in its transaction; `hold` keeps it open after the checks. */
      const acs = (instance: Store, assertionId: string, requestId: string, hold?: () => Promise<void>) =>
        instance.transaction(async (tx) => {
          await tx.saml.prune(NOW)
          if (!(await tx.saml.rememberAssertion(ORG, assertionId, LATER, NOW))) return 'replayed'
          const pending = await tx.saml.takeRequest(ORG, requestId, `browser-of-${requestId}`, NOW)
          await hold?.()
          return pending ? 'signed in' : 'unknown request'
        })

      test('the second waits for the first to commit, then is refused as a replay', async () => {
        await store.saml.insertRequest(request(ORG, '_acs-r'))
        const checked = gate()
        const release = gate()
        const first = acs(store, '_acs-a', '_acs-r', async () => {
          checked.open()
          await release.opened
        })
        await checked.opened
        const second = acs(twin, '_acs-a', '_acs-r')
        await lockWaiters(sqlOf(store), 1)
        release.open()
        expect(await first).toBe('signed in')
        expect(await second).toBe('replayed')
      })

      test('when the first rolls back, the second signs in with the same request', async () => {
        await store.saml.insertRequest(request(ORG, '_acs-r2'))
        const checked = gate()
        const release = gate()
        const first = acs(store, '_acs-a2', '_acs-r2', async () => {
          checked.open()
          await release.opened
          throw new Error('account provisioning failed')
        })
        await checked.opened
        const second = acs(twin, '_acs-a2', '_acs-r2')
        await lockWaiters(sqlOf(store), 1)
        release.open()
        await expect(first).rejects.toThrow('account provisioning failed')
        expect(await second).toBe('signed in')
      })
    })
  }
})
