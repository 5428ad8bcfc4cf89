/**
 * SCIM intake pacing (src/scim/intake.ts) on the real store: a write of an org whose feed is behind
 * waits until the scheduler's checkpoint passes the old changes, or until its longest wait; an org
 * in sync (or another org) is admitted at once. The clock is the test's, shifted so the changes the
 * store stamps now read as seconds old.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { feedIntake } from '../../src/scim/intake.ts'
import { openDatabase } from '../../src/store/database.ts'
import { createStore, type Store } from '../../src/store/index.ts'
import { orgRow } from '../store/contract/org-state-support.ts'

let store: Store
beforeAll(async () => {
  store = createStore(openDatabase({ path: ':memory:' }))
  for (const id of ['org-behind', 'org-in-sync']) await store.orgs.insert(orgRow(id))
})
afterAll(() => store.close())

const SECONDS_AHEAD = 3
const clock = () => Date.now() + SECONDS_AHEAD * 1000

describe('SCIM intake pacing', () => {
  test('an org in sync is admitted at once', async () => {
    const intake = feedIntake(store, { maxLagSeconds: 1, maxWaitMs: 5_000, pollMs: 5, now: clock })
    expect(await intake.admit('org-in-sync')).toBe(0)
  })

  test("a write waits while its org's feed is behind and goes ahead once the scheduler caught up", async () => {
    const at = Date.now()
    for (let i = 0; i < 3; i++)
      await store.directory.appendChange('org-behind', 'user', 'upsert', `u-${i}`, null, at)
    const [last] = (await store.syncState.changesAfter('org-behind', 0, 10)).slice(-1)
    const intake = feedIntake(store, { maxLagSeconds: 1, maxWaitMs: 60_000, pollMs: 5, now: clock })
    let admitted = false
    const admit = intake.admit('org-behind').then((waited) => {
      admitted = true
      return waited
    })
    // Another org is not held up by this one.
    expect(await intake.admit('org-in-sync')).toBe(0)
    // Still waiting after several polls.
    for (let i = 0; i < 5; i++) await Bun.sleep(10)
    expect(admitted).toBe(false)
    await store.syncState.ensure('org-behind', at)
    await store.syncState.advance('org-behind', last?.seq as number, at)
    expect(await admit).toBeGreaterThan(0)
    expect(admitted).toBe(true)
    expect(await intake.admit('org-behind')).toBe(0)
  })

  test('a write waits at most maxWaitMs, then goes ahead', async () => {
    await store.orgs.insert(orgRow('org-stuck'))
    await store.directory.appendChange('org-stuck', 'user', 'upsert', 'u-1', null, Date.now())
    const intake = feedIntake(store, { maxLagSeconds: 1, maxWaitMs: 30, pollMs: 5, now: clock })
    expect(await intake.admit('org-stuck')).toBeGreaterThanOrEqual(30)
  })
})
