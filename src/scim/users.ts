/**
 * The User operations: create, read, list, replace (Okta custom apps send every change as PUT),
 * patch (catalog apps, Entra ID) and delete (Entra ID; Okta deactivates instead). Each write is one
 * transaction holding the row change and its `directory_changes` entry, so the sync scheduler never
 * sees one without the other.
 */
import type { ScimUserRow } from '../store/scim.ts'
import { checkIfMatch, type ListParams, listResult, type ScimContext, type ScimResult } from './context.ts'
import { notFound, uniqueness } from './errors.ts'
import { compileUserFilter } from './filter-sql.ts'
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

function render(ctx: ScimContext, row: ScimUserRow, p: Projection | null, withGroups = true): Json {
  const groups =
    withGroups && (!p || wants(p, 'groups')) ? ctx.store.directory.groupsOfUser(row.id) : undefined
  const resource = userResource(row, groups, ctx.base)
  return p ? project(resource, p) : resource
}

function found(ctx: ScimContext, id: string): ScimUserRow {
  const row = ctx.store.directory.userById(ctx.orgId, id)
  if (!row) throw notFound(`no user with id "${id}"`)
  return row
}

function ensureUniqueUserName(
  ctx: ScimContext,
  userNameLower: string,
  userName: string,
  self?: string,
): void {
  const holder = ctx.store.directory.userIdByUserName(ctx.orgId, userNameLower)
  if (holder && holder !== self) throw uniqueness(`a user with userName "${userName}" already exists`)
}

export async function createUser(ctx: ScimContext, body: unknown): Promise<ScimResult> {
  const resource = readUser(body)
  const columns = userColumns(resource)
  const row = await ctx.write(() => {
    ensureUniqueUserName(ctx, columns.user_name_lower, columns.user_name)
    const inserted: ScimUserRow = {
      id: resourceId(),
      org_id: ctx.orgId,
      ...columns,
      resource: JSON.stringify(resource),
      version: 1,
      created_at: ctx.now,
      updated_at: ctx.now,
    }
    ctx.store.directory.insertUser(inserted)
    ctx.store.directory.appendChange(ctx.orgId, 'user', 'upsert', inserted.id, null, ctx.now)
    return inserted
  })
  // A new user belongs to no group yet: no need to ask the store.
  const body201 = userResource(row, [], ctx.base)
  return { status: 201, body: body201, etag: etag(row.version), location: `${ctx.base}/Users/${row.id}` }
}

export function getUser(ctx: ScimContext, id: string, p: Projection): ScimResult {
  const row = found(ctx, id)
  return { status: 200, body: render(ctx, row, p), etag: etag(row.version) }
}

export function listUsers(ctx: ScimContext, params: ListParams): ScimResult {
  const filter = params.filter ? compileUserFilter(params.filter) : null
  const page = ctx.store.directory.listUsers(ctx.orgId, filter, params.offset, params.count)
  return listResult(params, page, (row) => render(ctx, row, params.projection))
}

/** Writes a changed user (version + 1) with its feed entry; unchanged content writes nothing. */
function store(ctx: ScimContext, current: ScimUserRow, resource: Json): ScimUserRow {
  const serialized = JSON.stringify(resource)
  if (serialized === current.resource) return current
  const columns = userColumns(resource)
  ensureUniqueUserName(ctx, columns.user_name_lower, columns.user_name, current.id)
  const next: ScimUserRow = {
    ...current,
    ...columns,
    resource: serialized,
    version: current.version + 1,
    updated_at: Math.max(ctx.now, current.updated_at),
  }
  ctx.store.directory.updateUser(next)
  ctx.store.directory.appendChange(ctx.orgId, 'user', 'upsert', current.id, null, ctx.now)
  return next
}

export async function replaceUser(
  ctx: ScimContext,
  id: string,
  body: unknown,
  ifMatch: string | null,
): Promise<ScimResult> {
  const resource = readUser(body)
  const row = await ctx.write(() => {
    const current = found(ctx, id)
    checkIfMatch(ifMatch, current.version)
    return store(ctx, current, resource)
  })
  return { status: 200, body: render(ctx, row, null), etag: etag(row.version) }
}

export async function patchUser(
  ctx: ScimContext,
  id: string,
  body: unknown,
  ifMatch: string | null,
  p: Projection,
): Promise<ScimResult> {
  const request = validatePatch(body)
  const row = await ctx.write(() => {
    const current = found(ctx, id)
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
    return store(ctx, current, next)
  })
  return { status: 200, body: render(ctx, row, p), etag: etag(row.version) }
}

export async function deleteUser(ctx: ScimContext, id: string, ifMatch: string | null): Promise<ScimResult> {
  await ctx.write(() => {
    const current = found(ctx, id)
    checkIfMatch(ifMatch, current.version)
    const directory = ctx.store.directory
    // Memberships go with the user (ON DELETE CASCADE); the feed records each one.
    for (const groupId of directory.groupIdsOfUser(id)) {
      directory.appendChange(ctx.orgId, 'membership', 'remove', groupId, id, ctx.now)
    }
    directory.deleteUser(ctx.orgId, id)
    directory.appendChange(ctx.orgId, 'user', 'delete', id, null, ctx.now)
  })
  return { status: 204 }
}
