/**
 * Renders a resolved filter (`Condition`, ./condition.ts) as one engine's SQL condition with its
 * bound values. The shape of the SQL — parentheses, `AND`/`OR`, which column is compared with which
 * placeholder — is the same on every engine and lives here; a `Dialect` supplies only the pieces an
 * engine spells differently (placeholders, JSON element access, substring search, collation).
 * Values are always bound parameters, never spliced into SQL; the only text spliced in comes from
 * the attribute maps (./targets.ts).
 */
import type { Comparison, Condition } from './condition.ts'
import type { Operand, Source } from './targets.ts'

/** A WHERE condition with its bound values, in placeholder order. */
export interface SqlFilter {
  where: string
  params: Array<string | number>
}

/** Binds a value and answers its placeholder. */
export type Bind = (value: string | number) => string

export interface Dialect {
  /** The placeholder of the statement's `position`-th parameter (1-based). */
  placeholder(position: number): string
  /** True when `condition` is false or NULL. */
  notTrue(condition: string): string
  /** Lowercase of text, ASCII only on every engine (as SQLite's lower()). */
  lower(text: string): string
  /** Text made to compare (`<`, `>`) byte by byte. */
  bytewise(text: string): string
  contains(text: string, bind: Bind, value: string): string
  startsWith(text: string, bind: Bind, value: string): string
  endsWith(text: string, bind: Bind, value: string): string
  /** `EXISTS` over the elements of a JSON array member of a row's stored resource. */
  jsonElements(column: string, member: string, inner: string): string
  /** A member of the current element as text: NULL unless the element is an object holding it. */
  elementText(member: string): string
  /** A member of the current element as SQLite's json_extract gives a JSON boolean: 1 or 0. */
  elementFlag(member: string): string
}

class Renderer {
  readonly params: Array<string | number> = []
  constructor(
    private readonly dialect: Dialect,
    private readonly first: number,
  ) {}

  readonly bind: Bind = (value) => {
    this.params.push(value)
    return this.dialect.placeholder(this.first + this.params.length - 1)
  }

  render(condition: Condition): string {
    const d = this.dialect
    switch (condition.kind) {
      case 'and':
        return `(${this.render(condition.left)} AND ${this.render(condition.right)})`
      case 'or':
        return `(${this.render(condition.left)} OR ${this.render(condition.right)})`
      case 'not':
        return d.notTrue(this.render(condition.condition))
      case 'present': {
        const value = this.operand(condition.operand)
        return condition.text ? `(${value} IS NOT NULL AND ${value} <> '')` : `(${value} IS NOT NULL)`
      }
      case 'isNull':
        return `(${this.operand(condition.operand)} IS ${condition.negated ? 'NOT ' : ''}NULL)`
      case 'compare':
        return this.compare(condition)
      case 'match': {
        const raw = this.operand(condition.operand)
        const text = condition.fold ? d.lower(raw) : raw
        return `(${d[condition.how](text, this.bind, condition.value)})`
      }
      case 'exists':
        return this.exists(condition.source, this.render(condition.condition))
      case 'template':
        return condition.sql(this.bind(condition.value))
    }
  }

  private compare(condition: Extract<Condition, { kind: 'compare' }>): string {
    const raw = this.operand(condition.operand)
    let value = condition.fold ? this.dialect.lower(raw) : raw
    if (condition.text && ORDERING.has(condition.op)) value = this.dialect.bytewise(value)
    const comparison = `${value} ${condition.op} ${this.bind(condition.value)}`
    return condition.orNull ? `(${raw} IS NULL OR ${comparison})` : `(${comparison})`
  }

  private operand(operand: Operand): string {
    if (operand.kind === 'sql') return operand.sql
    return operand.as === 'text'
      ? this.dialect.elementText(operand.member)
      : this.dialect.elementFlag(operand.member)
  }

  private exists(source: Source, inner: string): string {
    return source.kind === 'rows'
      ? source.exists(inner)
      : this.dialect.jsonElements(source.column, source.member, inner)
  }
}

const ORDERING = new Set<Comparison>(['>', '>=', '<', '<='])

/** `condition` as a WHERE condition whose first placeholder is parameter number `first`. */
export function renderFilter(dialect: Dialect, condition: Condition, first = 1): SqlFilter {
  const renderer = new Renderer(dialect, first)
  return { where: renderer.render(condition), params: renderer.params }
}
