/**
 * Compiles a parsed SCIM filter to a parameterized SQL condition over the directory's indexed
 * columns (`scim_users` as `u`, `scim_groups` as `g`), so a list never loads rows to filter them.
 * The attribute maps below are the complete list of filterable attributes; anything else is a 400
 * `invalidFilter` naming the attribute. Values are always bound parameters, never spliced into SQL.
 *
 * Null semantics: SCIM says a comparison with a missing attribute is false, SQL says NULL. Every
 * `not` wraps its operand in `coalesce(…, 0)`, so NULL behaves as false everywhere while plain
 * conditions like `u.user_name_lower = ?` stay index-friendly.
 *
 * The maps are looked up only through `own()`: a filter on `constructor` or `toString` is an
 * unsupported attribute (400), never Object.prototype's function. Element columns read a JSON
 * element only when it is an object, so a malformed stored row (`"emails": "x"` from before the
 * checks in `attributes.ts`) simply does not match instead of failing the whole query.
 */
import type { SqlFilter } from '../store/scim.ts'
import { own } from './attributes.ts'
import { invalidFilter } from './errors.ts'
import { type AttrPath, type CompareOp, type FilterNode, formatPath } from './filter.ts'

type ColumnType = 'string' | 'boolean' | 'date'

interface Column {
  sql: string
  type: ColumnType
  /** How stored text compares: `lowered` columns hold lowercase, `exact` compare as is, `fold` via lower(). */
  text?: 'lowered' | 'exact' | 'fold'
}

interface Target {
  /** Plain attributes, keyed by lowercase `name` or `name.sub`. */
  columns: Record<string, Column>
  /** Multi-valued attributes filtered element by element: `emails[type eq "work"]`. */
  multi: Record<
    string,
    { exists: (inner: string) => string; columns: Record<string, Column>; narrow?: Column }
  >
  /** Attributes only comparable with `eq` through a sub-query (group members). */
  equalsOnly?: Record<string, (placeholder: string) => string>
  coreUri: string
}

const created = (alias: string): Column => ({ sql: `${alias}.created_at`, type: 'date' })
const updated = (alias: string): Column => ({ sql: `${alias}.updated_at`, type: 'date' })
const exact = (sql: string): Column => ({ sql, type: 'string', text: 'exact' })
const lowered = (sql: string): Column => ({ sql, type: 'string', text: 'lowered' })
const fold = (sql: string): Column => ({ sql, type: 'string', text: 'fold' })

const emailLower = lowered('u.email_lower')
/** `$.<name>` of a json_each element, NULL unless the element is an object. */
const element = (name: string) => `(CASE WHEN e.type = 'object' THEN json_extract(e.value, '$.${name}') END)`

export const USER_TARGET: Target = {
  coreUri: 'urn:ietf:params:scim:schemas:core:2.0:user',
  columns: {
    id: exact('u.id'),
    username: lowered('u.user_name_lower'),
    externalid: exact('u.external_id'),
    displayname: fold('u.display_name'),
    'name.givenname': fold('u.given_name'),
    'name.familyname': fold('u.family_name'),
    active: { sql: 'u.active', type: 'boolean' },
    // Okta's "email" unique identifier: the user's primary (or first) email, indexed.
    email: emailLower,
    emails: emailLower,
    'emails.value': emailLower,
    'meta.created': created('u'),
    'meta.lastmodified': updated('u'),
    // Lets a root `/.search` ask for one resource type.
    'meta.resourcetype': exact("'User'"),
  },
  multi: {
    emails: {
      exists: (inner) => `EXISTS (SELECT 1 FROM json_each(u.resource, '$.emails') AS e WHERE ${inner})`,
      columns: {
        value: fold(element('value')),
        type: fold(element('type')),
        display: fold(element('display')),
        primary: { sql: element('primary'), type: 'boolean' },
      },
      // `emails[… and value eq "x"]` also narrows by the indexed primary email.
      narrow: emailLower,
    },
  },
}

// Through the memberships' (user_id, group_id) index: the groups of one user, not a scan of groups.
const memberOf = (placeholder: string) =>
  `g.id IN (SELECT m.group_id FROM scim_memberships m WHERE m.user_id = ${placeholder})`

export const GROUP_TARGET: Target = {
  coreUri: 'urn:ietf:params:scim:schemas:core:2.0:group',
  columns: {
    id: exact('g.id'),
    displayname: lowered('g.display_name_lower'),
    externalid: exact('g.external_id'),
    'meta.created': created('g'),
    'meta.lastmodified': updated('g'),
    'meta.resourcetype': exact("'Group'"),
  },
  multi: {
    members: {
      exists: (inner) => `EXISTS (SELECT 1 FROM scim_memberships m WHERE m.group_id = g.id AND ${inner})`,
      columns: { value: exact('m.user_id') },
    },
  },
  equalsOnly: { members: memberOf, 'members.value': memberOf },
}

class Compiler {
  readonly params: Array<string | number> = []
  constructor(private readonly target: Target) {}

  compile(node: FilterNode): string {
    switch (node.kind) {
      case 'and':
        return `(${this.compile(node.left)} AND ${this.compile(node.right)})`
      case 'or':
        return `(${this.compile(node.left)} OR ${this.compile(node.right)})`
      case 'not':
        return `NOT coalesce(${this.compile(node.filter)}, 0)`
      case 'valuePath':
        return this.valuePath(node.path, node.filter)
      case 'present':
      case 'compare':
        return this.attribute(node)
    }
  }

  private key(path: AttrPath): string {
    if (path.uri && path.uri.toLowerCase() !== this.target.coreUri) {
      throw invalidFilter(`filtering on "${formatPath(path)}" is not supported`)
    }
    return (path.sub ? `${path.name}.${path.sub}` : path.name).toLowerCase()
  }

