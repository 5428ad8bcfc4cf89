/**
 * The User operations: create, read, list, replace (Okta custom apps send every change as PUT),
 * patch (catalog apps, Entra ID) and delete (Entra ID; Okta deactivates instead). Each write is one
 * transaction holding the row change and its `directory_changes` entry, so the sync scheduler never
 * sees one without the other.
 */
import type { Repositories } from '../store/index.ts'
import type { ScimUserRow } from '../store/scim.ts'
import { checkIfMatch, type ListParams, listResult, type ScimContext, type ScimResult } from './context.ts'
import { notFound, uniqueness } from './errors.ts'
import { ENTERPRISE_SCHEMA, validatePatch } from './model.ts'
import { JsonPatcher, parseOperations } from './patch.ts'
import {
  etag,
  type Json,
  type Projection,
  project,
  readUser,
  resourceId,
  storedResource,
  USER_NAMES,
  userColumns,
  userResource,
  wants,
} from './resources.ts'

async function render(ctx: ScimContext, row: ScimUserRow, p: Projection | null): Promise<Json> {
  const groups = !p || wants(p, 'groups') ? await ctx.store.directory.groupsOfUser(row.id) : undefined
  const resource = userResource(row, groups, ctx.base)
  return p ? project(resource, p) : resource
}

/** `db`: the root store, or the repositories of the transaction the caller runs in. */
async function found(ctx: ScimContext, db: Repositories, id: string): Promise<ScimUserRow> {
  const row = await db.directory.userById(ctx.orgId, id)
  if (!row) throw notFound(`no user with id "${id}"`)
  return row
}

async function ensureUniqueUserName(
  ctx: ScimContext,
  db: Repositories,
  userNameLower: string,
  userName: string,
  self?: string,
): Promise<void> {
  const holder = await db.directory.userIdByUserName(ctx.orgId, userNameLower)
  if (holder && holder !== self) throw userNameTaken(userName)
}

const userNameTaken = (userName: string) => uniqueness(`a user with userName "${userName}" already exists`)

export async function createUser(ctx: ScimContext, body: unknown): Promise<ScimResult> {
  const resource = readUser(body)
  const columns = userColumns(resource)
  const row: ScimUserRow = {
    id: resourceId(),
    org_id: ctx.orgId,
    ...columns,
    resource: JSON.stringify(resource),
    version: 1,
    created_at: ctx.now,
    updated_at: ctx.now,
  }
  // One atomic store operation: the row and its feed entry. The unique index decides whether the
  // userName is free, also against another instance (PostgreSQL) inserting it at the same moment.
  if (!(await ctx.store.directory.createUser(row))) throw userNameTaken(columns.user_name)
  // A new user belongs to no group yet: no need to ask the store.
  const body201 = userResource(row, [], ctx.base)
  return { status: 201, body: body201, etag: etag(row.version), location: `${ctx.base}/Users/${row.id}` }
}

export async function getUser(ctx: ScimContext, id: string, p: Projection): Promise<ScimResult> {
  const row = await found(ctx, ctx.store, id)
  return { status: 200, body: await render(ctx, row, p), etag: etag(row.version) }
}

export async function listUsers(ctx: ScimContext, params: ListParams): Promise<ScimResult> {
  // The store compiles the filter for its engine (and refuses what cannot be filtered: 400).
  const page = await ctx.store.directory.listUsers(ctx.orgId, params.filter, params.offset, params.count)
  return listResult(params, page, (row) => render(ctx, row, params.projection))
}

/** Writes a changed user (version + 1) with its feed entry; unchanged content writes nothing. */
async function store(
  ctx: ScimContext,
  tx: Repositories,
  current: ScimUserRow,
  resource: Json,
): Promise<ScimUserRow> {
  const serialized = JSON.stringify(resource)
  if (serialized === current.resource) return current
  const columns = userColumns(resource)
  await ensureUniqueUserName(ctx, tx, columns.user_name_lower, columns.user_name, current.id)
  const next: ScimUserRow = {
    ...current,
    ...columns,
    resource: serialized,
    version: current.version + 1,
    updated_at: Math.max(ctx.now, current.updated_at),
  }
  if (!(await tx.directory.updateUser(next))) throw userNameTaken(columns.user_name)
  await tx.directory.appendChange(ctx.orgId, 'user', 'upsert', current.id, null, ctx.now)
  return next
}

export async function replaceUser(
  ctx: ScimContext,
  id: string,
  body: unknown,
  ifMatch: string | null,
): Promise<ScimResult> {
  const resource = readUser(body)
  const row = await ctx.store.transaction(async (tx) => {
    const current = await found(ctx, tx, id)
    checkIfMatch(ifMatch, current.version)
    return store(ctx, tx, current, resource)
  })
  return { status: 200, body: await render(ctx, row, null), etag: etag(row.version) }
}

export async function patchUser(
  ctx: ScimContext,
  id: string,
  body: unknown,
  ifMatch: string | null,
  p: Projection,
): Promise<ScimResult> {
  const request = validatePatch(body)
  const row = await ctx.store.transaction(async (tx) => {
    const current = await found(ctx, tx, id)
    checkIfMatch(ifMatch, current.version)
    const resource = storedResource(current.resource, 'user')
    const extensions = [ENTERPRISE_SCHEMA, ...Object.keys(resource).filter((key) => key.startsWith('urn:'))]
    const patcher = new JsonPatcher(resource, USER_NAMES, extensions)
    for (const operation of parseOperations(request, extensions)) patcher.apply(operation)
    // Removing `active` unassigns it; that must not reactivate a deactivated user (a new user
    // defaults to active, an existing one keeps its state).
    if (!Object.hasOwn(patcher.resource, 'active')) patcher.resource.active = current.active === 1
    // The result must still be a valid User (e.g. userName not removed, emails still a list).
    const next = readUser(patcher.resource)
    return store(ctx, tx, current, next)
  })
  return { status: 200, body: await render(ctx, row, p), etag: etag(row.version) }
}

export async function deleteUser(ctx: ScimContext, id: string, ifMatch: string | null): Promise<ScimResult> {
  await ctx.store.transaction(async (tx) => {
    const current = await found(ctx, tx, id)
    checkIfMatch(ifMatch, current.version)
    const directory = tx.directory
    // Memberships go with the user (ON DELETE CASCADE); the feed records each one. The entries go
    // last, sent together: on PostgreSQL the first locks the org's feed counter until the commit.
    const groups = await directory.groupIdsOfUser(id)
    await directory.deleteUser(ctx.orgId, id)
    await Promise.all([
      ...groups.map((groupId) =>
        directory.appendChange(ctx.orgId, 'membership', 'remove', groupId, id, ctx.now),
      ),
      directory.appendChange(ctx.orgId, 'user', 'delete', id, null, ctx.now),
    ])
  })
  return { status: 204 }
}
