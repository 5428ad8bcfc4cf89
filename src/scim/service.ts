/**
 * The framework-free SCIM core: a plain request object in (operation, org slug, headers, a way to
 * read the body), a plain response out (status, headers, serialized body). It authenticates the
 * token against the org of the URL, bounds in-flight requests per org, reads and parses the body
 * within the size limit, runs the operation and renders every failure as an RFC 7644 error. The
 * Elysia layer (`routes.ts`) only translates HTTP to this shape and back.
 */
import type { Logger } from '../observability/log.ts'
import type { Metrics } from '../observability/metrics.ts'
import { orgUrl } from '../orgs/service.ts'
import { hashSecret, sameDigest } from '../store/ids.ts'
import type { Store } from '../store/index.ts'
import { listParams, resourceProjection, type ScimContext, type ScimResult } from './context.ts'
import { findById, resourceTypes, type ScimLimits, schemas, serviceProviderConfig } from './discovery.ts'
import { errorBody, invalidSyntax, overloaded, ScimError, tooLarge, unauthorized } from './errors.ts'
import { createGroup, deleteGroup, getGroup, listGroups, patchGroup, replaceGroup } from './groups.ts'
import { feedIntake } from './intake.ts'
import { InFlightLimiter } from './limiter.ts'
import { LIST_SCHEMA } from './model.ts'
import type { Json } from './resources.ts'
import { searchAll, searchGroups, searchUsers } from './search.ts'
import { createUser, deleteUser, getUser, listUsers, patchUser, replaceUser } from './users.ts'

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8'

export type ScimOperation =
  | 'users.list'
  | 'users.search'
  | 'users.create'
  | 'users.get'
  | 'users.replace'
  | 'users.patch'
  | 'users.delete'
  | 'groups.list'
  | 'groups.search'
  | 'groups.create'
  | 'groups.get'
  | 'groups.replace'
  | 'groups.patch'
  | 'groups.delete'
  | 'discovery.config'
  | 'discovery.resourceTypes'
  | 'discovery.resourceType'
  | 'discovery.schemas'
  | 'discovery.schema'
  | 'root.search'
  | 'me'

export interface ScimRequest {
  operation: ScimOperation
  slug: string
  /** Resource id from the path, for operations on one resource. */
  id?: string
  query: URLSearchParams
  authorization: string | null
  contentType: string | null
  ifMatch: string | null
  /** Reads the raw body; called at most once, only by operations that take one. */
  readBody: () => Promise<ArrayBuffer>
}

export interface ScimResponse {
  status: number
  headers: Record<string, string>
  body: string | null
}

export interface ScimServiceDeps {
  store: Store
  log: Logger
  metrics: Metrics
  publicUrl: string
  limits: ScimLimits
  maxInFlightPerOrg: number
}

export const DEFAULT_LIMITS: Omit<ScimLimits, 'maxBodyBytes'> = {
  maxResults: 1000,
  maxFilterLength: 2048,
  maxMembersPerRequest: 10_000,
  maxOperations: 1000,
}

const WITH_BODY = new Set<ScimOperation>([
  'users.search',
  'groups.search',
  'root.search',
  'users.create',
  'users.replace',
  'users.patch',
  'groups.create',
  'groups.replace',
  'groups.patch',
])

/** The operations that write to the directory (and so to the org's change feed). */
const WRITES = new Set<ScimOperation>([
  'users.create',
  'users.replace',
  'users.patch',
  'users.delete',
  'groups.create',
  'groups.replace',
  'groups.patch',
  'groups.delete',
])

const decoder = new TextDecoder('utf-8', { fatal: true })

/** `Authorization: Bearer <token>`, or the bare token (Okta's "HTTP Header" mode sends what was typed). */
export function tokenFrom(header: string | null): string | null {
  if (!header) return null
  const value = header.trim()
  const bearer = /^Bearer\s+(.+)$/i.exec(value)
  const token = (bearer ? (bearer[1] as string) : value).trim()
  return token === '' ? null : token
}

