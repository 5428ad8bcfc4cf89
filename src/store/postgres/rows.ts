/**
 * Rows from Bun.sql in the shapes bun:sqlite gives, so repositories on both engines return the same
 * plain rows. The one difference that matters is BIGINT (`int8`): Bun.sql returns it as a string (or,
 * with `bigint: true`, as a BigInt for every int8, `count(*)` included), where SQLite gives numbers.
 * Our BIGINTs are Unix milliseconds, feed numbers and counts, all far below 2^53, so they become
 * numbers here — by the column types the server reports with each result (OID 20), once per column,
 * not by guessing from values. A value past 2^53 is refused rather than rounded.
 */
import type { SQL } from 'bun'

/** PostgreSQL's type OID of `int8` / BIGINT (pg_type.oid, fixed since forever). */
const INT8 = 20

/** The rows of `result` with every BIGINT column as a number (null stays null). */
export function decodeRows<T extends Record<string, unknown>>(
  result: T[] & Partial<SQL.ResultMetadata>,
): T[] {
  const wide = (result.columns ?? []).filter((column) => column.type === INT8).map((column) => column.name)
  if (wide.length === 0) return result
  for (const row of result) {
    const record = row as Record<string, unknown>
    for (const name of wide) {
      const value = record[name]
      if (value === null || value === undefined) continue
      const number = Number(value)
      if (!Number.isSafeInteger(number))
        throw new RangeError(`BIGINT ${name} = ${String(value)} exceeds 2^53`)
      record[name] = number
    }
  }
  return result
}
