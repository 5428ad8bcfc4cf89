/**
 * SCIM filter expressions (RFC 7644 §3.4.2.2): a tokenizer and a recursive-descent parser producing
 * an AST, plus an in-memory matcher used by PATCH value paths (`members[value eq "…"]`) on the
 * elements of one resource. Lists never load rows to filter them: the store compiles the same AST
 * to its engine's SQL (`store/filter/`).
 *
 * Grammar, precedence `not` > `and` > `or`, keywords and operators case-insensitive:
 *   filter    = or
 *   or        = and *("or" and)
 *   and       = unary *("and" unary)
 *   unary     = "not" "(" filter ")" / "(" filter ")" / attrExp
 *   attrExp   = attrPath ("pr" / compareOp compValue)
 *             / attrPath "[" filter "]" [ "." subAttr compareOp compValue ]
 * The trailing `.subAttr` form (`emails[type eq "work"].value eq "x"`) is what Okta sends when the
 * unique identifier is the email; it means "an element matching both".
 */
import { invalidFilter } from './errors.ts'

export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le'
export type CompareValue = string | number | boolean | null

/** `urn:…:User:name.givenName` → { uri: 'urn:…:User', name: 'name', sub: 'givenName' }. */
export interface AttrPath {
  uri?: string
  name: string
  sub?: string
}

export type FilterNode =
  | { kind: 'compare'; path: AttrPath; op: CompareOp; value: CompareValue }
  | { kind: 'present'; path: AttrPath }
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; filter: FilterNode }
  | { kind: 'valuePath'; path: AttrPath; filter: FilterNode }

const COMPARE_OPS = new Set<string>(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'])
const MAX_DEPTH = 32

type Token =
  | { type: '(' | ')' | '[' | ']'; at: number }
  | { type: 'word'; text: string; at: number }
  | { type: 'sub'; text: string; at: number }
  | { type: 'string'; value: string; at: number }
  | { type: 'number'; value: number; at: number }

const WORD = /[A-Za-z0-9_:.$-]/
const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/

export function tokenize(input: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < input.length) {
    const c = input[i] as string
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++
    } else if (c === '(' || c === ')' || c === '[' || c === ']') {
      tokens.push({ type: c, at: i })
      i++
    } else if (c === '"') {
      const end = stringEnd(input, i)
      let value: string
      try {
        value = JSON.parse(input.slice(i, end)) as string
      } catch (cause) {
        throw invalidFilter(`invalid string literal at position ${i + 1}`, cause)
      }
      tokens.push({ type: 'string', value, at: i })
      i = end
    } else if (c === '.' && tokens.at(-1)?.type === ']') {
      const start = ++i
      while (i < input.length && WORD.test(input[i] as string)) i++
      if (i === start) throw invalidFilter(`expected an attribute name after "." at position ${start + 1}`)
      tokens.push({ type: 'sub', text: input.slice(start, i), at: start })
    } else if (WORD.test(c)) {
      const start = i
      while (i < input.length && WORD.test(input[i] as string)) i++
      const text = input.slice(start, i)
      if (/^[-\d]/.test(text)) {
        if (!NUMBER.test(text)) throw invalidFilter(`"${text}" is not a number (position ${start + 1})`)
        tokens.push({ type: 'number', value: Number(text), at: start })
      } else tokens.push({ type: 'word', text, at: start })
    } else {
      throw invalidFilter(`unexpected character "${c}" at position ${i + 1}`)
    }
  }
  return tokens
}

/** Index just past the closing quote of the string starting at `start`. */
function stringEnd(input: string, start: number): number {
  let i = start + 1
  while (i < input.length) {
    const c = input[i]
    if (c === '\\') i += 2
    else if (c === '"') return i + 1
    else i++
  }
  throw invalidFilter(`unterminated string starting at position ${start + 1}`)
}

