/**
 * The Group operations. Members live in `scim_memberships`, never in the stored JSON: every write
 * turns its member list or member operations into per-(group, user) deltas applied inside one
 * transaction, each with its own `directory_changes` entry. Concurrent PATCHes on one group
 * therefore cannot lose members: each one adds or removes rows instead of rewriting a list.
 * Unknown member ids are skipped (Okta does not retry a 400, so failing would drop the rest) and
 * recorded in the audit log.
 *
 * A request's member operations are first folded in memory into one net change, so a PATCH costs
 * the same few statements whether it holds one operation or a thousand: at most one read of the
 * current members (only when an operation needs them), one lookup of the ids to add, one DELETE,
 * one INSERT and their feed entries.
 *
 * The feed entries are written last, sent together: on PostgreSQL the first one locks the org's
 * feed counter until the commit, and every other writer of the org waits for it meanwhile.
 */
import type { Repositories } from '../store/index.ts'
import type { MemberRow, ScimGroupRow } from '../store/scim.ts'
import { checkIfMatch, type ListParams, listResult, type ScimContext, type ScimResult } from './context.ts'
import { badRequest, invalidValue, notFound, uniqueness } from './errors.ts'
import { matchesElement } from './filter.ts'
import { type GroupInput, RESOURCE_LIMITS, validatePatch } from './model.ts'
import { JsonPatcher, type MemberChange, memberChange, parseOperations } from './patch.ts'
import {
  etag,
  GROUP_NAMES,
  groupColumns,
  groupResource,
  type Json,
  normalizeGroup,
  type Projection,
  project,
  readGroup,
  resourceId,
  storedResource,
  wants,
} from './resources.ts'

async function render(ctx: ScimContext, row: ScimGroupRow, p: Projection | null): Promise<Json> {
  const members = !p || wants(p, 'members') ? await ctx.store.directory.members(row.id) : undefined
  const resource = groupResource(row, members, ctx.base)
  return p ? project(resource, p) : resource
}

/** `db`: the root store, or the repositories of the transaction the caller runs in. */
async function found(ctx: ScimContext, db: Repositories, id: string): Promise<ScimGroupRow> {
  const row = await db.directory.groupById(ctx.orgId, id)
  if (!row) throw notFound(`no group with id "${id}"`)
  return row
}

const taken = (displayName: string) => uniqueness(`a group with displayName "${displayName}" already exists`)

function countMembers(changes: MemberChange[], limit: number): void {
  let total = 0
  let filters = 0
  for (const change of changes) {
    if ('ids' in change) total += change.ids.length
    if (change.kind === 'removeWhere') filters++
  }
  if (total > limit) {
    throw invalidValue(
      `the request names ${total} members; at most ${limit} per request are accepted, send them in chunks`,
    )
  }
  if (filters > RESOURCE_LIMITS.memberFilters) {
    // RFC 7644 §3.12: tooMany also covers a PATCH path filter the server will not evaluate.
    throw badRequest(
      'tooMany',
      `the request has ${filters} member filters that name no ids; at most ${RESOURCE_LIMITS.memberFilters} are accepted (use members[value eq "…"] or a value list)`,
    )
  }
}

interface MemberOutcome {
  changed: number
  skipped: string[]
  /** The memberships that changed, in the request's order, for their feed entries. */
  removed: string[]
  added: string[]
}

interface MemberPlan {
  add: string[]
  remove: string[]
  skipped: string[]
}

const displayOf = (row: MemberRow) => row.display_name ?? row.user_name

/**
 * The net effect of `changes` applied in order, computed in memory. Only id-based adds and
 * removes need no read of the group: the last operation on an id decides. Otherwise the current
 * members are read once and the operations replayed over a Set.
 */
