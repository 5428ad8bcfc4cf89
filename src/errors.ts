/**
 * The error every service throws for a request it refuses: an HTTP status, a stable UPPER_SNAKE code,
 * a message for people and, for bad input, the field at fault. Each surface maps it to its own
 * format (admin API JSON, a page, a CLI line); SCIM has its own error type in `scim/errors.ts`.
 */
export class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'ServiceError'
  }
}

export const invalid = (field: string, message: string) =>
  new ServiceError(400, 'INVALID_INPUT', message, field)
export const notFound = (what: string) => new ServiceError(404, 'NOT_FOUND', `${what} not found`)
export const conflict = (code: string, message: string, field?: string) =>
  new ServiceError(409, code, message, field)
