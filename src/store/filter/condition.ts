/**
 * The engine-neutral half of the SCIM filter compiler: a parsed filter (the AST of
 * `scim/filter.ts`) is checked against the attributes a target can filter on (./targets.ts) and
 * turned into a `Condition`, a small tree that says what to compare, how, and with which value, but
 * not how an engine spells it. Each engine renders that tree (./render.ts with ./sqlite.ts or
 * ./postgres.ts), so everything a client can get wrong — an unknown attribute, a boolean compared
 * with a string, a date that does not parse — is a 400 `invalidFilter` raised here, before any SQL
 * exists, with the same message on both engines.
 *
 * Null semantics: SCIM says a comparison with a missing attribute is false, SQL says NULL. A `not`
 * therefore counts NULL as false (its operand "is not true"), so NULL behaves as false everywhere
 * while plain conditions like `u.user_name_lower = ?` stay index-friendly.
 *
 * The maps are looked up only through `own()`: a filter on `constructor` or `toString` is an
 * unsupported attribute (400), never Object.prototype's function.
 */
import { own } from '../../scim/attributes.ts'
import { invalidFilter } from '../../scim/errors.ts'
import { type AttrPath, type CompareOp, type FilterNode, formatPath } from '../../scim/filter.ts'
import type { Column, Operand, Source, Target } from './targets.ts'

export type Comparison = '=' | '<>' | '>' | '>=' | '<' | '<='

export type Condition =
  | { kind: 'and' | 'or'; left: Condition; right: Condition }
  /** True when `condition` is false or unknown (NULL): SCIM's "not". */
  | { kind: 'not'; condition: Condition }
  /** `pr`: not NULL, and for text also not empty. */
  | { kind: 'present'; operand: Operand; text: boolean }
  | { kind: 'isNull'; operand: Operand; negated: boolean }
  /**
   * `operand op value`. `fold`: the operand is lowered before comparing (the value already is).
   * `text`: a text comparison, so ordering follows bytes on both engines. `orNull`: a missing value
   * also matches (`ne` on text).
   */
  | {
      kind: 'compare'
      operand: Operand
      op: Comparison
      value: string | number
      fold: boolean
      text: boolean
      orNull: boolean
    }
  /** `co` / `sw` / `ew` on text, with a non-empty value. */
  | {
      kind: 'match'
      operand: Operand
      how: 'contains' | 'startsWith' | 'endsWith'
      value: string
      fold: boolean
    }
  /** True when some element of `source` satisfies `condition`. */
  | { kind: 'exists'; source: Source; condition: Condition }
  /** SQL both engines share, with one bound value (`g.id IN (… m.user_id = ?)`). */
  | { kind: 'template'; sql: (placeholder: string) => string; value: string }

const COMPARISONS: Record<Exclude<CompareOp, 'co' | 'sw' | 'ew'>, Comparison> = {
  eq: '=',
  ne: '<>',
  gt: '>',
  ge: '>=',
  lt: '<',
  le: '<=',
}

const MATCHES = { co: 'contains', sw: 'startsWith', ew: 'endsWith' } as const

type Leaf = Extract<FilterNode, { kind: 'present' | 'compare' }>

class Resolver {
  constructor(private readonly target: Target) {}

  resolve(node: FilterNode): Condition {
    switch (node.kind) {
      case 'and':
      case 'or':
        return { kind: node.kind, left: this.resolve(node.left), right: this.resolve(node.right) }
      case 'not':
        return { kind: 'not', condition: this.resolve(node.filter) }
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

  private attribute(node: Leaf): Condition {
    const key = this.key(node.path)
    const column = own(this.target.columns, key)
    if (column) return leaf(column, node, formatPath(node.path))
    const equalsOnly = this.target.equalsOnly ? own(this.target.equalsOnly, key) : undefined
    if (equalsOnly && node.kind === 'compare' && node.op === 'eq' && typeof node.value === 'string') {
      return { kind: 'template', sql: equalsOnly, value: node.value }
    }
    const [name, sub] = key.split('.') as [string, string | undefined]
    const multi = own(this.target.multi, name)
    if (multi && sub) {
      // `emails.type eq "work"`: true when any element matches.
      const inner = own(multi.columns, sub)
      if (inner) {
        return { kind: 'exists', source: multi.source, condition: leaf(inner, node, formatPath(node.path)) }
      }
    }
    throw unsupported(node.path)
  }

  private valuePath(path: AttrPath, filter: FilterNode): Condition {
    const multi = own(this.target.multi, this.key(path))
    if (!multi) throw unsupported(path)
    const inner = new Resolver({ coreUri: this.target.coreUri, columns: multi.columns, multi: {} })
    const exists: Condition = { kind: 'exists', source: multi.source, condition: inner.resolve(filter) }
    const narrowing = multi.narrow ? equalityOn(filter, 'value') : undefined
    if (!multi.narrow || narrowing === undefined) return exists
    // `emails[… and value eq "x"]` also narrows by the indexed primary email.
    const narrow: Condition = {
      kind: 'compare',
      operand: multi.narrow.operand,
      op: '=',
      value: narrowing.toLowerCase(),
      fold: false,
      text: true,
      orNull: false,
    }
    return { kind: 'and', left: narrow, right: exists }
  }
}

function leaf(column: Column, node: Leaf, name: string): Condition {
  const operand = column.operand
  if (node.kind === 'present') return { kind: 'present', operand, text: column.type === 'string' }
  const { op, value } = node
  if (value === null) {
    if (op === 'eq') return { kind: 'isNull', operand, negated: false }
    if (op === 'ne') return { kind: 'isNull', operand, negated: true }
    throw invalidFilter(`"${name} ${op} null": null compares only with eq and ne`)
  }
  const plain = { kind: 'compare', operand, fold: false, text: false, orNull: false } as const
  if (column.type === 'boolean') {
    if (typeof value !== 'boolean' || (op !== 'eq' && op !== 'ne')) {
      throw invalidFilter(`"${name}" is a boolean: use ${name} eq true or ${name} eq false`)
    }
    return { ...plain, op: COMPARISONS[op], value: value ? 1 : 0 }
  }
  if (column.type === 'date') {
    const at = typeof value === 'string' ? Date.parse(value) : Number.NaN
    if (Number.isNaN(at))
      throw invalidFilter(`"${name}" compares with a date-time string, e.g. "2024-05-01T00:00:00Z"`)
    if (op === 'co' || op === 'sw' || op === 'ew')
      throw invalidFilter(`"${op}" does not apply to the date "${name}"`)
    return { ...plain, op: COMPARISONS[op], value: at }
  }
  if (typeof value !== 'string') throw invalidFilter(`"${name}" compares with a "quoted string"`)
  const fold = column.text === 'fold'
  const comparand = column.text === 'exact' ? value : value.toLowerCase()
  if (op === 'co' || op === 'sw' || op === 'ew') {
    // Every string contains, starts and ends with "": only a missing value fails.
    if (comparand === '') return { kind: 'isNull', operand, negated: true }
    return { kind: 'match', operand, how: MATCHES[op], value: comparand, fold }
  }
  return { ...plain, op: COMPARISONS[op], value: comparand, fold, text: true, orNull: op === 'ne' }
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

/** Checks `node` against `target` and resolves it; throws a 400 `invalidFilter` ScimError. */
export function resolveFilter(target: Target, node: FilterNode): Condition {
  return new Resolver(target).resolve(node)
}
