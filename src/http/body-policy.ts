/**
 * What each surface accepts as a request body, in one table, and how it says no. A request body
 * is checked before routing (http/body-limit.ts): its content type against the surface's list
 * (415), then its size and shape while it streams in (413, 400), so no parser, validator or
 * validation message ever sees a body that costs more than a few milliseconds. The refusal comes
 * in the format of the surface the client called: SCIM error JSON, the admin API's JSON error,
 * or a page for a person (the console and account pages answer JSON to non-browser clients, as
 * the app's error mapper does).
 */

import { messagePage } from '../pages/shell.ts'
import { formFieldScanner, jsonShapeScanner, multipartPartScanner, type ShapeScanner } from './body-shape.ts'
import { errorJson } from './errors.ts'

export type BodySurface = 'scim' | 'acs' | 'api' | 'page'

export interface BodyPolicy {
  surface: BodySurface
  /** Media types (lower case, without parameters) a body may be sent as. */
  accepts: readonly string[]
  /**
   * False when the route refuses other types itself (the ACS does, so the refusal lands in the
   * SAML audit trail); such a body is only size-limited, as the route reads it without parsing.
   */
  refusesOthers: boolean
  /** Array items plus object members in a JSON body (only where JSON is accepted). */
  maxJsonValues: number
  /** Fields of a form body, urlencoded or multipart (only where forms are accepted). */
  maxFormFields: number
}

/**
 * Nesting no legitimate body comes near (a SCIM PATCH of an enterprise manager is 6 deep), far
 * below what makes parsing or describing a value expensive.
 */
export const MAX_JSON_DEPTH = 32
/**
 * Values in one admin API body (array items plus object members): the largest legitimate one, a
 * full role-mapping list of 1,000 entries, has about 3,000. SCIM bodies are not capped here: the
 * SCIM core validates them itself (no Elysia validation message) and bounds members per request.
 */
export const MAX_API_JSON_VALUES = 10_000
/**
 * Members of any one JSON object: a SCIM resource has a few dozen attributes, an admin API body a
 * handful; 60,000 keys in one SCIM body cost ~50 ms to parse and map.
 */
export const MAX_JSON_OBJECT_MEMBERS = 1_000
/** Fields in a console or account form: the largest, the role-mapping form, allows 2,100. */
export const MAX_PAGE_FORM_FIELDS = 2_500
/** The ACS form carries SAMLResponse and RelayState. */
export const MAX_ACS_FORM_FIELDS = 16

const FORM = 'application/x-www-form-urlencoded'
const MULTIPART = 'multipart/form-data'
const JSON_TYPE = 'application/json'
const SCIM_JSON = 'application/scim+json'

const NOT_ACCEPTED = 0

const POLICIES: Record<BodySurface, BodyPolicy> = {
  scim: {
    surface: 'scim',
    accepts: [SCIM_JSON, JSON_TYPE],
    refusesOthers: true,
    maxJsonValues: Number.POSITIVE_INFINITY,
    maxFormFields: NOT_ACCEPTED,
  },
  acs: {
    surface: 'acs',
    accepts: [FORM],
    refusesOthers: false,
    maxJsonValues: NOT_ACCEPTED,
    maxFormFields: MAX_ACS_FORM_FIELDS,
  },
  api: {
    surface: 'api',
    accepts: [JSON_TYPE],
    refusesOthers: true,
    maxJsonValues: MAX_API_JSON_VALUES,
    maxFormFields: NOT_ACCEPTED,
  },
  page: {
    surface: 'page',
    accepts: [FORM, MULTIPART],
    refusesOthers: true,
    maxJsonValues: NOT_ACCEPTED,
    maxFormFields: MAX_PAGE_FORM_FIELDS,
  },
}

/**
 * The surface of a path. Not anchored at the org prefix, so it also answers for an own-origin
 * path (`/okta/scim/Users`) before it is rewritten to `/orgs/{slug}/…`.
 */
export function bodySurfaceOf(path: string): BodySurface {
  if (path.startsWith('/api/')) return 'api'
  if (/\/okta\/scim(\/|$)/.test(path)) return 'scim'
  if (/\/okta\/auth$/.test(path)) return 'acs'
  return 'page'
}

export function bodyPolicyOf(path: string): BodyPolicy {
  return POLICIES[bodySurfaceOf(path)]
}

/** The media type of a Content-Type header: lower case, parameters dropped; '' when absent. */
export function mediaTypeOf(contentType: string | null): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
}

/**
 * The shape check for a body of this media type, or null when nothing needs scanning: a type the
 * surface does not accept reaches only a route that refuses it without parsing (the ACS).
 */
export function shapeScannerFor(policy: BodyPolicy, mediaType: string): ShapeScanner | null {
  if (!policy.accepts.includes(mediaType)) return null
  if (mediaType === FORM) return formFieldScanner(policy.maxFormFields)
  if (mediaType === MULTIPART) return multipartPartScanner(policy.maxFormFields)
  return jsonShapeScanner({
    maxDepth: MAX_JSON_DEPTH,
    maxValues: policy.maxJsonValues,
    maxObjectMembers: MAX_JSON_OBJECT_MEMBERS,
  })
}

export type RefusalCode = 'BODY_TOO_LARGE' | 'UNSUPPORTED_MEDIA_TYPE' | 'BODY_TOO_COMPLEX'

const STATUS: Record<RefusalCode, number> = {
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  BODY_TOO_COMPLEX: 400,
}

/** What a person is told on a page; the exact limit is for API clients. */
const FOR_PEOPLE: Record<RefusalCode, string> = {
  BODY_TOO_LARGE: 'The form was too large to accept.',
  UNSUPPORTED_MEDIA_TYPE: 'This address only accepts a form sent by its own page.',
  BODY_TOO_COMPLEX: 'The form has more fields than this page ever sends.',
}

function wantsHtml(request: Request | undefined): boolean {
  return (request?.headers.get('accept') ?? '').includes('text/html')
}

/** A refused body in the format of the surface it was sent to. */
export function refuseBody(
  policy: BodyPolicy,
  code: RefusalCode,
  detail: string,
  request?: Request,
): Response {
  const status = STATUS[code]
  switch (policy.surface) {
    case 'scim': {
      const body: Record<string, unknown> = {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
        status: String(status),
        detail,
      }
      if (code === 'BODY_TOO_COMPLEX') body.scimType = 'invalidSyntax'
      return Response.json(body, {
        status,
        headers: { 'content-type': 'application/scim+json; charset=utf-8', 'cache-control': 'no-store' },
      })
    }
    case 'acs':
      // People's browsers post here: a page, worded for them.
      return messagePage(
        status,
        'We could not sign you in',
        code === 'BODY_TOO_LARGE'
          ? 'The sign-in message was too large to accept.'
          : 'The sign-in message was not in a form we accept.',
      )
    case 'page':
      if (wantsHtml(request)) return messagePage(status, 'Bad request', FOR_PEOPLE[code])
      return errorJson(status, code, detail)
    case 'api':
      return errorJson(status, code, detail)
    default: {
      const unknown: never = policy.surface
      throw new Error(`no refusal format for surface ${String(unknown)}`)
    }
  }
}

/** The 415 for a body whose content type the surface does not take. */
export function unsupportedMediaType(policy: BodyPolicy, request: Request) {
  const sent = mediaTypeOf(request.headers.get('content-type'))
  return refuseBody(
    policy,
    'UNSUPPORTED_MEDIA_TYPE',
    `send the body as ${policy.accepts.join(' or ')}${sent ? `, not ${sent.slice(0, 80)}` : ' with a Content-Type'}`,
    request,
  )
}