  private attribute(node: Extract<FilterNode, { kind: 'present' | 'compare' }>): string {
    const key = this.key(node.path)
    const column = own(this.target.columns, key)
    if (column) return this.leaf(column, node, formatPath(node.path))
    const equalsOnly = this.target.equalsOnly ? own(this.target.equalsOnly, key) : undefined
    if (equalsOnly && node.kind === 'compare' && node.op === 'eq' && typeof node.value === 'string') {
      this.params.push(node.value)
      return equalsOnly('?')
    }
    const [name, sub] = key.split('.') as [string, string | undefined]
    const multi = own(this.target.multi, name)
    if (multi && sub) {
      // `emails.type eq "work"`: true when any element matches.
      const inner = own(multi.columns, sub)
      if (inner) return multi.exists(this.leaf(inner, node, formatPath(node.path)))
    }
    throw unsupported(node.path)
  }

  private valuePath(path: AttrPath, filter: FilterNode): string {
    const multi = own(this.target.multi, this.key(path))
    if (!multi) throw unsupported(path)
    const inner = new Compiler({ coreUri: this.target.coreUri, columns: multi.columns, multi: {} })
    const condition = multi.exists(inner.compile(filter))
    const narrowing = multi.narrow ? equalityOn(filter, 'value') : undefined
    if (multi.narrow && typeof narrowing === 'string') {
      this.params.push(narrowing.toLowerCase(), ...inner.params)
      return `(${multi.narrow.sql} = ? AND ${condition})`
    }
    this.params.push(...inner.params)
    return condition
  }

  private leaf(
    column: Column,
    node: Extract<FilterNode, { kind: 'present' | 'compare' }>,
    name: string,
  ): string {
    if (node.kind === 'present') {
      return column.type === 'string'
        ? `(${column.sql} IS NOT NULL AND ${column.sql} <> '')`
        : `(${column.sql} IS NOT NULL)`
    }
    const { op, value } = node
    if (value === null) {
      if (op === 'eq') return `(${column.sql} IS NULL)`
      if (op === 'ne') return `(${column.sql} IS NOT NULL)`
      throw invalidFilter(`"${name} ${op} null": null compares only with eq and ne`)
    }
    if (column.type === 'boolean') {
      if (typeof value !== 'boolean' || (op !== 'eq' && op !== 'ne')) {
        throw invalidFilter(`"${name}" is a boolean: use ${name} eq true or ${name} eq false`)
      }
      this.params.push(value ? 1 : 0)
      return op === 'eq' ? `(${column.sql} = ?)` : `(${column.sql} <> ?)`
    }
    if (column.type === 'date') {
      const at = typeof value === 'string' ? Date.parse(value) : Number.NaN
      if (Number.isNaN(at))
        throw invalidFilter(`"${name}" compares with a date-time string, e.g. "2024-05-01T00:00:00Z"`)
      if (op === 'co' || op === 'sw' || op === 'ew')
        throw invalidFilter(`"${op}" does not apply to the date "${name}"`)
      this.params.push(at)
      return `(${column.sql} ${SQL_OPS[op]} ?)`
    }
    if (typeof value !== 'string') throw invalidFilter(`"${name}" compares with a "quoted string"`)
    const folded = column.text !== 'exact'
    const comparand = folded ? value.toLowerCase() : value
    const expr = column.text === 'fold' ? `lower(${column.sql})` : column.sql
    return this.text(expr, column.sql, op, comparand)
  }

  private text(expr: string, raw: string, op: CompareOp, comparand: string): string {
    if (comparand === '' && (op === 'co' || op === 'sw' || op === 'ew')) return `(${raw} IS NOT NULL)`
    switch (op) {
      case 'eq':
        this.params.push(comparand)
        return `(${expr} = ?)`
      case 'ne':
        this.params.push(comparand)
        return `(${raw} IS NULL OR ${expr} <> ?)`
      case 'co':
        this.params.push(comparand)
        return `(instr(${expr}, ?) > 0)`
      case 'sw':
        this.params.push(comparand, comparand)
        return `(substr(${expr}, 1, length(?)) = ?)`
      case 'ew':
        this.params.push(comparand, comparand)
        return `(substr(${expr}, -length(?)) = ?)`
      default:
        this.params.push(comparand)
        return `(${expr} ${SQL_OPS[op]} ?)`
    }
  }
}

const SQL_OPS: Record<CompareOp, string> = {
  eq: '=',
  ne: '<>',
  gt: '>',
  ge: '>=',
  lt: '<',
  le: '<=',
  co: '',
  sw: '',
  ew: '',
}

/** The string `x` when `filter` requires `<attribute> eq "x"` in its top-level `and` chain. */
function equalityOn(filter: FilterNode, attribute: string): string | undefined {
  if (filter.kind === 'and') return equalityOn(filter.left, attribute) ?? equalityOn(filter.right, attribute)
  if (
    filter.kind === 'compare' &&
    filter.op === 'eq' &&
    typeof filter.value === 'string' &&
    !filter.path.uri &&
    (filter.path.sub ?? filter.path.name).toLowerCase() === attribute
  ) {
    return filter.value
  }
  return undefined
}

function unsupported(path: AttrPath) {
  return invalidFilter(`filtering on "${formatPath(path)}" is not supported; see GET /Schemas and the docs`)
}

export function compileUserFilter(node: FilterNode): SqlFilter {
  const compiler = new Compiler(USER_TARGET)
  return { where: compiler.compile(node), params: compiler.params }
}

export function compileGroupFilter(node: FilterNode): SqlFilter {
  const compiler = new Compiler(GROUP_TARGET)
  return { where: compiler.compile(node), params: compiler.params }
}
