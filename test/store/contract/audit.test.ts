/**
 * The audit log contract, on both engines: an entry reads back as the same plain row (numbers for
 * ids and times, null for what was not given, the data as JSON text), pages go newest first with an
 * exclusive id cursor, optionally of one kind, and never show another org's entries. Retention
 * deletes at most a batch of the oldest rows, older than the cut (ties in id order), and answers how
 * many went. On PostgreSQL two instances pruning at once take different batches.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { AuditEntry, AuditRow } from '../../../src/store/audit.ts'
import type { Store } from '../../../src/store/index.ts'
import { gate } from '../../support/postgres.ts'
import { eachEngine } from './engines.ts'

const T = 1_700_000_000_000

const entry = (orgId: string, action: string, extra: Partial<AuditEntry> = {}): AuditEntry => ({
  orgId,
  kind: 'admin',
  action,
  outcome: 'success',
  ...extra,
})

/** Every entry of the org, newest first, walked page by page with the id cursor. */
async function walk(store: Store, orgId: string, kind: AuditEntry['kind'] | undefined, limit: number) {
  const seen: AuditRow[] = []
  let before: number | undefined
  for (;;) {
    const page = await store.audit.list(orgId, { kind, before, limit })
    expect(page.length).toBeLessThanOrEqual(limit)
    seen.push(...page)
    if (page.length < limit) return seen
    before = page.at(-1)?.id
  }
}

eachEngine((engine) => {
  let store: Store
  beforeAll(async () => {
    store = await engine.open()
  }, 30_000)
  afterAll(() => store.close())

  test('an entry reads back as a plain row; what was not given is null, data is JSON text', async () => {
    await store.audit.record(entry('org-row', 'admin.signed_in'), T)
    await store.audit.record(
      entry('org-row', 'scim.user_created', {
        kind: 'scim',
        outcome: 'failure',
        actor: 'okta',
        subject: 'user-1',
        reason: 'userName taken',
        data: { userName: 'ann', n: 2 },
      }),
      T + 1,
    )
    const [newest, oldest] = await store.audit.list('org-row', { limit: 10 })
    expect(oldest).toBeDefined()
    expect(Object.keys(oldest as AuditRow).sort()).toEqual(
      ['action', 'actor', 'at', 'data', 'id', 'kind', 'org_id', 'outcome', 'reason', 'subject'].sort(),
    )
    expect(oldest).toEqual({
      id: expect.any(Number),
      org_id: 'org-row',
      at: T,
      kind: 'admin',
      action: 'admin.signed_in',
      outcome: 'success',
      actor: null,
      subject: null,
      reason: null,
      data: '{}',
    })
    expect(newest).toEqual({
      id: expect.any(Number),
      org_id: 'org-row',
      at: T + 1,
      kind: 'scim',
      action: 'scim.user_created',
      outcome: 'failure',
      actor: 'okta',
      subject: 'user-1',
      reason: 'userName taken',
      data: '{"userName":"ann","n":2}',
    })
    expect((newest as AuditRow).id).toBeGreaterThan((oldest as AuditRow).id)
  })

  test('pages go newest first with an exclusive cursor, per kind, and only ever show the org', async () => {
    const kinds = ['scim', 'saml', 'admin', 'sync'] as const
    for (let i = 0; i < 23; i++) {
      await store.audit.record(entry('org-pages', `action-${i}`, { kind: kinds[i % 4] }), T + i)
      if (i % 5 === 0)
        await store.audit.record(entry('org-other', `other-${i}`, { kind: kinds[i % 4] }), T + i)
    }
    const all = await walk(store, 'org-pages', undefined, 5)
    expect(all.map((row) => row.action)).toEqual(Array.from({ length: 23 }, (_, i) => `action-${22 - i}`))
    expect(all.every((row) => row.org_id === 'org-pages')).toBe(true)

    const saml = await walk(store, 'org-pages', 'saml', 2)
    expect(saml.map((row) => row.action)).toEqual([
      'action-21',
      'action-17',
      'action-13',
      'action-9',
      'action-5',
      'action-1',
    ])

    const first = all[0] as AuditRow
    expect(await store.audit.list('org-pages', { before: first.id, limit: 1 })).toEqual([all[1] as AuditRow])
    expect(await store.audit.list('org-pages', { before: (all.at(-1) as AuditRow).id, limit: 5 })).toEqual([])
    expect(await store.audit.list('org-none', { limit: 5 })).toEqual([])
    expect((await walk(store, 'org-other', undefined, 100)).map((row) => row.action)).toEqual([
      'other-20',
      'other-15',
      'other-10',
      'other-5',
      'other-0',
    ])
  })

  test('entries recorded by concurrent transactions all land, each with its own id', async () => {
    await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        i % 2 === 0
          ? store.audit.record(entry('org-concurrent', `c-${i}`), T)
          : store.transaction((tx) => tx.audit.record(entry('org-concurrent', `c-${i}`), T)),
      ),
    )
    const rows = await walk(store, 'org-concurrent', undefined, 7)
    expect(rows.map((row) => row.action).sort()).toEqual(
      Array.from({ length: 24 }, (_, i) => `c-${i}`).sort(),
    )
    expect(new Set(rows.map((row) => row.id)).size).toBe(24)
  })

  test('retention deletes at most a batch of the oldest rows before the cut, ties in id order', async () => {
    const fresh = await engine.open()
    try {
      // Written newest time first, so id order and time order disagree: only `at` (then id) decides.
      const times = [T + 30, T + 10, T + 10, T + 20, T + 10, T + 40]
      for (const [i, at] of times.entries()) {
        await fresh.audit.record(entry(i % 2 ? 'org-a' : 'org-b', `r-${i}`), at)
      }
      const actions = async () => {
        const rows = [
          ...(await walk(fresh, 'org-a', undefined, 50)),
          ...(await walk(fresh, 'org-b', undefined, 50)),
        ]
        return rows.map((row) => row.action).sort()
      }
      expect(await fresh.audit.prune(T + 10, 10)).toBe(0)
      expect(await fresh.audit.prune(T + 40, 2)).toBe(2)
      expect(await actions()).toEqual(['r-0', 'r-3', 'r-4', 'r-5'])
      expect(await fresh.audit.prune(T + 40, 2)).toBe(2)
      expect(await actions()).toEqual(['r-0', 'r-5'])
      expect(await fresh.audit.prune(T + 40, 2)).toBe(1)
      expect(await actions()).toEqual(['r-5'])
      expect(await fresh.audit.prune(T + 40, 2)).toBe(0)
    } finally {
      await fresh.close()
    }
  })

  if (engine.name === 'postgres') {
    describe('forced interleavings (PostgreSQL)', () => {
      test('two instances pruning at once take different batches, and neither waits', async () => {
        const fresh = await engine.open()
        const twin = await engine.openTwin(fresh)
        try {
          for (let i = 0; i < 10; i++) await fresh.audit.record(entry('org-prune', `p-${i}`), T + i)
          const pruned = gate()
          const release = gate()
          const holder = fresh.transaction(async (tx) => {
            const count = await tx.audit.prune(T + 100, 4)
            pruned.open()
            await release.opened
            return count
          })
          await pruned.opened
          // The first batch is locked by the open transaction: the twin takes the next one at once.
          expect(await twin.audit.prune(T + 100, 4)).toBe(4)
          release.open()
          expect(await holder).toBe(4)
          expect((await walk(fresh, 'org-prune', undefined, 50)).map((row) => row.action)).toEqual([
            'p-9',
            'p-8',
          ])
        } finally {
          await twin.close()
          await fresh.close()
        }
      })
    })
  }
})