async function planMembers(
  ctx: ScimContext,
  tx: Repositories,
  groupId: string,
  changes: MemberChange[],
): Promise<MemberPlan> {
  const directory = tx.directory
  const toAdd = [...new Set(changes.flatMap((c) => (c.kind === 'add' || c.kind === 'replace' ? c.ids : [])))]
  const known = new Map<string, MemberRow>()
  if (toAdd.length > 0) for (const row of await directory.usersByIds(ctx.orgId, toAdd)) known.set(row.id, row)
  const skipped = toAdd.filter((id) => !known.has(id))
  const needsCurrent = changes.some((c) => c.kind !== 'add' && c.kind !== 'remove')

  if (!needsCurrent) {
    const last = new Map<string, boolean>()
    for (const change of changes) {
      if (change.kind === 'add') for (const id of change.ids) if (known.has(id)) last.set(id, true)
      if (change.kind === 'remove') for (const id of change.ids) last.set(id, false)
    }
    const add: string[] = []
    const remove: string[] = []
    for (const [id, member] of last) (member ? add : remove).push(id)
    return { add, remove, skipped }
  }

  const byFilter = changes.some((c) => c.kind === 'removeWhere')
  const rows = byFilter ? await directory.members(groupId) : []
  const current = byFilter ? rows.map((row) => row.id) : await directory.memberIds(groupId)
  for (const row of rows) known.set(row.id, row)
  const final = new Set(current)
  for (const change of changes) {
    switch (change.kind) {
      case 'add':
        for (const id of change.ids) if (known.has(id)) final.add(id)
        break
      case 'remove':
        for (const id of change.ids) final.delete(id)
        break
      case 'removeAll':
        final.clear()
        break
      case 'removeWhere':
        for (const id of final) {
          const row = known.get(id)
          const display = row ? displayOf(row) : undefined
          if (matchesElement(change.filter, { value: id, display })) final.delete(id)
        }
        break
      case 'replace':
        final.clear()
        for (const id of change.ids) if (known.has(id)) final.add(id)
        break
    }
  }
  const before = new Set(current)
  return {
    add: [...final].filter((id) => !before.has(id)),
    remove: current.filter((id) => !final.has(id)),
    skipped,
  }
}

/**
 * Applies member changes as one net delta; `appendFeed` then writes one feed entry per (group,
 * user) that changed.
 */
async function applyMembers(
  ctx: ScimContext,
  tx: Repositories,
  groupId: string,
  changes: MemberChange[],
): Promise<MemberOutcome> {
  const directory = tx.directory
  const plan = await planMembers(ctx, tx, groupId, changes)
  let removed: string[] = []
  let added: string[] = []
  if (plan.remove.length > 0) {
    const gone = await directory.removeMembers(groupId, plan.remove)
    removed = plan.remove.filter((id) => gone.has(id))
  }
  if (plan.add.length > 0) {
    const fresh = await directory.addMembers(ctx.orgId, groupId, plan.add)
    added = plan.add.filter((id) => fresh.has(id))
  }
  const changed = removed.length + added.length
  const outcome: MemberOutcome = { changed, skipped: plan.skipped, removed, added }
  if (outcome.skipped.length > 0) {
    await tx.audit.record(
      {
        orgId: ctx.orgId,
        kind: 'scim',
        action: 'group.member_skipped',
        outcome: 'skipped',
        actor: 'scim',
        subject: groupId,
        reason: `${outcome.skipped.length} member id(s) name no user of this organization`,
        data: { groupId, userIds: outcome.skipped.slice(0, 100), count: outcome.skipped.length },
      },
      ctx.now,
    )
  }
  return outcome
}

interface FeedEntries {
  removed: string[]
  added: string[]
  /** A `group upsert` entry: first for a new group (before its members), else after them. */
  group: 'first' | 'last' | null
}

/**
 * The feed entries of one group write, last in its transaction and sent together (the engine runs
 * them in the order sent): the group's creation, membership removals, additions, the group's change.
 */
function appendFeed(
  ctx: ScimContext,
  tx: Repositories,
  groupId: string,
  feed: FeedEntries,
): Promise<unknown> {
  const directory = tx.directory
  const group = () => directory.appendChange(ctx.orgId, 'group', 'upsert', groupId, null, ctx.now)
  return Promise.all([
    feed.group === 'first' ? group() : undefined,
    directory.appendChanges(ctx.orgId, 'membership', 'remove', groupId, feed.removed, ctx.now),
    directory.appendChanges(ctx.orgId, 'membership', 'add', groupId, feed.added, ctx.now),
    feed.group === 'last' ? group() : undefined,
  ])
}

function membersOf(input: GroupInput): string[] {
  return (input.members ?? []).map((member) => member.value)
}

export async function createGroup(ctx: ScimContext, body: unknown): Promise<ScimResult> {
  const input = readGroup(body)
  const resource = normalizeGroup(input as Json)
  const columns = groupColumns(resource)
  const members = membersOf(input)
  countMembers([{ kind: 'add', ids: members }], ctx.limits.maxMembersPerRequest)
  const row = await ctx.store.transaction(async (tx) => {
    const inserted: ScimGroupRow = {
      id: resourceId(),
      org_id: ctx.orgId,
      ...columns,
      resource: JSON.stringify(resource),
      version: 1,
      created_at: ctx.now,
      updated_at: ctx.now,
    }
    if (!(await tx.directory.insertGroup(inserted))) throw taken(columns.display_name)
    const outcome =
      members.length > 0 ? await applyMembers(ctx, tx, inserted.id, [{ kind: 'add', ids: members }]) : null
    await appendFeed(ctx, tx, inserted.id, { removed: [], added: outcome?.added ?? [], group: 'first' })
    return inserted
  })
  return {
    status: 201,
    body: await render(ctx, row, null),
    etag: etag(row.version),
    location: `${ctx.base}/Groups/${row.id}`,
  }
}

