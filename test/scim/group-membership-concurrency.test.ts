/**
 * Concurrent PATCHes on one group never lose members: each request applies its own deltas in one
 * transaction, so interleaved requests — in one server, or in two servers sharing one SQLite file —
 * add up exactly, with one feed entry per (group, user) change.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApp, createFetch } from '../../src/http/app.ts'
import type { AppDeps } from '../../src/http/context.ts'
import { silentLogger } from '../../src/observability/log.ts'
import { createMetrics } from '../../src/observability/metrics.ts'
import { openStore } from '../../src/store/index.ts'
import { PUBLIC_URL, seedOrg, type TestApp, testConfig } from '../support/app.ts'
import { setUpIntegration } from '../support/integration.ts'
import { changes, type Json, oktaUser, type ScimClient, scimClient, scimOrg } from './support.ts'

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'

async function createUsers(scim: ScimClient, count: number, prefix: string): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < count; i++)
    ids.push((await scim.post('/Users', oktaUser(`${prefix}${i}@c.example`))).body.id as string)
  return ids
}

const addMembers = (scim: ScimClient, groupId: string, ids: string[]) =>
  scim.patch(`/Groups/${groupId}`, {
    schemas: [PATCH_OP],
    Operations: [{ op: 'add', path: 'members', value: ids.map((value) => ({ value })) }],
  })

const memberIds = async (scim: ScimClient, groupId: string) =>
  ((await scim.get(`/Groups/${groupId}`)).body.members as Json[]).map((m) => m.value as string).sort()

describe('group membership under concurrency', () => {
  const dirs: string[] = []
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  test('40 concurrent PATCH adds of 10 users each: all 400 members, 400 feed entries', async () => {
    const scim = await scimOrg('conc')
    const users = await createUsers(scim, 400, 'u')
    const groupId = (await scim.post('/Groups', { displayName: 'Everyone', members: [] })).body.id as string
    const chunks = Array.from({ length: 40 }, (_, i) => users.slice(i * 10, i * 10 + 10))
    const replies = await Promise.all(chunks.map((chunk) => addMembers(scim, groupId, chunk)))
    expect(replies.every((r) => r.status === 204)).toBe(true)
    expect(await memberIds(scim, groupId)).toEqual([...users].sort())
    const adds = (await changes(scim)).filter((c) => c.kind === 'membership' && c.op === 'add')
    expect(adds).toHaveLength(400)
    expect(new Set(adds.map((c) => c.related_id)).size).toBe(400)
  })

  test('concurrent overlapping adds and removes end in the exact expected set', async () => {
    const scim = await scimOrg('overlap')
    const users = await createUsers(scim, 60, 'o')
    const groupId = (
      await scim.post('/Groups', {
        displayName: 'Mixed',
        members: users.slice(0, 30).map((value) => ({ value })),
      })
    ).body.id as string
    const removals = users.slice(0, 15).map((id) =>
      scim.patch(`/Groups/${groupId}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: 'remove', path: `members[value eq "${id}"]` }],
      }),
    )
    const additions = [users.slice(30, 45), users.slice(45, 60), users.slice(20, 40)].map((chunk) =>
      addMembers(scim, groupId, chunk),
    )
    await Promise.all([...removals, ...additions])
    expect(await memberIds(scim, groupId)).toEqual(users.slice(15).sort())
    const feed = (await changes(scim)).filter((c) => c.kind === 'membership')
    // 30 adds at creation, 15 removes, 30 new adds (20..29 and 30..39 overlap with existing members).
    expect(feed.filter((c) => c.op === 'add')).toHaveLength(60)
    expect(feed.filter((c) => c.op === 'remove')).toHaveLength(15)
  })

  test('two servers on one SQLite file: concurrent adds from both are all kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'okb-scim-conc-'))
    dirs.push(dir)
    const path = join(dir, 'store.sqlite')
    const server = (): TestApp => {
      const config = testConfig({ databaseUrl: path })
      const store = openStore(path)
      const deps: AppDeps = { config, store, log: silentLogger, metrics: createMetrics(), version: 'test' }
      const fetch = createFetch(createApp(deps), deps)
      return {
        deps,
        store,
        config,
        fetch,
        request: (p, init) => fetch(new Request(`${PUBLIC_URL}${p}`, init)),
      }
    }
    const first = server()
    const second = server()
    const { org, auth } = await seedOrg(first.store, 'shared')
    const { scimToken } = await setUpIntegration(first, 'shared', auth)
    const a = await scimClient(first, 'shared', scimToken, org.id)
    const b = await scimClient(second, 'shared', scimToken, org.id)
    const users = await createUsers(a, 100, 's')
    const groupId = (await b.post('/Groups', { displayName: 'Shared' })).body.id as string
    const requests = Array.from({ length: 20 }, (_, i) =>
      addMembers(i % 2 === 0 ? a : b, groupId, users.slice(i * 5, i * 5 + 5)),
    )
    await Promise.all(requests)
    expect(await memberIds(b, groupId)).toEqual([...users].sort())
    await first.store.close()
    await second.store.close()
  })
})
