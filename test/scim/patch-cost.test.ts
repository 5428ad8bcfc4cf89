/**
 * What bounds a PATCH's cost (issue 9): a request's member operations become one net change — at
 * most one read of the group, one DELETE and one INSERT however many operations it holds — and
 * multi-valued attributes, operation counts, paths and member filters are capped with a 400 before
 * any quadratic work can start. Counted through the real store's repository functions (the
 * originals still run); no timing is asserted (see bench/scim-patch-cost.ts).
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { createApp, createFetch } from '../../src/http/app.ts'
import type { AppDeps } from '../../src/http/context.ts'
import { silentLogger } from '../../src/observability/log.ts'
import { createMetrics } from '../../src/observability/metrics.ts'
import { RESOURCE_LIMITS } from '../../src/scim/model.ts'
import { openStore, type Repositories, type SqliteStore, type StoreTx } from '../../src/store/index.ts'
import { PUBLIC_URL, type TestApp, testConfig } from '../support/app.ts'
import { changes, expectScimError, type Json, oktaUser, type ScimClient, scimOrg } from './support.ts'

const COUNTED = [
  'members',
  'memberIds',
  'removeMembers',
  'addMembers',
  'existingUserIds',
  'usersByIds',
] as const
type Counted = (typeof COUNTED)[number]
type Counts = Record<Counted, number>
const zero = (): Counts => Object.fromEntries(COUNTED.map((n) => [n, 0])) as Counts

let counts = zero()

/** The directory's member statements, each call counted (the real statements still run). */
function countedDirectory(directory: Repositories['directory']): Repositories['directory'] {
  const wrapped = { ...directory }
  for (const name of COUNTED) {
    const original = directory[name] as (...args: unknown[]) => Promise<unknown>
    Object.assign(wrapped, {
      [name]: (...args: unknown[]) => {
        counts[name]++
        return original(...args)
      },
    })
  }
  return wrapped
}

/** The real store, with the directory counted at the root and inside every transaction. */
function countingStore(real: SqliteStore): SqliteStore {
  return {
    ...real,
    directory: countedDirectory(real.directory),
    transaction: <T>(work: (tx: StoreTx) => Promise<T>) =>
      real.transaction((tx) => work({ ...tx, directory: countedDirectory(tx.directory) })),
  }
}

/** An in-process app like `createTestApp`'s, over the counting store. */
function countingApp(): TestApp {
  const config = testConfig()
  const store = countingStore(openStore(':memory:'))
  const deps: AppDeps = { config, store, log: silentLogger, metrics: createMetrics(), version: 'test' }
  const fetch = createFetch(createApp(deps), deps)
  return {
    deps,
    store,
    config,
    fetch,
    request: (path, init) => fetch(new Request(`${PUBLIC_URL}${path}`, init)),
  }
}

/** Counts calls of the directory's member statements while `work` runs. */
async function counting(work: () => Promise<unknown>): Promise<Counts> {
  counts = zero()
  await work()
  return counts
}

