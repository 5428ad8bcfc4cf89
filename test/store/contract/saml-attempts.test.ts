/**
 * The sign-in attempts contract (`store.samlAttempts`) and the checker's read-only SAML reads, on
 * both engines: an attempt reads back exactly as written, only in its org; lists go newest first by
 * (at, id), filtered by outcome, paged by an exclusive (at, id) keyset that splits ties on `at` by
 * id, byte by byte; retention deletes at most `limit` rows older than the cut, oldest first, of
 * every org; the replay cache and outstanding requests can be read without being written.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { Store } from '../../../src/store/index.ts'
import type { SamlAttemptRow } from '../../../src/store/saml-attempts.ts'
import { eachEngine } from './engines.ts'
import { orgRow } from './org-state-support.ts'

const T = 1_700_000_000_000
const ORG = 'org-a'
const OTHER = 'org-b'

function attempt(id: string, orgId: string, at: number, extra: Partial<SamlAttemptRow> = {}): SamlAttemptRow {
  return {
    id,
    org_id: orgId,
    at,
    outcome: 'rejected',
    reason: 'audience_mismatch',
    flow: 'idp_initiated',
    issuer: 'http://www.okta.com/exk1',
    name_id: 'ada@example.com',
    audience: 'https://wrong.example',
    destination: 'https://sso.example/orgs/a/okta/auth',
    in_response_to: null,
    signed: 1,
    attributes: JSON.stringify({ email: ['ada@example.com'] }),
    client_address: '203.0.113.5',
    steps: JSON.stringify([{ step: 'audience', ok: false, detail: 'no' }]),
    ...extra,
  }
}

eachEngine((engine) => {
  let store: Store
  beforeAll(async () => {
    store = await engine.open()
    for (const org of [ORG, OTHER]) await store.orgs.insert(orgRow(org))
  }, 30_000)
  afterAll(async () => {
    await store.close()
  })

  test('an attempt reads back exactly as written, only in its org', async () => {
    const row = attempt('AAAA-0000-0001', ORG, T, {
      outcome: 'accepted',
      reason: null,
      in_response_to: '_req1',
      flow: 'sp_initiated',
      signed: 0,
      name_id: 'Ünïcode <x>@example.com',
    })
    await store.transaction((tx) => tx.samlAttempts.insert(row))
    expect(await store.samlAttempts.byId(ORG, row.id)).toEqual(row)
    expect(await store.samlAttempts.byId(OTHER, row.id)).toBeNull()
    expect(await store.samlAttempts.byId(ORG, 'AAAA-0000-0009')).toBeNull()
  })

  test('newest first, by outcome, keyset on (at, id) with ties split by id byte by byte', async () => {
    const rows = [
      attempt('B-1', ORG, T + 10),
      attempt('B-2', ORG, T + 20, { outcome: 'accepted', reason: null }),
      attempt('B-a', ORG, T + 20),
      attempt('B-Z', ORG, T + 20, { outcome: 'rate_limited', reason: 'rate_limited' }),
      attempt('B-3', ORG, T + 30),
      attempt('B-9', OTHER, T + 25),
    ]
    for (const row of rows) await store.samlAttempts.insert(row)
    const all = await store.samlAttempts.list(ORG, { limit: 100 })
    expect(all.map((r) => r.id)).toEqual(['B-3', 'B-a', 'B-Z', 'B-2', 'B-1', 'AAAA-0000-0001'])
    const pages: string[] = []
    let before: { at: number; id: string } | undefined
    for (;;) {
      const page = await store.samlAttempts.list(ORG, { before, limit: 2 })
      pages.push(...page.map((r) => r.id))
      const last = page.at(-1)
      if (page.length < 2 || !last) break
      before = { at: last.at, id: last.id }
    }
    expect(pages).toEqual(all.map((r) => r.id))
    expect(
      (await store.samlAttempts.list(ORG, { outcome: 'rejected', limit: 100 })).map((r) => r.id),
    ).toEqual(['B-3', 'B-a', 'B-1'])
    expect(
      (
        await store.samlAttempts.list(ORG, {
          outcome: 'rejected',
          before: { at: T + 20, id: 'B-a' },
          limit: 100,
        })
      ).map((r) => r.id),
    ).toEqual(['B-1'])
    expect((await store.samlAttempts.list(OTHER, { limit: 100 })).map((r) => r.id)).toEqual(['B-9'])
  })

  test('retention deletes at most `limit` rows older than the cut, oldest first, of every org', async () => {
    const cut = T + 26
    expect(await store.samlAttempts.prune(cut, 3)).toBe(3)
    expect((await store.samlAttempts.list(ORG, { limit: 100 })).map((r) => r.id)).toEqual([
      'B-3',
      'B-a',
      'B-Z',
    ])
    expect(await store.samlAttempts.prune(cut, 100)).toBe(3)
    expect((await store.samlAttempts.list(ORG, { limit: 100 })).map((r) => r.id)).toEqual(['B-3'])
    expect(await store.samlAttempts.list(OTHER, { limit: 100 })).toEqual([])
    expect(await store.samlAttempts.prune(cut, 100)).toBe(0)
  })

  test('the checker reads the replay cache and outstanding requests without writing them', async () => {
    expect(await store.saml.isRemembered(ORG, '_a1', T)).toBe(false)
    expect(await store.saml.rememberAssertion(ORG, '_a1', T + 100, T)).toBe(true)
    expect(await store.saml.isRemembered(ORG, '_a1', T)).toBe(true)
    expect(await store.saml.isRemembered(OTHER, '_a1', T)).toBe(false)
    expect(await store.saml.isRemembered(ORG, '_a1', T + 100)).toBe(false)
    await store.saml.insertRequest({
      org_id: ORG,
      request_id: '_r1',
      browser_hash: 'b1',
      next_path: null,
      expires_at: T + 100,
      purpose: 'account',
    })
    expect(await store.saml.requestOutstanding(ORG, '_r1', T)).toBe(true)
    expect(await store.saml.requestOutstanding(ORG, '_r1', T)).toBe(true)
    expect(await store.saml.requestOutstanding(OTHER, '_r1', T)).toBe(false)
    expect(await store.saml.requestOutstanding(ORG, '_r1', T + 100)).toBe(false)
    expect(await store.saml.takeRequest(ORG, '_r1', 'b1', T)).toMatchObject({ request_id: '_r1' })
    expect(await store.saml.requestOutstanding(ORG, '_r1', T)).toBe(false)
  })
})
