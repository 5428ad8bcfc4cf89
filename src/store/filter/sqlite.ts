/**
 * The SCIM filter on SQLite: `?` placeholders, `instr`/`substr` for substring tests, and JSON array
 * elements through `json_each` + `json_extract`. Elements are read only from an array, and a member
 * only from an element that is an object, so a malformed stored row (`"emails": "x"` from before
 * the checks in `scim/attributes.ts`) simply has no elements instead of failing the whole query.
 * SQLite's text already compares byte by byte and its lower() changes ASCII only.
 */
import type { FilterNode } from '../../scim/filter.ts'
import { resolveFilter } from './condition.ts'
import { type Dialect, renderFilter, type SqlFilter } from './render.ts'
import { TARGETS, type TargetName } from './targets.ts'

/** `$.<name>` of a json_each element, NULL unless the element is an object. */
const element = (name: string) => `(CASE WHEN e.type = 'object' THEN json_extract(e.value, '$.${name}') END)`

export const sqliteDialect: Dialect = {
  placeholder: () => '?',
  notTrue: (condition) => `NOT coalesce(${condition}, 0)`,
  lower: (text) => `lower(${text})`,
  bytewise: (text) => text,
  contains: (text, bind, value) => `instr(${text}, ${bind(value)}) > 0`,
  startsWith: (text, bind, value) => `substr(${text}, 1, length(${bind(value)})) = ${bind(value)}`,
  endsWith: (text, bind, value) => `substr(${text}, -length(${bind(value)})) = ${bind(value)}`,
  // Only an array has elements: json_each would also walk an object's members or yield a scalar.
  jsonElements: (column, member, inner) =>
    `EXISTS (SELECT 1 FROM json_each(CASE WHEN json_type(${column}, '$.${member}') = 'array' THEN ${column} END, '$.${member}') AS e WHERE ${inner})`,
  // json_extract already answers 1/0 for JSON true/false.
  elementText: element,
  elementFlag: element,
}

/** A filter on `users` or `groups` as a SQLite condition (throws 400 `invalidFilter` first). */
export function sqliteFilter(target: TargetName, node: FilterNode): SqlFilter {
  return renderFilter(sqliteDialect, resolveFilter(TARGETS[target], node))
}