function isJsonType(contentType: string | null): boolean {
  if (contentType === null || contentType.trim() === '') return true
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? ''
  return type === 'application/json' || type === 'application/scim+json' || type.endsWith('+json')
}

function resourceOf(operation: ScimOperation): { resource: string; action: string } {
  const [kind, action] = operation.split('.') as [string, string]
  if (kind === 'users') return { resource: 'User', action }
  if (kind === 'groups') return { resource: 'Group', action }
  if (kind === 'root') return { resource: 'Resource', action }
  if (kind === 'me') return { resource: 'Me', action: 'any' }
  return {
    resource:
      action === 'config' ? 'ServiceProviderConfig' : action.startsWith('schema') ? 'Schema' : 'ResourceType',
    action: 'get',
  }
}

export function respond(status: number, body: unknown, extra: Record<string, string> = {}): ScimResponse {
  return {
    status,
    headers: { 'content-type': SCIM_CONTENT_TYPE, 'cache-control': 'no-store', ...extra },
    body: body === undefined ? null : JSON.stringify(body),
  }
}

export function errorResponse(error: ScimError): ScimResponse {
  return respond(error.status, errorBody(error.status, error.detail, error.scimType), error.headers)
}

export function createScimService(deps: ScimServiceDeps) {
  const { store, log, metrics, limits } = deps
  const limiter = new InFlightLimiter(deps.maxInFlightPerOrg)
  // Without a write gate (PostgreSQL), an org's writes wait while its feed is behind (./intake.ts).
  const intake = store.pacing ? null : feedIntake(store)

  async function authenticate(slug: string, authorization: string | null) {
    const token = tokenFrom(authorization)
    if (!token) throw unauthorized()
    const digest = hashSecret(token)
    // One read: the org of the URL and its integration's token hash, compared in constant time.
    const found = await store.orgs.bySlugWithScimToken(slug)
    // The same answer for a bad token, a token of another org and an unknown org: nothing leaks.
    if (!found || found.scimTokenHash === null || !sameDigest(found.scimTokenHash, digest)) {
      throw unauthorized()
    }
    // A setup link's live check ("first SCIM request seen"): written once, the row says when.
    if (found.firstScimRequestAt === null) {
      await store.integrations.markFirstScimRequest(found.org.id, Date.now())
    }
    return found.org
  }

  async function readJson(request: ScimRequest): Promise<unknown> {
    if (!isJsonType(request.contentType)) {
      throw new ScimError(
        415,
        `send the body as application/scim+json or application/json, not ${request.contentType}`,
      )
    }
    const bytes = await request.readBody()
    if (bytes.byteLength > limits.maxBodyBytes) {
      throw tooLarge(`request body larger than ${limits.maxBodyBytes} bytes`)
    }
    let text: string
    try {
      text = decoder.decode(bytes)
    } catch (cause) {
      throw invalidSyntax('the request body is not valid UTF-8', cause)
    }
    if (text.trim() === '') throw invalidSyntax('this request needs a JSON body')
    try {
      return JSON.parse(text)
    } catch (cause) {
      throw invalidSyntax(
        `the request body is not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`,
        cause,
      )
    }
  }

  async function run(request: ScimRequest, ctx: ScimContext, body: unknown): Promise<ScimResult> {
    const id = request.id ?? ''
    const documentation = `${deps.publicUrl}/docs`
    switch (request.operation) {
      case 'users.list':
        return listUsers(ctx, listParams(request.query, limits))
      case 'users.search':
        return searchUsers(ctx, body)
      case 'users.create':
        return createUser(ctx, body)
      case 'users.get':
        return getUser(ctx, id, resourceProjection(request.query))
      case 'users.replace':
        return replaceUser(ctx, id, body, request.ifMatch)
      case 'users.patch':
        return patchUser(ctx, id, body, request.ifMatch, resourceProjection(request.query))
      case 'users.delete':
        return deleteUser(ctx, id, request.ifMatch)
      case 'groups.list':
        return listGroups(ctx, listParams(request.query, limits))
      case 'groups.search':
        return searchGroups(ctx, body)
      case 'groups.create':
        return createGroup(ctx, body)
      case 'groups.get':
        return getGroup(ctx, id, resourceProjection(request.query))
      case 'groups.replace':
        return replaceGroup(ctx, id, body, request.ifMatch)
      case 'groups.patch': {
        const asked = request.query.has('attributes') || request.query.has('excludedAttributes')
        return patchGroup(ctx, id, body, request.ifMatch, asked ? resourceProjection(request.query) : null)
      }
      case 'groups.delete':
        return deleteGroup(ctx, id, request.ifMatch)
      case 'discovery.config':
        return { status: 200, body: serviceProviderConfig(ctx.base, documentation, limits) }
      case 'discovery.resourceTypes':
        return { status: 200, body: listOf(resourceTypes(ctx.base)) }
      case 'discovery.resourceType':
        return { status: 200, body: findById(resourceTypes(ctx.base), id, 'resource type') }
      case 'discovery.schemas':
        return { status: 200, body: listOf(schemas(ctx.base)) }
      case 'discovery.schema':
        return { status: 200, body: findById(schemas(ctx.base), id, 'schema') }
      case 'root.search':
        return searchAll(ctx, body)
      case 'me':
        // RFC 7644 §3.11: a provider that cannot map the token to a resource answers 501. The
        // token here is an org's provisioning credential, not any user's.
        throw new ScimError(
          501,
          '/Me is not supported: the SCIM token belongs to the organization, not to a user',
        )
      default: {
        // Every operation has a case: adding one to ScimOperation without a case fails to compile.
        const unknown: never = request.operation
        throw new ScimError(404, `unknown SCIM operation ${String(unknown)}`)
      }
    }
  }

  async function handle(request: ScimRequest): Promise<ScimResponse> {
    const { resource, action } = resourceOf(request.operation)
    let response: ScimResponse
    let orgId: string | null = null
    try {
      const org = await authenticate(request.slug, request.authorization)
      if (!limiter.tryAcquire(org.id)) throw overloaded(1)
      orgId = org.id
      const body = WITH_BODY.has(request.operation) ? await readJson(request) : undefined
      if (intake && WRITES.has(request.operation)) {
        const waited = await intake.admit(org.id)
        if (waited > 0) metrics.scimPacedSeconds.inc({}, waited / 1000)
      }
      const ctx: ScimContext = {
        store,
        orgId: org.id,
        base: `${orgUrl(org, deps.publicUrl)}/okta/scim`,
        limits,
        now: Date.now(),
      }
      const result = await run(request, ctx, body)
      const headers: Record<string, string> = {}
      if (result.etag) headers.etag = result.etag
      if (result.location) headers.location = result.location
      response = respond(result.status, result.body, headers)
    } catch (error) {
      if (error instanceof ScimError) response = errorResponse(error)
      else {
        log.error('scim request failed', {
          operation: request.operation,
          org: request.slug,
          error: error instanceof Error ? error.message : String(error),
          stack: error instanceof Error ? error.stack : undefined,
        })
        response = respond(
          500,
          errorBody(500, 'something went wrong on our side; the details are in the server log'),
        )
      }
    } finally {
      if (orgId !== null) limiter.release(orgId)
    }
    metrics.scimOperations.inc({ resource, operation: action, status: String(response.status) })
    return response
  }

  return { handle, limiter }
}

function listOf(resources: Json[]): Json {
  return {
    schemas: [LIST_SCHEMA],
    totalResults: resources.length,
    startIndex: 1,
    itemsPerPage: resources.length,
    Resources: resources,
  }
}

export type ScimService = ReturnType<typeof createScimService>
