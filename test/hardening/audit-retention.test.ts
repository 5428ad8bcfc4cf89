/**
 * Issue 9, audit retention: AUDIT_RETENTION_DAYS (default 90, 0 = forever) and the housekeeping run
 * that deletes older rows in bounded batches, oldest first, never touching newer rows, each batch
 * found through the time index (migration 051) rather than a scan of the log. On the real store.
 */
import { describe, expect, test } from 'bun:test'
import { ConfigError, loadConfig } from '../../src/config/index.ts'
import { DEFAULT_PRUNE_LIMITS, pruneAuditLog, startHousekeeping } from '../../src/housekeeping/index.ts'
import { silentLogger } from '../../src/observability/log.ts'
import { openStore } from '../../src/store/index.ts'

const DAY = 24 * 60 * 60_000
const NOW = Date.UTC(2025, 5, 1)

async function storeWithRows(oldRows: number, newRows: number) {
  const store = openStore(':memory:')
  for (let i = 0; i < oldRows; i++)
    await store.audit.record(
      { orgId: 'o1', kind: 'admin', action: 'old', outcome: 'success' },
      NOW - 100 * DAY + i,
    )
  for (let i = 0; i < newRows; i++)
    await store.audit.record(
      { orgId: 'o1', kind: 'admin', action: 'new', outcome: 'success' },
      NOW - 89 * DAY + i,
    )
  const actions = async () => (await store.audit.list('o1', { limit: 10_000 })).map((row) => row.action)
  return { store, actions }
}

describe('audit retention', () => {
  test('the setting defaults to 90 days; 0 keeps everything; negatives are refused', () => {
    expect(loadConfig(new Map(), {}).auditRetentionDays).toBe(90)
    expect(loadConfig(new Map(), { AUDIT_RETENTION_DAYS: '0' }).auditRetentionDays).toBe(0)
    expect(loadConfig(new Map([['audit-retention-days', '30']]), {}).auditRetentionDays).toBe(30)
    expect(() => loadConfig(new Map(), { AUDIT_RETENTION_DAYS: '-1' })).toThrow(ConfigError)
  })

  test('rows older than the retention go in bounded batches, oldest first; newer rows stay', async () => {
    const { store, actions } = await storeWithRows(25, 7)
    const limits = { batchSize: 10, maxBatches: 2, pauseMs: 0 }
    // One run deletes at most maxBatches × batchSize rows; the next run takes the rest.
    expect(await pruneAuditLog(store, 90, NOW, limits)).toBe(20)
    expect((await actions()).filter((a) => a === 'old')).toHaveLength(5)
    expect(await pruneAuditLog(store, 90, NOW, limits)).toBe(5)
    expect(await pruneAuditLog(store, 90, NOW, limits)).toBe(0)
    expect(await actions()).toEqual(Array(7).fill('new'))
    // A single DELETE never exceeds its batch.
    expect(await store.audit.prune(NOW, 3)).toBe(3)
  })

  test('a batch finds its rows through the time index, not by scanning the log', async () => {
    const { store } = await storeWithRows(1, 1)
    // SQLite's own query plan: only the raw connection can show it.
    const plan = store.engine.db
      .query<{ detail: string }, [number, number]>(
        'EXPLAIN QUERY PLAN SELECT id FROM audit_log WHERE at < ? ORDER BY at LIMIT ?',
      )
      .all(NOW, 10)
      .map((row) => row.detail)
    expect(plan.join(' | ')).toContain('USING COVERING INDEX audit_log_at')
  })

  test('0 days prunes nothing', async () => {
    const { store, actions } = await storeWithRows(3, 1)
    expect(await pruneAuditLog(store, 0, NOW, DEFAULT_PRUNE_LIMITS)).toBe(0)
    expect(await actions()).toHaveLength(4)
  })

  test('a housekeeping run prunes with the configured retention and stops cleanly', async () => {
    const { store, actions } = await storeWithRows(0, 0)
    const longAgo = Date.now() - 400 * DAY
    for (let i = 0; i < 3; i++)
      await store.audit.record({ orgId: 'o1', kind: 'sync', action: 'ancient', outcome: 'success' }, longAgo)
    await store.audit.record({ orgId: 'o1', kind: 'sync', action: 'today', outcome: 'success' })
    const housekeeping = startHousekeeping(
      { store, config: { auditRetentionDays: 365 }, log: silentLogger },
      { firstRunMs: 60_000, intervalMs: 60_000 },
    )
    expect(await housekeeping.runNow()).toBe(3)
    expect(await actions()).toEqual(['today'])
    await housekeeping.stop()
  })
})
