/**
 * The change feed tells the directory's story in causal order, whichever way the scheduler's
 * batches interleave with SCIM writes: the full reconcile must never announce a resource ahead of
 * the feed changes that describe it (it would put `group.created` before the `account.created` of
 * the user SCIM created first). These tests drive the batch functions directly on a real store, so
 * each interleaving is forced instead of hoped for.
 */
import { describe, expect, test } from 'bun:test'
import type { EventRow } from '../../src/store/events.ts'
import type { Store } from '../../src/store/index.ts'
import { applyFeedBatch } from '../../src/sync/feed.ts'
import { reconcileBatch, startFullReconcile } from '../../src/sync/reconcile.ts'
import { api, syncTestbed } from './setup.ts'

const SCIM = 'application/scim+json'
const LEASE = { holder: 'causal-test', leaseMs: 60_000 }
type App = Awaited<ReturnType<typeof syncTestbed>>['app']

async function scim(app: App, token: string, method: string, path: string, body?: unknown) {
  const response = await app.request(`/orgs/acme/okta/scim${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': SCIM, accept: SCIM },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  expect(response.status).toBeLessThan(300)
  return response.status === 204 ? { id: '' } : ((await response.json()) as { id: string })
}

const user = (userName: string) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  userName,
  name: { givenName: 'Given', familyName: userName },
  emails: [{ primary: true, value: userName, type: 'work' }],
  active: true,
})
const group = (displayName: string, members: string[]) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
  displayName,
  members: members.map((value) => ({ value })),
})
const patch = (...Operations: unknown[]) => ({
  schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
  Operations,
})

const feed = (store: Store, orgId: string, limit = 500) => applyFeedBatch(store, orgId, { ...LEASE, limit })
const reconcile = (store: Store, orgId: string, limit = 500) =>
  reconcileBatch(store, orgId, { ...LEASE, limit, budgetMs: 10_000 })

/**
 * What causal order means for a reader of the feed: an account or group is created before any
 * other event names it and deleted after every one; a membership event never comes before the
 * `account.created` of the user it names; membership events keep the order of their changes.
 */
function expectCausalOrder(events: EventRow[]): void {
  const created = new Map<string, number>()
  const deleted = new Map<string, number>()
  const accountOfScimUser = new Map<string, string>()
  let lastMembershipSeq = 0
  events.forEach((event, index) => {
    const data = JSON.parse(event.data) as { scimUserId?: string }
    const subjects = [event.account_id, event.group_id].filter((id): id is string => id !== null)
    if (event.type === 'account.created' || event.type === 'group.created') {
      const subject = subjects[0] as string
      expect({ event: event.type, subject, seenBefore: created.has(subject) }).toMatchObject({
        seenBefore: false,
      })
      created.set(subject, index)
      if (event.account_id && data.scimUserId) accountOfScimUser.set(data.scimUserId, event.account_id)
    }
    for (const subject of subjects) {
      expect({ event: event.type, subject, afterDeletion: deleted.has(subject) }).toMatchObject({
        afterDeletion: false,
      })
      if (!created.has(subject) && event.type !== 'account.merged')
        throw new Error(`${event.type} #${event.id} names ${subject} before its creation event`)
    }
    if (event.type.startsWith('membership.')) {
      // The user it names was created (with an account) first, or has no account at all yet.
      if (data.scimUserId && event.account_id)
        expect(accountOfScimUser.get(data.scimUserId)).toBe(event.account_id)
      expect(event.change_seq ?? 0).toBeGreaterThan(lastMembershipSeq)
      lastMembershipSeq = event.change_seq ?? 0
    }
    if (event.type === 'account.deleted' || event.type === 'group.deleted')
      deleted.set(subjects[0] as string, index)
  })
}

/**
 * The stronger property, for a directory without drift: each creation, deletion and membership
 * event sits where its directory change sits in the feed (a creation at the resource's first
 * change, a deletion at its delete, a membership event at its own change).
 */
async function expectDirectoryOrder(store: Store, orgId: string, events: EventRow[]): Promise<void> {
  const first = new Map<string, number>()
  const removed = new Map<string, number>()
  for (const change of await store.syncState.changesAfter(orgId, 0, 1_000_000)) {
    if (change.kind === 'membership') continue
    if (!first.has(change.resource_id)) first.set(change.resource_id, change.seq)
    if (change.op === 'delete') removed.set(change.resource_id, change.seq)
  }
  const positions: Array<{ type: string; seq: number }> = []
  for (const event of events) {
    const data = JSON.parse(event.data) as { scimUserId?: string }
    let seq: number | undefined
    if (event.change_seq !== null) seq = event.change_seq
    else if (event.type === 'account.created' && data.scimUserId) seq = first.get(data.scimUserId)
    else if (event.type === 'group.created' && event.group_id) seq = first.get(event.group_id)
    else if (event.type === 'group.deleted' && event.group_id) seq = removed.get(event.group_id)
    if (seq !== undefined) positions.push({ type: event.type, seq })
  }
  const sorted = [...positions].sort((a, b) => a.seq - b.seq)
  expect(positions).toEqual(sorted)
}