export function parseAttrPath(text: string): AttrPath {
  let uri: string | undefined
  let rest = text
  if (/^urn:/i.test(text)) {
    const colon = text.lastIndexOf(':')
    uri = text.slice(0, colon)
    rest = text.slice(colon + 1)
  }
  const parts = rest.split('.')
  const name = parts[0] ?? ''
  if (
    !/^[A-Za-z$][\w$-]*$/.test(name) ||
    parts.length > 2 ||
    (parts[1] !== undefined && !/^[A-Za-z$][\w$-]*$/.test(parts[1]))
  ) {
    throw invalidFilter(`"${text}" is not a valid attribute path`)
  }
  const path: AttrPath = { name }
  if (uri) path.uri = uri
  if (parts[1] !== undefined) path.sub = parts[1]
  return path
}

class Parser {
  private pos = 0
  constructor(private readonly tokens: Token[]) {}

  parse(): FilterNode {
    if (this.tokens.length === 0) throw invalidFilter('the filter is empty')
    const node = this.or(0, false)
    const extra = this.tokens[this.pos]
    if (extra) throw invalidFilter(`unexpected ${describe(extra)} at position ${extra.at + 1}`)
    return node
  }

  private peek(): Token | undefined {
    return this.tokens[this.pos]
  }

  private keyword(word: string): boolean {
    const token = this.peek()
    if (token?.type === 'word' && token.text.toLowerCase() === word) {
      this.pos++
      return true
    }
    return false
  }

  private expect(type: '(' | ')' | '[' | ']'): void {
    const token = this.peek()
    if (token?.type !== type) {
      throw invalidFilter(
        token
          ? `expected "${type}" but found ${describe(token)} at position ${token.at + 1}`
          : `expected "${type}" but the filter ended`,
      )
    }
    this.pos++
  }

  private or(depth: number, inValuePath: boolean): FilterNode {
    if (depth > MAX_DEPTH) throw invalidFilter(`the filter nests deeper than ${MAX_DEPTH} levels`)
    let left = this.and(depth, inValuePath)
    while (this.keyword('or')) left = { kind: 'or', left, right: this.and(depth, inValuePath) }
    return left
  }

  private and(depth: number, inValuePath: boolean): FilterNode {
    let left = this.unary(depth, inValuePath)
    while (this.keyword('and')) left = { kind: 'and', left, right: this.unary(depth, inValuePath) }
    return left
  }

  private unary(depth: number, inValuePath: boolean): FilterNode {
    const token = this.peek()
    if (
      token?.type === 'word' &&
      token.text.toLowerCase() === 'not' &&
      this.tokens[this.pos + 1]?.type === '('
    ) {
      this.pos += 2
      const filter = this.or(depth + 1, inValuePath)
      this.expect(')')
      return { kind: 'not', filter }
    }
    if (token?.type === '(') {
      this.pos++
      const filter = this.or(depth + 1, inValuePath)
      this.expect(')')
      return filter
    }
    return this.attributeExpression(depth, inValuePath)
  }

  private attributeExpression(depth: number, inValuePath: boolean): FilterNode {
    const token = this.peek()
    if (token?.type !== 'word') {
      throw invalidFilter(
        token
          ? `expected an attribute name but found ${describe(token)} at position ${token.at + 1}`
          : 'the filter ended where an attribute name was expected',
      )
    }
    this.pos++
    const path = parseAttrPath(token.text)
    if (this.peek()?.type === '[') {
      if (inValuePath) throw invalidFilter('value paths cannot be nested')
      if (path.sub)
        throw invalidFilter(`"${token.text}[…]": a value path applies to an attribute, not a sub-attribute`)
      this.pos++
      let filter = this.or(depth + 1, true)
      this.expect(']')
      const sub = this.peek()
      if (sub?.type === 'sub') {
        this.pos++
        filter = { kind: 'and', left: filter, right: this.comparison(parseAttrPath(sub.text)) }
      }
      return { kind: 'valuePath', path, filter }
    }
    return this.comparison(path)
  }

