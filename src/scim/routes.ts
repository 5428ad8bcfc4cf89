/**
 * The thin HTTP layer of SCIM at `/orgs/:slug/okta/scim` (orgs on their own origin are rewritten to
 * this prefix before routing). Each route hands the raw request to the framework-free core in
 * `service.ts` and returns its answer as is; Elysia's own body parser is off (`parse: 'none'`)
 * because SCIM bodies arrive as `application/scim+json`, and the core reads them within its
 * limits. The TypeBox models give `/docs` the complete picture of every route, the POST searches
 * (`/.search`, `/Users/.search`, `/Groups/.search`) and the 501 of `/Me` included.
 * `scimErrorSurface`, mounted here and used by the app's fallback for unknown SCIM paths, renders
 * errors raised before a handler runs (unknown path, bad query shape) in the same RFC 7644 format.
 */
import type { TSchema } from '@sinclair/typebox'
import { Elysia } from 'elysia'
import { BodyShapeError, BodyTooLargeError } from '../http/body-limit.ts'
import type { AppDeps } from '../http/context.ts'
import { answerWith, type ErrorSurface } from '../http/error-surfaces.ts'
import { describeValidation } from '../http/errors.ts'
import type { Logger } from '../observability/log.ts'
import { errorBody, invalidSyntax, ScimError, tooLarge } from './errors.ts'
import {
  AnyResource,
  DiscoveryDocument,
  GroupInput,
  GroupResource,
  ListQuery,
  ListResponse,
  NoContent,
  OrgParams,
  PatchRequest,
  ResourceParams,
  ResourceQuery,
  ScimErrorModel,
  SearchRequest,
  UserInput,
  UserResource,
} from './model.ts'
import {
  createScimService,
  DEFAULT_LIMITS,
  errorResponse,
  respond,
  type ScimOperation,
  type ScimResponse,
} from './service.ts'

export const SCIM_PATH = /^\/orgs\/[^/]+\/okta\/scim(\/|$)/

export interface ScimRouteOptions {
  /** In-flight SCIM requests per org before answering 429 (default 64). */
  maxInFlightPerOrg?: number
}

function toResponse(answer: ScimResponse): Response {
  return new Response(answer.body, { status: answer.status, headers: answer.headers })
}

const errors = {
  400: ScimErrorModel,
  401: ScimErrorModel,
  404: ScimErrorModel,
  413: ScimErrorModel,
  429: ScimErrorModel,
}
const writeErrors = { ...errors, 409: ScimErrorModel, 412: ScimErrorModel, 415: ScimErrorModel }
const searchErrors = { ...errors, 415: ScimErrorModel }
const searchDescription =
  'RFC 7644 §3.4.3: the query as a SearchRequest body (filter, startIndex, count, attributes, excludedAttributes; sortBy is ignored) instead of a query string; answers the same ListResponse as GET.'

function requestBody(schema: TSchema, description: string) {
  return {
    description,
    required: true,
    content: { 'application/scim+json': { schema }, 'application/json': { schema } },
  }
}

const detail = (summary: string, extra: Record<string, unknown> = {}) => ({
  tags: ['SCIM'],
  summary,
  security: [{ scimToken: [] }],
  ...extra,
})

