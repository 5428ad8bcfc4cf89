/**
 * What every SCIM operation receives (the org resolved from the token, the store, the base URL
 * for `meta.location`, the limits) and returns (status, body, ETag), plus the request details all
 * operations share: paging, projection and If-Match.
 */
import type { Store } from '../store/index.ts'
import type { ScimLimits } from './discovery.ts'
import { invalidFilter, invalidValue, ScimError } from './errors.ts'
import { type FilterNode, parseFilter } from './filter.ts'
import { LIST_SCHEMA } from './model.ts'
import { etag, type Json, type Projection, projection } from './resources.ts'

export interface ScimContext {
  /**
   * Each write runs in one `store.transaction` (the store group-commits concurrent requests'
   * transactions); helpers that run inside it take the transaction's repositories.
   */
  store: Store
  orgId: string
  /** `{orgURL}/okta/scim`, the prefix of every `meta.location`. */
  base: string
  limits: ScimLimits
  now: number
}

export interface ScimResult {
  status: number
  body?: Json
  etag?: string
  location?: string
}

export interface ListParams {
  filter: FilterNode | null
  /** 0-based offset derived from the 1-based `startIndex`. */
  offset: number
  count: number
  startIndex: number
  projection: Projection
}

const DEFAULT_COUNT = 100

/** A ListResponse page (RFC 7644 §3.4.2) of rows rendered as resources. */
export async function listResult<Row>(
  params: Pick<ListParams, 'startIndex'>,
  page: { total: number; rows: Row[] },
  render: (row: Row) => Promise<Json>,
): Promise<ScimResult> {
  return {
    status: 200,
    body: {
      schemas: [LIST_SCHEMA],
      totalResults: page.total,
      startIndex: params.startIndex,
      itemsPerPage: page.rows.length,
      Resources: await Promise.all(page.rows.map(render)),
    },
  }
}

/** A list request's parameters, from a query string or from a SearchRequest body (`search.ts`). */
export interface ListSource {
  filter: string | null
  startIndex: string | number | null
  count: string | number | null
  attributes: string | string[] | null
  excludedAttributes: string | string[] | null
}

function integer(raw: string | number | null, name: string): number | null {
  if (typeof raw === 'number') return raw
  if (raw === null || raw.trim() === '') return null
  if (!/^-?\d{1,15}$/.test(raw.trim()))
    throw invalidValue(`${name} must be an integer, got "${raw.slice(0, 40)}"`)
  return Number(raw)
}

export function querySource(query: URLSearchParams): ListSource {
  return {
    filter: query.get('filter'),
    startIndex: query.get('startIndex'),
    count: query.get('count'),
    attributes: query.get('attributes'),
    excludedAttributes: query.get('excludedAttributes'),
  }
}

/**
 * Paging per RFC 7644 §3.4.2.4 (`sortBy` is ignored, as sorting is not supported and lists always
 * come in creation order): startIndex below 1 means 1, a negative count means 0, a count above
 * the maximum is clamped to it (ServiceProviderConfig says so in `filter.maxResults`).
 */
export function listParams(query: URLSearchParams, limits: ScimLimits): ListParams {
  return listParamsFrom(querySource(query), limits)
}

export function listParamsFrom(source: ListSource, limits: ScimLimits): ListParams {
  const startIndex = Math.max(1, integer(source.startIndex, 'startIndex') ?? 1)
  const count = Math.min(limits.maxResults, Math.max(0, integer(source.count, 'count') ?? DEFAULT_COUNT))
  const raw = source.filter
  let filter: FilterNode | null = null
  if (raw !== null && raw.trim() !== '') {
    if (raw.length > limits.maxFilterLength) {
      throw invalidFilter(
        `the filter is ${raw.length} characters long; at most ${limits.maxFilterLength} are accepted`,
      )
    }
    filter = parseFilter(raw)
  }
  const projected = projection(source.attributes, source.excludedAttributes)
  return { filter, offset: startIndex - 1, count, startIndex, projection: projected }
}

export function resourceProjection(query: URLSearchParams): Projection {
  return projection(query.get('attributes'), query.get('excludedAttributes'))
}

/** RFC 7644 §3.14: a stale `If-Match` is a 412, so an IdP never overwrites a newer write blindly. */
export function checkIfMatch(ifMatch: string | null, version: number): void {
  if (ifMatch === null || ifMatch.trim() === '' || ifMatch.trim() === '*') return
  const current = etag(version)
  const strong = current.slice(2)
  const matches = ifMatch.split(',').some((tag) => {
    const t = tag.trim()
    return t === current || t === strong
  })
  if (!matches) {
    throw new ScimError(412, `the resource is at version ${current}; read it again before changing it`)
  }
}
