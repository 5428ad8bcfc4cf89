/**
 * The errors of the store contract. Engines translate their own errors into these, so a feature
 * never matches an engine's message or code: a unique index that refused a row is a
 * `UniqueViolation` on SQLite and on PostgreSQL alike. Busy databases and serialization failures
 * are retried inside the store; what still escapes is a `StoreBusy`.
 */

export class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'StoreError'
  }
}

/** A write broke a unique index (userName, email, group displayName, a slug …). */
export class UniqueViolation extends StoreError {
  constructor(
    /** The index or constraint when the engine names it (for logs, not for decisions). */
    readonly constraint: string | null,
    options?: { cause?: unknown },
  ) {
    super(`unique constraint violated${constraint ? ` (${constraint})` : ''}`, options)
    this.name = 'UniqueViolation'
  }
}

/** The database stayed locked (or kept failing serialization) past the store's own retries. */
export class StoreBusy extends StoreError {
  constructor(message = 'the database is busy', options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'StoreBusy'
  }
}

/** The store was used in a way that would deadlock or leak a transaction (a programming error). */
export class StoreMisuse extends StoreError {
  constructor(message: string) {
    super(message)
    this.name = 'StoreMisuse'
  }
}