export async function getGroup(ctx: ScimContext, id: string, p: Projection): Promise<ScimResult> {
  const row = await found(ctx, ctx.store, id)
  return { status: 200, body: await render(ctx, row, p), etag: etag(row.version) }
}

export async function listGroups(ctx: ScimContext, params: ListParams): Promise<ScimResult> {
  // The store compiles the filter for its engine (and refuses what cannot be filtered: 400).
  const page = await ctx.store.directory.listGroups(ctx.orgId, params.filter, params.offset, params.count)
  return listResult(params, page, (row) => render(ctx, row, params.projection))
}

/**
 * Saves the group row when its JSON changed (then a `group` `upsert` feed entry follows the member
 * entries) or when only its members changed (new version and ETag, the membership entries already
 * describe the change), and writes the feed entries.
 */
async function save(
  ctx: ScimContext,
  tx: Repositories,
  current: ScimGroupRow,
  resource: Json,
  members: MemberOutcome,
): Promise<ScimGroupRow> {
  const serialized = JSON.stringify(resource)
  const changed = serialized !== current.resource
  if (!changed && members.changed === 0) return current
  const next: ScimGroupRow = {
    ...current,
    ...groupColumns(resource),
    resource: serialized,
    version: current.version + 1,
    updated_at: Math.max(ctx.now, current.updated_at),
  }
  if (!(await tx.directory.updateGroup(next))) throw taken(next.display_name)
  await appendFeed(ctx, tx, current.id, { ...members, group: changed ? 'last' : null })
  return next
}

export async function replaceGroup(
  ctx: ScimContext,
  id: string,
  body: unknown,
  ifMatch: string | null,
): Promise<ScimResult> {
  const input = readGroup(body)
  const resource = normalizeGroup(input as Json)
  // PUT replaces the whole group, members included (Okta sends the full list).
  const changes: MemberChange[] = [{ kind: 'replace', ids: membersOf(input) }]
  countMembers(changes, ctx.limits.maxMembersPerRequest)
  const row = await ctx.store.transaction(async (tx) => {
    const current = await found(ctx, tx, id)
    checkIfMatch(ifMatch, current.version)
    const outcome = await applyMembers(ctx, tx, id, changes)
    return save(ctx, tx, current, resource, outcome)
  })
  return { status: 200, body: await render(ctx, row, null), etag: etag(row.version) }
}

export async function patchGroup(
  ctx: ScimContext,
  id: string,
  body: unknown,
  ifMatch: string | null,
  p: Projection | null,
): Promise<ScimResult> {
  const request = validatePatch(body)
  const row = await ctx.store.transaction(async (tx) => {
    const current = await found(ctx, tx, id)
    checkIfMatch(ifMatch, current.version)
    const resource = storedResource(current.resource, 'group')
    const extensions = Object.keys(resource).filter((key) => key.startsWith('urn:'))
    const changes: MemberChange[] = []
    const patcher = new JsonPatcher(resource, GROUP_NAMES, extensions, (op, path, value) => {
      changes.push(memberChange(op, path, value))
    })
    for (const operation of parseOperations(request, extensions)) patcher.apply(operation)
    countMembers(changes, ctx.limits.maxMembersPerRequest)
    const next = normalizeGroup(readGroup(patcher.resource) as Json)
    const outcome = await applyMembers(ctx, tx, id, changes)
    return save(ctx, tx, current, next, outcome)
  })
  // Okta and Entra ID expect 204 from a group PATCH; the full group (possibly thousands of members)
  // is sent only when the client asks for it with `attributes`/`excludedAttributes`.
  if (!p) return { status: 204, etag: etag(row.version) }
  return { status: 200, body: await render(ctx, row, p), etag: etag(row.version) }
}

export async function deleteGroup(ctx: ScimContext, id: string, ifMatch: string | null): Promise<ScimResult> {
  await ctx.store.transaction(async (tx) => {
    const current = await found(ctx, tx, id)
    checkIfMatch(ifMatch, current.version)
    const directory = tx.directory
    const members = await directory.memberIds(id)
    await directory.deleteGroup(ctx.orgId, id)
    // The feed last, sent together (see the module comment): every removal, then the deletion.
    await Promise.all([
      directory.appendChanges(ctx.orgId, 'membership', 'remove', id, members, ctx.now),
      directory.appendChange(ctx.orgId, 'group', 'delete', id, null, ctx.now),
    ])
  })
  return { status: 204 }
}