describe('PATCH cost is bounded', () => {
  let scim: ScimClient
  let ids: string[] = []
  let groupId = ''
  let userId = ''

  beforeAll(async () => {
    scim = await scimOrg('cost', countingApp())
    ids = []
    for (let i = 0; i < 300; i++) {
      ids.push((await scim.post('/Users', oktaUser(`u${i}@cost.example`, `U${i}`, 'Cost'))).body.id as string)
    }
    userId = ids[0] as string
    groupId = (await scim.post('/Groups', { displayName: 'Big', members: ids.map((value) => ({ value })) }))
      .body.id as string
  })

  const members = async (id: string) =>
    ((await scim.get(`/Groups/${id}`)).body.members as Json[] | undefined)?.map((m) => m.value as string) ??
    []

  test('1,000 member operations run as one DELETE and one INSERT', async () => {
    const operations = [
      ...ids.slice(0, 200).map((id) => ({ op: 'remove', path: `members[value eq "${id}"]` })),
      ...ids.slice(0, 100).map((id) => ({ op: 'add', path: 'members', value: [{ value: id }] })),
      ...ids.slice(200, 300).map((id) => ({ op: 'remove', path: 'members', value: [{ value: id }] })),
      ...Array.from({ length: 600 }, (_, i) => ({
        op: 'add',
        path: 'members',
        value: [{ value: ids[i % 50] as string }],
      })),
    ]
    expect(operations).toHaveLength(1000)
    const feedBefore = (await changes(scim)).length
    const counts = await counting(async () => {
      const r = await scim.patch(`/Groups/${groupId}`, { Operations: operations })
      expect(r.status).toBe(204)
    })
    expect(counts).toEqual({
      members: 0,
      memberIds: 0,
      removeMembers: 1,
      addMembers: 1,
      existingUserIds: 0,
      usersByIds: 1,
    })
    // Net effect: 0..99 removed then re-added (unchanged), 100..299 removed.
    const now = await members(groupId)
    expect(now.sort()).toEqual(ids.slice(0, 100).sort())
    const feed = (await changes(scim)).slice(feedBefore)
    expect(feed).toHaveLength(200)
    expect(feed.every((c) => c.op === 'remove' && c.kind === 'membership')).toBe(true)
    expect(new Set(feed.map((c) => c.related_id))).toEqual(new Set(ids.slice(100, 300)))
  })

  test('operations that need the current members read them once, and keep their order', async () => {
    const group = (await scim.post('/Groups', { displayName: 'Order', members: [{ value: ids[0] }] })).body
      .id as string
    const counts = await counting(async () => {
      const r = await scim.patch(`/Groups/${group}`, {
        Operations: [
          { op: 'add', path: 'members', value: [{ value: ids[1] }, { value: ids[2] }, { value: 'nobody' }] },
          // Matches ids[1] by display, a user added by this very request.
          { op: 'remove', path: 'members[display eq "U1 Cost"]' },
          { op: 'replace', path: 'members', value: [{ value: ids[2] }, { value: ids[3] }] },
          { op: 'remove', path: 'members[display sw "U3"]' },
          { op: 'add', path: 'members', value: [{ value: ids[4] }] },
          { op: 'remove', path: 'members[display eq "U0 Cost"]' },
        ],
      })
      expect(r.status).toBe(204)
    })
    expect(counts.members + counts.memberIds).toBe(1)
    expect(counts.removeMembers).toBe(1)
    expect(counts.addMembers).toBe(1)
    expect((await members(group)).sort()).toEqual([ids[2], ids[4]].sort() as string[])
    const audit = await scim.app.store.audit.list(scim.orgId, { kind: 'scim', limit: 1000 })
    expect(
      audit.filter((row) => row.action === 'group.member_skipped' && row.subject === group),
    ).toHaveLength(1)
  })

  test(`more than ${RESOURCE_LIMITS.memberFilters} member filters that name no id: 400 tooMany, nothing read`, async () => {
    const counts = await counting(async () => {
      const r = await scim.patch(`/Groups/${groupId}`, {
        Operations: Array.from({ length: 1000 }, (_, i) => ({
          op: 'remove',
          path: `members[display eq "nobody ${i}"]`,
        })),
      })
      expectScimError(r, 400, 'tooMany')
    })
    expect(counts.members + counts.memberIds + counts.removeMembers).toBe(0)
  })

  test('2 × 6,000 emails are refused before any merge; so is a list grown one op at a time', async () => {
    const before = (await scim.get(`/Users/${userId}`)).body
    const big = (k: number) =>
      Array.from({ length: 6000 }, (_, i) => ({ value: `e${k}-${i}@cost.example`, type: 'work' }))
    const r = await scim.patch(`/Users/${userId}`, {
      Operations: [
        { op: 'add', path: 'emails', value: big(0) },
        { op: 'add', path: 'emails', value: big(1) },
      ],
    })
    expectScimError(r, 400, 'invalidValue')
    expect(r.body.detail as string).toContain(String(RESOURCE_LIMITS.multiValued))
    const stepwise = await scim.patch(`/Users/${userId}`, {
      Operations: Array.from({ length: 1000 }, (_, i) => ({
        op: 'add',
        path: 'emails',
        value: [{ value: `step${i}@cost.example` }],
      })),
    })
    expectScimError(stepwise, 400, 'invalidValue')
    const noPath = await scim.patch(`/Users/${userId}`, {
      Operations: [{ op: 'add', value: { emails: big(2).slice(0, 101) } }],
    })
    expectScimError(noPath, 400, 'invalidValue')
    expect((await scim.get(`/Users/${userId}`)).body.meta).toEqual(before.meta)
  })

  test('duplicates within an add are merged, case-insensitively, in linear time', async () => {
    const r = await scim.patch(`/Users/${userId}`, {
      Operations: [
        {
          op: 'add',
          path: 'emails',
          value: [
            { value: 'dup@cost.example', type: 'home' },
            { value: 'DUP@cost.example', type: 'home' },
            { value: 'dup@cost.example', type: 'other' },
          ],
        },
      ],
    })
    expect(r.status).toBe(200)
    const homes = (r.body.emails as Json[]).filter(
      (e) => String(e.value).toLowerCase() === 'dup@cost.example',
    )
    expect(homes.map((e) => e.type).sort()).toEqual(['home', 'other'])
  })

  test('operation count and path length are capped', async () => {
    const tooMany = await scim.patch(`/Users/${userId}`, {
      Operations: Array.from({ length: RESOURCE_LIMITS.operations + 1 }, () => ({
        op: 'replace',
        path: 'title',
        value: 'x',
      })),
    })
    expectScimError(tooMany, 400, 'invalidValue')
    expect(tooMany.body.detail as string).toContain(String(RESOURCE_LIMITS.operations))
    const ors = Array.from({ length: 3000 }, (_, i) => `value eq "${i}"`).join(' or ')
    const longPath = await scim.patch(`/Groups/${groupId}`, {
      Operations: [{ op: 'remove', path: `members[${ors}]` }],
    })
    expectScimError(longPath, 400, 'invalidPath')
    expect(longPath.body.detail as string).toContain('2048')
  })
})
