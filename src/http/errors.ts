/**
 * The admin API's error format, `{"error": {"code", "message", "field"?}}`, and the mapper from
 * anything thrown (service errors, Elysia's validation and parse errors) to it. Unknown errors are
 * logged with their cause and answered with a generic 500 body, never a stack trace. Pages for
 * people are src/pages/shell.ts's `messagePage`.
 */
import { Type as T } from '@sinclair/typebox'
import { ServiceError } from '../errors.ts'
import { bodyIssueOf } from './body-validation.ts'

export const ErrorBody = T.Object(
  {
    error: T.Object({
      code: T.String({ examples: ['INVALID_INPUT'] }),
      message: T.String({ examples: ['ssoUrl must use https (http is accepted only for localhost)'] }),
      field: T.Optional(T.String({ examples: ['ssoUrl'] })),
    }),
  },
  { description: 'Error', title: 'Error' },
)

export function errorJson(status: number, code: string, message: string, field?: string): Response {
  const error: Record<string, string> = { code, message }
  if (field) error.field = field
  return Response.json({ error }, { status, headers: { 'cache-control': 'no-store' } })
}

interface IssueSchema {
  description?: string
  const?: unknown
  type?: string
  minimum?: number
  maximum?: number
  anyOf?: IssueSchema[]
}

interface ValidationIssue {
  type?: number
  path?: string
  message?: string
  summary?: string
  schema?: IssueSchema
}

/**
 * Elysia's summaries that name only the field; the others quote the value sent ("… but found:
 * …"), which a client may make as large as the body, so those use TypeBox's message, which quotes
 * only the schema. By TypeBox ValueErrorType: additional property, required property, format, union.
 */
const SUMMARY_WITHOUT_VALUE = new Set([42, 45, 50, 62])

/** Field names come from the client too: long ones are cut, so a message stays a line. */
const MAX_FIELD_CHARS = 100

function boundedField(field: string | undefined): string | undefined {
  if (field === undefined || field.length <= MAX_FIELD_CHARS) return field
  return `${field.slice(0, MAX_FIELD_CHARS)}…`
}

/**
 * TypeBox words a union failure as "should be one of: 'string', 'string'", which names no value a
 * client could send; this says which values are allowed instead.
 */
function expectedValues(schema: IssueSchema | undefined): string | null {
  const options = schema?.anyOf
  if (!options || options.length === 0) return null
  if (options.every((o) => o.const !== undefined)) {
    return `must be one of ${options.map((o) => JSON.stringify(o.const)).join(', ')}`
  }
  const integer = options.find((o) => o.type === 'integer')
  if (integer) {
    const min = integer.minimum ?? schema?.minimum
    const max = integer.maximum ?? schema?.maximum
    const range =
      min !== undefined && max !== undefined
        ? ` from ${min} to ${max}`
        : min !== undefined
          ? ` of at least ${min}`
          : ''
    return `must be a whole number${range}`
  }
  return null
}

/**
 * Elysia checks coerced query parameters one by one (`type: 'property'`) and then reports the bad
 * value without its name; the request still has it, so find the parameter that carried that value.
 */
function queryParameterOf(value: unknown, request?: Request): string | undefined {
  if (!request || value === undefined) return undefined
  const names = [...new URL(request.url).searchParams]
    .filter(([, raw]) => raw === String(value))
    .map(([n]) => n)
  return names.length === 1 ? names[0] : undefined
}

/** Turns Elysia's validation error into one clear message naming the field, never quoting the value. */
export function describeValidation(error: unknown, request?: Request): { field?: string; message: string } {
  const candidate = error as { all?: ValidationIssue[]; type?: string; value?: unknown }
  // A body refused by the compiled check (http/body-validation.ts): Elysia saw only a stand-in.
  const checked = candidate.type === 'body' && request ? bodyIssueOf(request) : undefined
  const issues = checked ? [checked as ValidationIssue] : Array.isArray(candidate.all) ? candidate.all : []
  const first = issues[0]
  if (!first) return { message: 'the request is not valid' }
  const byProperty = candidate.type === 'property' ? queryParameterOf(candidate.value, request) : undefined
  const field = boundedField(
    byProperty ?? ((first.path ?? '').replace(/^\//, '').replace(/\//g, '.') || undefined),
  )
  const where =
    candidate.type === 'query' || byProperty
      ? 'query parameter'
      : candidate.type === 'params'
        ? 'path parameter'
        : 'field'
  if (first.message?.includes('Unexpected property') || first.summary?.includes('Unexpected property')) {
    return { field, message: `unknown ${where} "${field}"` }
  }
  const summary =
    first.type !== undefined && SUMMARY_WITHOUT_VALUE.has(first.type) ? first.summary : undefined
  const reason = expectedValues(first.schema) ?? summary ?? first.message ?? 'is invalid'
  return { field, message: field ? `${where} "${field}": ${reason}` : reason }
}

export function mapAdminError(
  code: string | number,
  error: unknown,
  log: (e: unknown) => void,
  request?: Request,
): Response {
  if (error instanceof ServiceError) return errorJson(error.status, error.code, error.message, error.field)
  if (code === 'VALIDATION') {
    const { field, message } = describeValidation(error, request)
    return errorJson(400, 'INVALID_INPUT', message, field)
  }
  if (code === 'PARSE') return errorJson(400, 'MALFORMED_BODY', 'the request body is not valid JSON')
  if (code === 'NOT_FOUND') return errorJson(404, 'NOT_FOUND', 'no such route')
  log(error)
  return errorJson(500, 'INTERNAL', 'something went wrong on our side; the details are in the server log')
}