describe('causal order of the change feed', () => {
  test('a full reconcile running ahead of the feed does not announce the group before the user', async () => {
    // The journey of test/e2e/okta-journey.test.ts, with the interleaving that made it flaky: the
    // feed batch gave way to the group's SCIM write, then the reconcile (started by the role
    // mapping) walked the directory before the feed had applied the user's creation.
    const { app, store, acme } = await syncTestbed()
    const orgId = acme.org.id
    const ada = await scim(app, acme.scimToken, 'POST', '/Users', user('ada@acme.example'))
    await api(app, acme.auth, '/api/v1/orgs/acme/role-mappings', {
      method: 'PUT',
      body: { mappings: [{ group: 'Engineering Admins', role: 'admin' }] },
    })
    await scim(app, acme.scimToken, 'POST', '/Groups', group('Engineering Admins', [ada.id]))
    expect((await store.syncState.get(orgId))?.reconcile_running).toBe(1)

    while (!(await reconcile(store, orgId)).finished) {}
    while ((await feed(store, orgId)).applied > 0) {}

    const events = await store.events.after(orgId, 0, 1000)
    expect(events.map((e) => e.type)).toEqual(['account.created', 'group.created', 'membership.added'])
    // The account takes the role of its groups as the directory has them now.
    expect(JSON.parse(events[0]?.data ?? '{}').role).toBe('admin')
    expectCausalOrder(events)
    expect((await store.accounts.byScimUser(orgId, ada.id))?.role).toBe('admin')
    // Nothing was lost by leaving those resources to the feed: a second reconcile repairs nothing.
    await store.transaction((tx) => startFullReconcile(tx, orgId))
    while (!(await reconcile(store, orgId)).finished) {}
    expect(await store.events.after(orgId, 0, 1000)).toHaveLength(3)
  })

  test('any interleaving of SCIM writes, feed batches and reconcile batches keeps causal order', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const { app, store, acme } = await syncTestbed()
      const orgId = acme.org.id
      let state = seed * 2654435761
      const random = (n: number) => {
        // xorshift32: a fixed sequence per seed, so a failure replays exactly.
        state ^= state << 13
        state ^= state >>> 17
        state ^= state << 5
        return (state >>> 0) % n
      }
      // Without drift a reconcile has nothing to announce: every event is the feed's, in order.
      const reconcileAhead = async (limit: number) => {
        const written = (await store.events.after(orgId, 0, 100_000)).length
        await reconcile(store, orgId, limit)
        expect((await store.events.after(orgId, 0, 100_000)).length).toBe(written)
      }
      const users: string[] = []
      const groups: string[] = []
      const call = (method: string, path: string, body?: unknown) =>
        scim(app, acme.scimToken, method, path, body)
      for (let step = 0; step < 60; step++) {
        const roll = random(12)
        const someUser = () => users[random(users.length)] as string
        const someGroup = () => groups[random(groups.length)] as string
        if (roll < 2 || users.length === 0) {
          users.push((await call('POST', '/Users', user(`u${seed}-${step}@acme.example`))).id)
        } else if (roll === 3 || groups.length === 0) {
          const members = users.filter(() => random(3) === 0)
          groups.push((await call('POST', '/Groups', group(`g${seed}-${step}`, members))).id)
        } else if (roll === 4) {
          await call(
            'PATCH',
            `/Groups/${someGroup()}`,
            patch({ op: 'add', path: 'members', value: [{ value: someUser() }] }),
          )
        } else if (roll === 5) {
          const target = someUser()
          await call(
            'PATCH',
            `/Groups/${someGroup()}`,
            patch({ op: 'remove', path: `members[value eq "${target}"]` }),
          )
        } else if (roll === 6) {
          await call(
            'PATCH',
            `/Groups/${someGroup()}`,
            patch({ op: 'replace', value: { displayName: `r${seed}-${step}` } }),
          )
        } else if (roll === 7 && users.length > 2) {
          await call('DELETE', `/Users/${users.splice(random(users.length), 1)[0]}`)
        } else if (roll === 8 && groups.length > 2) {
          await call('DELETE', `/Groups/${groups.splice(random(groups.length), 1)[0]}`)
        } else if (roll === 9 || roll === 2) {
          await store.transaction((tx) => startFullReconcile(tx, orgId))
        } else if (roll === 10) {
          await reconcileAhead(1 + random(4))
        } else {
          await feed(store, orgId, 1 + random(3))
        }
        // The reconcile often runs ahead of the feed, as on the scheduler's thread under load.
        if (random(2) === 0) await reconcileAhead(1 + random(6))
      }
      while ((await store.syncState.get(orgId))?.reconcile_running === 1) await reconcileAhead(500)
      while ((await feed(store, orgId, 1 + random(40))).applied > 0) {}
      const events = await store.events.after(orgId, 0, 100_000)
      expectCausalOrder(events)
      await expectDirectoryOrder(store, orgId, events)
      // The end state is the directory's: an account per user, a group per group.
      for (const id of users) expect(await store.accounts.byScimUser(orgId, id)).not.toBeNull()
      expect(await store.syncMirror.countGroups(orgId)).toBe(groups.length)
    }
  })
})
