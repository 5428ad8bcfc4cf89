/**
 * The SCIM filter on PostgreSQL, giving the rows SQLite gives (./sqlite.ts) for every filter:
 * - `$n` placeholders, numbered after the statement's own parameters;
 * - `position(… IN …)` and `substring(… FROM …)` (standard SQL) where SQLite uses instr/substr;
 * - JSON array elements through `json_array_elements` over the stored resource (`resource::json`),
 *   guarded by `json_typeof` so a malformed stored row (`"emails": "x"`, from before the checks in
 *   `scim/attributes.ts`) does not match instead of failing the query, as on SQLite;
 * - `COLLATE "C"` wherever text is lowered or ordered, so lower() changes ASCII only and `<`/`>`
 *   compare bytes as SQLite does, whatever collation the database was created with.
 * PostgreSQL-specific: `::json`, `->`, `->>`, `json_typeof`, `json_array_elements` (standard SQL's
 * JSON_TABLE is not in PostgreSQL 15).
 */
import type { FilterNode } from '../../scim/filter.ts'
import { resolveFilter } from './condition.ts'
import { type Dialect, renderFilter, type SqlFilter } from './render.ts'
import { TARGETS, type TargetName } from './targets.ts'

const member = (name: string) => `e.value -> '${name}'`

export const postgresDialect: Dialect = {
  placeholder: (position) => `$${position}`,
  notTrue: (condition) => `(${condition}) IS NOT TRUE`,
  lower: (text) => `lower(${text} COLLATE "C")`,
  bytewise: (text) => `${text} COLLATE "C"`,
  contains: (text, bind, value) => `position(${bind(value)} IN ${text}) > 0`,
  startsWith: (text, bind, value) =>
    `substring(${text} FROM 1 FOR char_length(${bind(value)})) = ${bind(value)}`,
  // From the character where a suffix of the value's length starts; a shorter text never equals it.
  endsWith: (text, bind, value) =>
    `substring(${text} FROM char_length(${text}) - char_length(${bind(value)}) + 1) = ${bind(value)}`,
  jsonElements: (column, name, inner) => {
    const array = `${column}::json -> '${name}'`
    return `EXISTS (SELECT 1 FROM json_array_elements(CASE WHEN json_typeof(${array}) = 'array' THEN ${array} END) AS e(value) WHERE ${inner})`
  },
  // `->>` gives a JSON string's text and NULL for JSON null, as json_extract does.
  elementText: (name) => `(CASE WHEN json_typeof(e.value) = 'object' THEN e.value ->> '${name}' END)`,
  // As SQLite's json_extract reads a flag: a JSON boolean as 1/0, a number as itself; text (Entra
  // ID's "True" in rows stored before scim/resources.ts normalised it) as neither 0 nor 1.
  elementFlag: (name) => {
    const type = `json_typeof(${member(name)})`
    return (
      `(CASE WHEN json_typeof(e.value) = 'object' THEN CASE ` +
      `WHEN ${type} = 'boolean' THEN CASE WHEN e.value ->> '${name}' = 'true' THEN 1 ELSE 0 END ` +
      `WHEN ${type} = 'number' THEN (e.value ->> '${name}')::numeric WHEN ${type} <> 'null' THEN 0.5 END END)`
    )
  },
}

/**
 * A filter on `users` or `groups` as a PostgreSQL condition whose first placeholder is `$first`
 * (throws 400 `invalidFilter` before any SQL exists).
 */
export function postgresFilter(target: TargetName, node: FilterNode, first: number): SqlFilter {
  return renderFilter(postgresDialect, resolveFilter(TARGETS[target], node), first)
}
