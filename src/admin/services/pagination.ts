/**
 * Opaque list cursors for the admin API: a keyset position encoded as base64url JSON, so clients
 * pass `nextCursor` back untouched and the store pages by index instead of by offset.
 */
import { invalid } from '../../errors.ts'

export const DEFAULT_LIMIT = 100
export const MAX_LIMIT = 1000

export function encodeCursor(position: unknown[]): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url')
}

/** Decodes a cursor made by `encodeCursor`; `shape` checks each element's type. */
export function decodeCursor<T extends unknown[]>(
  cursor: string | undefined,
  shape: Array<'string' | 'number'>,
): T | null {
  if (cursor === undefined || cursor === '') return null
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    value = null
  }
  if (
    !Array.isArray(value) ||
    value.length !== shape.length ||
    !value.every((v, i) => typeof v === shape[i] && (typeof v !== 'number' || Number.isFinite(v)))
  ) {
    throw invalid('cursor', 'cursor is not valid: pass the nextCursor of a previous answer unchanged')
  }
  return value as T
}

export function pageLimit(limit: number | undefined): number {
  return Math.min(MAX_LIMIT, Math.max(1, limit ?? DEFAULT_LIMIT))
}

export interface Page<T> {
  items: T[]
  nextCursor: string | null
}
