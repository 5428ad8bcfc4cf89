/**
 * The SCIM error catalogue (RFC 7644 §3.12): one error class carrying the HTTP status, the optional
 * `scimType` keyword and the cause, and the JSON body every SCIM 4xx/5xx is rendered as. Okta does not
 * retry a 4xx, so each message says exactly what was wrong with the request.
 */

export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error'

/** The `scimType` keywords RFC 7644 defines (Table 9), plus none. */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive'

export interface ScimErrorBody {
  schemas: [typeof ERROR_SCHEMA]
  status: string
  detail: string
  scimType?: ScimType
}

export class ScimError extends Error {
  readonly headers: Record<string, string> | undefined
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly scimType?: ScimType,
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(detail, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'ScimError'
    this.headers = options?.headers
  }

  toJSON(): ScimErrorBody {
    return errorBody(this.status, this.detail, this.scimType)
  }
}

export function errorBody(status: number, detail: string, scimType?: ScimType): ScimErrorBody {
  const body: ScimErrorBody = { schemas: [ERROR_SCHEMA], status: String(status), detail }
  if (scimType) body.scimType = scimType
  return body
}

export const badRequest = (scimType: ScimType, detail: string, cause?: unknown) =>
  new ScimError(400, detail, scimType, { cause })
export const invalidValue = (detail: string) => badRequest('invalidValue', detail)
export const invalidFilter = (detail: string, cause?: unknown) => badRequest('invalidFilter', detail, cause)
export const invalidPath = (detail: string) => badRequest('invalidPath', detail)
export const invalidSyntax = (detail: string, cause?: unknown) => badRequest('invalidSyntax', detail, cause)
export const notFound = (detail: string) => new ScimError(404, detail)
export const uniqueness = (detail: string) => new ScimError(409, detail, 'uniqueness')
export const unauthorized = () =>
  new ScimError(401, 'send the SCIM token of this organization as Authorization: Bearer <token>', undefined, {
    headers: { 'www-authenticate': 'Bearer realm="okta-bridge SCIM"' },
  })
export const tooLarge = (detail: string) => new ScimError(413, detail)
export const overloaded = (retryAfterSeconds: number) =>
  new ScimError(429, 'too many SCIM requests in flight for this organization; retry shortly', undefined, {
    headers: { 'retry-after': String(retryAfterSeconds) },
  })