export function scimRoutes(deps: AppDeps, options: ScimRouteOptions = {}) {
  const service = createScimService({
    store: deps.store,
    log: deps.log,
    metrics: deps.metrics,
    publicUrl: deps.config.publicUrl,
    limits: { ...DEFAULT_LIMITS, maxBodyBytes: deps.config.maxBodyBytes },
    maxInFlightPerOrg: options.maxInFlightPerOrg ?? 64,
  })

  const handler =
    (operation: ScimOperation) =>
    async ({
      request,
      params,
      set,
    }: {
      request: Request
      params: { slug: string; id?: string }
      set: { status?: number | string }
    }) => {
      const url = request.url
      const q = url.indexOf('?')
      const answer = await service.handle({
        operation,
        slug: params.slug,
        id: params.id,
        query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)),
        authorization: request.headers.get('authorization'),
        contentType: request.headers.get('content-type'),
        ifMatch: request.headers.get('if-match'),
        // A chunked body past MAX_BODY_BYTES fails while streaming (http/body-limit.ts): a SCIM 413.
        readBody: () =>
          request.arrayBuffer().catch((error: unknown) => {
            if (error instanceof BodyTooLargeError) throw tooLarge(error.message)
            // Nested or wide past the guard's limits (http/body-shape.ts): refused before parsing.
            if (error instanceof BodyShapeError) throw invalidSyntax(error.message)
            throw error
          }),
      })
      set.status = answer.status
      return toResponse(answer)
    }

  const one = { params: ResourceParams, query: ResourceQuery, parse: 'none' as const }
  const me = {
    params: OrgParams,
    parse: 'none' as const,
    response: { 401: ScimErrorModel, 501: ScimErrorModel },
    detail: detail('Not supported (501): the SCIM token is an organization credential, not a user', {
      description: 'RFC 7644 §3.11: `/Me` answers 501 Not Implemented for every method.',
    }),
  }
  const many = { params: OrgParams, query: ListQuery, parse: 'none' as const }

  return new Elysia({ prefix: '/orgs/:slug/okta/scim', normalize: false })
    .onError(answerWith(scimErrorSurface(deps.log)))
    .post('/.search', handler('root.search'), {
      params: OrgParams,
      parse: 'none',
      response: { 200: ListResponse(AnyResource, 'ResourceList'), ...searchErrors },
      detail: detail('Search users and groups together', {
        description: `${searchDescription} Users come first, then groups; \`meta.resourceType eq "Group"\` narrows to one type.`,
        requestBody: requestBody(SearchRequest, 'RFC 7644 SearchRequest'),
      }),
    })
    .post('/Users/.search', handler('users.search'), {
      params: OrgParams,
      parse: 'none',
      response: { 200: ListResponse(UserResource, 'UserSearchList'), ...searchErrors },
      detail: detail('Search users (POST)', {
        description: searchDescription,
        requestBody: requestBody(SearchRequest, 'RFC 7644 SearchRequest'),
      }),
    })
    .post('/Groups/.search', handler('groups.search'), {
      params: OrgParams,
      parse: 'none',
      response: { 200: ListResponse(GroupResource, 'GroupSearchList'), ...searchErrors },
      detail: detail('Search groups (POST)', {
        description: searchDescription,
        requestBody: requestBody(SearchRequest, 'RFC 7644 SearchRequest'),
      }),
    })
    .get('/Me', handler('me'), me)
    .post('/Me', handler('me'), me)
    .put('/Me', handler('me'), me)
    .patch('/Me', handler('me'), me)
    .delete('/Me', handler('me'), me)
    .get('/Users', handler('users.list'), {
      ...many,
      response: { 200: ListResponse(UserResource, 'UserList'), ...errors },
      detail: detail('List or filter users', {
        description:
          'Okta looks a user up with `filter=userName eq "…"` before creating it. Filters: eq ne co sw ew gt ge lt le pr, and/or/not, parentheses, `emails[type eq "work"]` value paths.',
      }),
    })
    .post('/Users', handler('users.create'), {
      params: OrgParams,
      parse: 'none',
      response: { 201: UserResource, ...writeErrors },
      detail: detail('Create a user', {
        requestBody: requestBody(UserInput, 'The user; `password` is discarded'),
      }),
    })
    .get('/Users/:id', handler('users.get'), {
      ...one,
      response: { 200: UserResource, ...errors },
      detail: detail('Get a user'),
    })
    .put('/Users/:id', handler('users.replace'), {
      params: ResourceParams,
      parse: 'none',
      response: { 200: UserResource, ...writeErrors },
      detail: detail('Replace a user (Okta custom apps send every update, deactivation included, as PUT)', {
        requestBody: requestBody(UserInput, 'The whole user'),
      }),
    })
    .patch('/Users/:id', handler('users.patch'), {
      ...one,
      response: { 200: UserResource, ...writeErrors },
      detail: detail('Patch a user (e.g. deactivate with replace active=false)', {
        requestBody: requestBody(PatchRequest, 'RFC 7644 PatchOp'),
      }),
    })
    .delete('/Users/:id', handler('users.delete'), {
      params: ResourceParams,
      parse: 'none',
      response: { 204: NoContent, ...writeErrors },
      detail: detail('Delete a user (Entra ID; Okta deactivates instead)'),
    })
    .get('/Groups', handler('groups.list'), {
      ...many,
      response: { 200: ListResponse(GroupResource, 'GroupList'), ...errors },
      detail: detail('List or filter groups', {
        description: 'Use `excludedAttributes=members` to leave member lists out.',
      }),
    })
    .post('/Groups', handler('groups.create'), {
      params: OrgParams,
      parse: 'none',
      response: { 201: GroupResource, ...writeErrors },
      detail: detail('Create a group (members in the body are honoured)', {
        requestBody: requestBody(GroupInput, 'The group'),
      }),
    })
    .get('/Groups/:id', handler('groups.get'), {
      ...one,
      response: { 200: GroupResource, ...errors },
      detail: detail('Get a group with its members'),
    })
    .put('/Groups/:id', handler('groups.replace'), {
      params: ResourceParams,
      parse: 'none',
      response: { 200: GroupResource, ...writeErrors },
      detail: detail('Replace a group, members included', {
        requestBody: requestBody(GroupInput, 'The whole group'),
      }),
    })
    .patch('/Groups/:id', handler('groups.patch'), {
      ...one,
      response: { 200: GroupResource, 204: NoContent, ...writeErrors },
      detail: detail('Patch a group: rename, add/remove/replace members', {
        description:
          'Answers 204 No Content, or 200 with the group when `attributes`/`excludedAttributes` is given. Unknown member ids are skipped and recorded in the audit log.',
        requestBody: requestBody(PatchRequest, 'RFC 7644 PatchOp'),
      }),
    })
    .delete('/Groups/:id', handler('groups.delete'), {
      params: ResourceParams,
      parse: 'none',
      response: { 204: NoContent, ...writeErrors },
      detail: detail('Delete a group'),
    })
    .get('/ServiceProviderConfig', handler('discovery.config'), {
      params: OrgParams,
      parse: 'none',
      response: { 200: DiscoveryDocument, ...errors },
      detail: detail('What this service provider supports'),
    })
    .get('/ResourceTypes', handler('discovery.resourceTypes'), {
      params: OrgParams,
      parse: 'none',
      response: { 200: ListResponse(DiscoveryDocument, 'ResourceTypeList'), ...errors },
      detail: detail('Resource types (User, Group)'),
    })
    .get('/ResourceTypes/:id', handler('discovery.resourceType'), {
      params: ResourceParams,
      parse: 'none',
      response: { 200: DiscoveryDocument, ...errors },
      detail: detail('One resource type'),
    })
    .get('/Schemas', handler('discovery.schemas'), {
      params: OrgParams,
      parse: 'none',
      response: { 200: ListResponse(DiscoveryDocument, 'SchemaList'), ...errors },
      detail: detail('Schemas: User, EnterpriseUser, Group'),
    })
    .get('/Schemas/:id', handler('discovery.schema'), {
      params: ResourceParams,
      parse: 'none',
      response: { 200: DiscoveryDocument, ...errors },
      detail: detail('One schema by URN'),
    })
}

/** RFC 7644 errors for everything under a SCIM path that fails before or outside the core. */
export function scimErrorSurface(log: Logger): ErrorSurface {
  return (code, error, request) => {
    if (error instanceof ScimError) return toResponse(errorResponse(error))
    if (code === 'NOT_FOUND') {
      return toResponse(
        respond(404, errorBody(404, `no SCIM endpoint ${request.method} ${new URL(request.url).pathname}`)),
      )
    }
    if (code === 'PARSE')
      return toResponse(respond(400, errorBody(400, 'the request body is not valid JSON', 'invalidSyntax')))
    if (code === 'VALIDATION') {
      return toResponse(respond(400, errorBody(400, describeValidation(error).message, 'invalidValue')))
    }
    log.error('scim request failed', {
      path: new URL(request.url).pathname,
      error: error instanceof Error ? error.message : String(error),
      stack: error instanceof Error ? error.stack : undefined,
    })
    return toResponse(
      respond(500, errorBody(500, 'something went wrong on our side; the details are in the server log')),
    )
  }
}
