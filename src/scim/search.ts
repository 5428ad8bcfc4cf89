/**
 * Queries sent as POST (RFC 7644 §3.4.3): `/.search` on the root, on `/Users` and on `/Groups`.
 * A SearchRequest body carries what a list's query string carries (filter, startIndex, count,
 * attributes, excludedAttributes; sortBy and sortOrder are ignored, as sorting is not supported)
 * and the answer is the same ListResponse, so a client that keeps filters out of URLs (and logs)
 * gets exactly what GET gives.
 *
 * A root search covers both resource types as one list: Users first, then Groups, each in creation
 * order. A filter naming an attribute that only one type has (`userName`) matches none of the
 * other type's resources, as the attribute is unassigned there; it is a 400 only when neither type
 * knows it. `meta.resourceType eq "Group"` narrows a root search to one type.
 */
import { canonicalAttributes, isObject, SEARCH_ATTRIBUTE_NAMES } from './attributes.ts'
import { type ListParams, listParamsFrom, type ScimContext, type ScimResult } from './context.ts'
import { invalidSyntax, invalidValue, ScimError } from './errors.ts'
import { listGroups } from './groups.ts'
import { LIST_SCHEMA, SEARCH_SCHEMA, validateSearch } from './model.ts'
import type { Json } from './resources.ts'
import { listUsers } from './users.ts'

/** The list parameters of a SearchRequest body. */
export function searchParams(ctx: ScimContext, body: unknown): ListParams {
  if (!isObject(body)) throw invalidValue('the request body must be a SearchRequest JSON object')
  const request = validateSearch(canonicalAttributes(body, SEARCH_ATTRIBUTE_NAMES))
  if (request.schemas && !request.schemas.includes(SEARCH_SCHEMA)) {
    throw invalidSyntax(`a search request is identified by the schema "${SEARCH_SCHEMA}"`)
  }
  return listParamsFrom(
    {
      filter: request.filter ?? null,
      startIndex: request.startIndex ?? null,
      count: request.count ?? null,
      attributes: request.attributes ?? null,
      excludedAttributes: request.excludedAttributes ?? null,
    },
    ctx.limits,
  )
}

export const searchUsers = (ctx: ScimContext, body: unknown) => listUsers(ctx, searchParams(ctx, body))
export const searchGroups = (ctx: ScimContext, body: unknown) => listGroups(ctx, searchParams(ctx, body))

interface Part {
  total: number
  resources: Json[]
}

function part(result: ScimResult): Part {
  const body = result.body as { totalResults: number; Resources: Json[] }
  return { total: body.totalResults, resources: body.Resources }
}

/** One type's page, or nothing when the filter names attributes that type does not have. */
async function attempt(list: () => Promise<ScimResult>): Promise<Part | ScimError> {
  try {
    return part(await list())
  } catch (error) {
    if (error instanceof ScimError && error.scimType === 'invalidFilter') return error
    throw error
  }
}

export async function searchAll(ctx: ScimContext, body: unknown): Promise<ScimResult> {
  const params = searchParams(ctx, body)
  const users = await attempt(() => listUsers(ctx, params))
  const usersPart = users instanceof ScimError ? { total: 0, resources: [] } : users
  // The groups' page starts where the users' ends: these reads depend on each other.
  const groups = await attempt(() =>
    listGroups(ctx, {
      ...params,
      offset: Math.max(0, params.offset - usersPart.total),
      count: params.count - usersPart.resources.length,
    }),
  )
  if (users instanceof ScimError && groups instanceof ScimError) throw users
  const groupsPart = groups instanceof ScimError ? { total: 0, resources: [] } : groups
  const resources = [...usersPart.resources, ...groupsPart.resources]
  return {
    status: 200,
    body: {
      schemas: [LIST_SCHEMA],
      totalResults: usersPart.total + groupsPart.total,
      startIndex: params.startIndex,
      itemsPerPage: resources.length,
      Resources: resources,
    },
  }
}
