/**
 * The scheduler's state contract, on both engines: the per-org sync row (checkpoint, reconcile and
 * removal progress) with its defaults and transitions, the feed as the scheduler reads it (pending
 * count and oldest change, pages after a cursor), the work list with 0/1 flags in org order, and the
 * announced-groups mirror with its keyset pages by group id, byte by byte. Feed numbers are per org
 * on PostgreSQL and global on SQLite, so the tests use them only as cursors and for their order.
 * Two instances ensuring the same org's row at once leave one row and both get it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Store } from '../../../src/store/index.ts'
import type { SyncStateRow } from '../../../src/store/sync.ts'
import { gate, lockWaiters } from '../../support/postgres.ts'
import { bytewise, TRICKY_IDS } from './directory-support.ts'
import { eachEngine } from './engines.ts'
import { integrationRow, orgRow } from './org-state-support.ts'

const T = 1_700_000_000_000

const fresh = (orgId: string, at: number): SyncStateRow => ({
  org_id: orgId,
  applied_seq: 0,
  reconcile_running: 0,
  reconcile_cursor: null,
  reconcile_processed: 0,
  reconcile_total: 0,
  reconcile_started_at: null,
  reconcile_finished_at: null,
  last_full_reconcile_at: null,
  removal_running: 0,
  removal_deleted: 0,
  removal_total: 0,
  last_error: null,
  updated_at: at,
})

eachEngine((engine) => {
  let store: Store
  beforeAll(async () => {
    store = await engine.open()
    for (const id of ['org-a', 'org-b']) await store.orgs.insert(orgRow(id))
  }, 30_000)
  afterAll(() => store.close())

  /** Appends `n` user upserts to the org's feed at times `at`, `at + 1`, …; answers their numbers. */
  async function append(orgId: string, n: number, at: number): Promise<number[]> {
    const before = await store.syncState.changesAfter(orgId, 0, 100_000)
    for (let i = 0; i < n; i++)
      await store.directory.appendChange(orgId, 'user', 'upsert', `u-${i}`, null, at + i)
    const after = await store.syncState.changesAfter(orgId, 0, 100_000)
    return after.slice(before.length).map((row) => row.seq)
  }

  test('ensure creates the row with its defaults once; get is null before', async () => {
    expect(await store.syncState.get('org-a')).toBeNull()
    const row = await store.syncState.ensure('org-a', T)
    expect(Object.keys(row).sort()).toEqual(Object.keys(fresh('org-a', T)).sort())
    expect(row).toEqual(fresh('org-a', T))
    expect(await store.syncState.ensure('org-a', T + 5)).toEqual(fresh('org-a', T))
    expect(await store.syncState.get('org-a')).toEqual(fresh('org-a', T))
    expect(await store.syncState.get('org-b')).toBeNull()
  })

  test('the feed after a cursor: pending count and oldest time, pages in order, per org', async () => {
    expect(await store.syncState.pending('org-b', 0)).toEqual({ count: 0, oldestAt: null })
    const seqs = await append('org-b', 5, T)
    await append('org-a', 2, T + 100)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    expect(await store.syncState.pending('org-b', 0)).toEqual({ count: 5, oldestAt: T })
    expect(await store.syncState.pending('org-b', seqs[1] as number)).toEqual({ count: 3, oldestAt: T + 2 })
    expect(await store.syncState.pending('org-b', seqs[4] as number)).toEqual({ count: 0, oldestAt: null })

    const page = await store.syncState.changesAfter('org-b', seqs[0] as number, 2)
    expect(page).toEqual([
      {
        seq: seqs[1] as number,
        org_id: 'org-b',
        kind: 'user',
        op: 'upsert',
        resource_id: 'u-1',
        related_id: null,
        at: T + 1,
      },
      {
        seq: seqs[2] as number,
        org_id: 'org-b',
        kind: 'user',
        op: 'upsert',
        resource_id: 'u-2',
        related_id: null,
        at: T + 2,
      },
    ])
    expect(Object.keys(page[0] as object).sort()).toEqual(
      ['at', 'kind', 'op', 'org_id', 'related_id', 'resource_id', 'seq'].sort(),
    )
    expect(await store.syncState.changesAfter('org-b', seqs[4] as number, 10)).toEqual([])
    expect((await store.syncState.changesAfter('org-a', 0, 10)).map((row) => row.org_id)).toEqual([
      'org-a',
      'org-a',
    ])
  })

  test('the oldest unapplied change of an org, from its own checkpoint (SCIM intake pacing)', async () => {
    await store.orgs.insert(orgRow('org-lag'))
    expect(await store.syncState.oldestPendingAt('org-lag')).toBeNull()
    // No sync_state row yet: everything in the feed is unapplied.
    const seqs = await append('org-lag', 3, T + 50)
    await append('org-a', 1, T)
    expect(await store.syncState.oldestPendingAt('org-lag')).toBe(T + 50)
    await store.syncState.ensure('org-lag', T)
    await store.syncState.advance('org-lag', seqs[0] as number, T + 60)
    expect(await store.syncState.oldestPendingAt('org-lag')).toBe(T + 51)
    await store.syncState.advance('org-lag', seqs[2] as number, T + 61)
    expect(await store.syncState.oldestPendingAt('org-lag')).toBeNull()
  })

  test('checkpoint, error, reconcile and removal move as the scheduler drives them', async () => {
    await store.orgs.insert(orgRow('org-flow'))
    await store.syncState.ensure('org-flow', T)
    await store.syncState.advance('org-flow', 7, T + 1)
    await store.syncState.setError('org-flow', 'boom', T + 2)
    expect(await store.syncState.get('org-flow')).toEqual({
      ...fresh('org-flow', T + 2),
      applied_seq: 7,
      last_error: 'boom',
    })
    await store.syncState.setError('org-flow', null, T + 3)
    await store.syncState.startReconcile('org-flow', 40, T + 4)
    await store.syncState.reconcileProgress('org-flow', 'users:u-9', 10, 41, T + 5)
    expect(await store.syncState.get('org-flow')).toMatchObject({
      reconcile_running: 1,
      reconcile_cursor: 'users:u-9',
      reconcile_processed: 10,
      reconcile_total: 41,
      reconcile_started_at: T + 4,
      reconcile_finished_at: null,
      last_error: null,
      updated_at: T + 5,
    })
    await store.syncState.finishReconcile('org-flow', 39, T + 6)
    expect(await store.syncState.get('org-flow')).toMatchObject({
      reconcile_running: 0,
      reconcile_cursor: null,
      reconcile_processed: 39,
      reconcile_total: 39,
      reconcile_finished_at: T + 6,
      last_full_reconcile_at: T + 6,
    })

    await store.syncState.startReconcile('org-flow', 5, T + 7)
    await store.syncState.startRemoval('org-flow', 120)
    await store.syncState.removalProgress('org-flow', 60, T + 8)
    expect(await store.syncState.get('org-flow')).toMatchObject({
      removal_running: 1,
      removal_deleted: 60,
      removal_total: 120,
    })
    // The checkpoint never moves back: the larger of the two wins, on both sides.
    await store.syncState.finishRemoval('org-flow', 3, T + 9)
    expect(await store.syncState.get('org-flow')).toEqual({
      ...fresh('org-flow', T + 9),
      applied_seq: 7,
      reconcile_total: 5,
      reconcile_started_at: T + 7,
      reconcile_finished_at: null,
      removal_deleted: 60,
      removal_total: 120,
    })
    await store.syncState.finishRemoval('org-flow', 12, T + 10)
    expect((await store.syncState.get('org-flow'))?.applied_seq).toBe(12)
  })

  test('startRemoval creates the row it needs; updates of an org without one change nothing', async () => {
    await store.syncState.startRemoval('org-b', 9)
    expect(await store.syncState.get('org-b')).toMatchObject({
      removal_running: 1,
      removal_deleted: 0,
      removal_total: 9,
    })
    await store.syncState.advance('org-none', 5, T)
    await store.syncState.finishRemoval('org-none', 5, T)
    expect(await store.syncState.get('org-none')).toBeNull()
    const states = (await store.syncState.all()).map((row) => row.org_id).sort()
    expect(states).toEqual(['org-a', 'org-b', 'org-flow', 'org-lag'])
  })

  test('the work list: every org in creation order with 0/1 flags', async () => {
    const other = await engine.open()
    try {
      for (const [i, id] of ['w-late', ...TRICKY_IDS.slice(0, 4)].entries()) {
        await other.orgs.insert(orgRow(id, { created_at: i === 0 ? T + 1 : T }))
      }
      await other.integrations.insert(integrationRow('w-late'))
      await other.integrations.insert(integrationRow('a_1'))
      await other.directory.appendChange('a_1', 'group', 'delete', 'g-1', null, T)
      await other.syncState.ensure('A_1', T)
      await other.syncState.startRemoval('A_1', 3)
      await other.syncState.ensure('a_1', T)
      await other.syncState.finishReconcile('a_1', 0, T - 10)
      const work = await other.syncState.work(T - 10)
      expect(work).toEqual([
        ...bytewise(TRICKY_IDS.slice(0, 4)).map((org_id) => ({
          org_id,
          pending: org_id === 'a_1' ? 1 : 0,
          removal_running: org_id === 'A_1' ? 1 : 0,
          reconcile_running: 0,
          reconcile_due: org_id === 'a_1' ? 1 : 0,
        })),
        { org_id: 'w-late', pending: 0, removal_running: 0, reconcile_running: 0, reconcile_due: 1 },
      ])
      // Reconciled after the cut: not due; a running reconcile is never due again.
      expect((await other.syncState.work(T - 11)).find((w) => w.org_id === 'a_1')?.reconcile_due).toBe(0)
      await other.syncState.ensure('w-late', T)
      await other.syncState.startReconcile('w-late', 1, T)
      expect((await other.syncState.work(T)).find((w) => w.org_id === 'w-late')).toMatchObject({
        reconcile_running: 1,
        reconcile_due: 0,
      })
      const [seq] = (await other.syncState.changesAfter('a_1', 0, 1)).map((row) => row.seq)
      await other.syncState.advance('a_1', seq as number, T)
      expect((await other.syncState.work(T)).find((w) => w.org_id === 'a_1')?.pending).toBe(0)
    } finally {
      await other.close()
    }
  })

  test('the group mirror: put, rename, pages by id byte by byte, count, clear, per org', async () => {
    expect(await store.syncMirror.group('org-a', 'g-1')).toBeNull()
    await store.syncMirror.putGroup('org-a', 'g-1', 'Ärzte Team', T)
    expect(await store.syncMirror.group('org-a', 'g-1')).toEqual({
      org_id: 'org-a',
      group_id: 'g-1',
      display_name: 'Ärzte Team',
      display_name_lower: 'ärzte team',
      applied_at: T,
    })
    await store.syncMirror.putGroup('org-a', 'g-1', 'Doctors', T + 1)
    expect(await store.syncMirror.group('org-a', 'g-1')).toMatchObject({
      display_name_lower: 'doctors',
      applied_at: T + 1,
    })
    expect(await store.syncMirror.group('org-b', 'g-1')).toBeNull()
    await store.syncMirror.removeGroup('org-a', 'g-1')
    expect(await store.syncMirror.group('org-a', 'g-1')).toBeNull()

    for (const id of TRICKY_IDS) await store.syncMirror.putGroup('org-a', id, `name ${id}`, T)
    await store.syncMirror.putGroup('org-b', 'b-only', 'B', T)
    const walked: string[] = []
    let after = ''
    for (;;) {
      const page = await store.syncMirror.groupsPage('org-a', after, 4)
      walked.push(...page.map((row) => row.group_id))
      if (page.length < 4) break
      after = page.at(-1)?.group_id as string
    }
    expect(walked).toEqual(bytewise(TRICKY_IDS))
    expect(await store.syncMirror.countGroups('org-a')).toBe(TRICKY_IDS.length)
    expect(await store.syncMirror.clearGroups('org-a')).toBe(TRICKY_IDS.length)
    expect(await store.syncMirror.clearGroups('org-a')).toBe(0)
    expect(await store.syncMirror.countGroups('org-a')).toBe(0)
    expect(await store.syncMirror.countGroups('org-b')).toBe(1)
  })

  test('concurrent ensures of one org leave one row and every caller gets it', async () => {
    await store.orgs.insert(orgRow('org-race'))
    const rows = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        i % 2
          ? store.syncState.ensure('org-race', T + i)
          : store.transaction((tx) => tx.syncState.ensure('org-race', T + i)),
      ),
    )
    expect(new Set(rows.map((row) => row.updated_at)).size).toBe(1)
    expect((await store.syncState.all()).filter((row) => row.org_id === 'org-race')).toHaveLength(1)
  })

  if (engine.name === 'postgres') {
    describe('forced interleavings (PostgreSQL)', () => {
      test('an ensure waiting on another instance’s uncommitted one answers the committed row', async () => {
        const twin = await engine.openTwin(store)
        try {
          await store.orgs.insert(orgRow('org-held'))
          const ensured = gate()
          const release = gate()
          const held = store.transaction(async (tx) => {
            await tx.syncState.ensure('org-held', T)
            await tx.syncState.advance('org-held', 4, T + 1)
            ensured.open()
            await release.opened
          })
          await ensured.opened
          const second = twin.syncState.ensure('org-held', T + 50)
          if (store.engine.kind !== 'postgres') throw new Error('postgres only')
          await lockWaiters(store.engine.sql, 1)
          release.open()
          await held
          expect(await second).toEqual({ ...fresh('org-held', T + 1), applied_seq: 4 })
        } finally {
          await twin.close()
        }
      })
    })
  }
})