  private comparison(path: AttrPath): FilterNode {
    const opToken = this.peek()
    if (opToken?.type !== 'word') {
      throw invalidFilter(
        opToken
          ? `expected an operator after "${formatPath(path)}" at position ${opToken.at + 1}`
          : `expected an operator after "${formatPath(path)}"`,
      )
    }
    const op = opToken.text.toLowerCase()
    this.pos++
    if (op === 'pr') return { kind: 'present', path }
    if (!COMPARE_OPS.has(op)) {
      throw invalidFilter(`"${opToken.text}" is not a filter operator (eq ne co sw ew gt ge lt le pr)`)
    }
    const valueToken = this.peek()
    this.pos++
    let value: CompareValue
    if (valueToken?.type === 'string' || valueToken?.type === 'number') value = valueToken.value
    else if (valueToken?.type === 'word' && /^(true|false|null)$/i.test(valueToken.text)) {
      const word = valueToken.text.toLowerCase()
      value = word === 'null' ? null : word === 'true'
    } else {
      throw invalidFilter(
        `"${formatPath(path)} ${op}" needs a value: a "quoted string", a number, true, false or null`,
      )
    }
    return { kind: 'compare', path, op: op as CompareOp, value }
  }
}

function describe(token: Token): string {
  if (token.type === 'word' || token.type === 'sub') return `"${token.text}"`
  if (token.type === 'string') return `the string ${JSON.stringify(token.value)}`
  if (token.type === 'number') return `the number ${token.value}`
  return `"${token.type}"`
}

export function formatPath(path: AttrPath): string {
  return `${path.uri ? `${path.uri}:` : ''}${path.name}${path.sub ? `.${path.sub}` : ''}`
}

/** Parses a filter; throws a 400 `invalidFilter` ScimError naming what is wrong and where. */
export function parseFilter(source: string): FilterNode {
  return new Parser(tokenize(source)).parse()
}

/** An element's own attribute in any case (`constructor` never resolves to Object.prototype's). */
function lookup(element: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(element, name)) return element[name]
  const lower = name.toLowerCase()
  for (const key of Object.keys(element)) if (key.toLowerCase() === lower) return element[key]
  return undefined
}

function scalar(value: unknown): CompareValue | undefined {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null)
    return value
  return undefined
}

function compareScalar(actual: unknown, op: CompareOp, expected: CompareValue): boolean {
  const value = scalar(actual)
  if (value === undefined) return op === 'ne'
  if (expected === null) return op === 'eq' ? value === null : op === 'ne' ? value !== null : false
  if (typeof expected === 'boolean') {
    // Entra ID sends booleans as "True"/"False" strings.
    const asBool = typeof value === 'string' ? value.toLowerCase() === 'true' : value
    if (op === 'eq') return asBool === expected
    if (op === 'ne') return asBool !== expected
    return false
  }
  if (typeof expected === 'number') {
    const n = typeof value === 'number' ? value : Number(value)
    if (Number.isNaN(n)) return op === 'ne'
    return ordered(n, op, expected)
  }
  const a = String(value).toLowerCase()
  const b = expected.toLowerCase()
  if (op === 'co') return a.includes(b)
  if (op === 'sw') return a.startsWith(b)
  if (op === 'ew') return a.endsWith(b)
  return ordered(a, op, b)
}

function ordered<T extends string | number>(a: T, op: CompareOp, b: T): boolean {
  switch (op) {
    case 'eq':
      return a === b
    case 'ne':
      return a !== b
    case 'gt':
      return a > b
    case 'ge':
      return a >= b
    case 'lt':
      return a < b
    case 'le':
      return a <= b
    default:
      return false
  }
}

/**
 * Evaluates a filter against one element of a multi-valued attribute (e.g. one email, one member).
 * String comparisons ignore case, as the core schema's sub-attributes are not case-exact.
 */
export function matchesElement(node: FilterNode, element: Record<string, unknown>): boolean {
  switch (node.kind) {
    case 'and':
      return matchesElement(node.left, element) && matchesElement(node.right, element)
    case 'or':
      return matchesElement(node.left, element) || matchesElement(node.right, element)
    case 'not':
      return !matchesElement(node.filter, element)
    case 'present': {
      const value = lookup(element, node.path.sub ?? node.path.name)
      return value !== undefined && value !== null && value !== ''
    }
    case 'compare':
      return compareScalar(lookup(element, node.path.sub ?? node.path.name), node.op, node.value)
    case 'valuePath':
      throw invalidFilter('value paths cannot be nested')
  }
}
