/**
 * The PATCH engine (RFC 7644 §3.5.2) for every form Okta and Entra ID send: operations without a
 * path carrying an attribute object (also with dotted or URN-prefixed keys), dotted paths
 * (`name.givenName`), value-filter paths (`emails[type eq "work"].value`, `members[value eq "…"]`),
 * enterprise-extension paths, capitalised `op` names and "True"/"False" strings. Operations apply
 * in order to a copy of the resource, so a failing operation leaves nothing half-applied. Group
 * members are not part of the stored JSON: member operations come out as a list of deltas the
 * service applies to the membership table inside the same transaction.
 *
 * Cost: every step is linear in what it touches. Paths are at most MAX_PATH_LENGTH characters, a
 * multi-valued value at most RESOURCE_LIMITS.multiValued elements, and merges dedupe through a Set
 * keyed by (value, type), so a PATCH near the body limit cannot turn into quadratic work.
 */
import { checkValueNames, isObject } from './attributes.ts'
import { invalidPath, invalidSyntax, invalidValue, ScimError } from './errors.ts'
import { type FilterNode, matchesElement, parseFilter } from './filter.ts'
import { type PatchRequest, RESOURCE_LIMITS } from './model.ts'
import type { Json } from './resources.ts'

/** As long as a filter (2048): a path is an attribute name plus at most one value filter. */
export const MAX_PATH_LENGTH = 2048

export type PatchOpName = 'add' | 'remove' | 'replace'

export interface PatchPath {
  /** Extension schema URN when the path names one (`urn:…:enterprise:2.0:User:department`). */
  uri?: string
  /** Attribute name as sent; empty when the path is just an extension URN. */
  attribute: string
  filter?: FilterNode
  sub?: string
  text: string
}

export interface PatchOperation {
  op: PatchOpName
  path: PatchPath | null
  value: unknown
}

/** A change to a group's member list, in request order. */
export type MemberChange =
  | { kind: 'add'; ids: string[] }
  | { kind: 'remove'; ids: string[] }
  | { kind: 'removeAll' }
  | { kind: 'removeWhere'; filter: FilterNode }
  | { kind: 'replace'; ids: string[] }

const CORE_URIS = /^urn:ietf:params:scim:schemas:core:2\.0:(user|group)$/i
const NAME = /^[A-Za-z$][\w$-]*$/
/** Read-only or never-stored attributes: a PATCH touching them is ignored (Okta sends the group id). */
const IGNORED = new Set(['id', 'meta', 'schemas', 'groups', 'password'])

export function parsePatchPath(text: string, extensions: string[]): PatchPath {
  if (text.length > MAX_PATH_LENGTH) {
    throw invalidPath(`a path is ${text.length} characters long; at most ${MAX_PATH_LENGTH} are accepted`)
  }
  let rest = text.trim()
  let uri: string | undefined
  if (/^urn:/i.test(rest)) {
    const known = extensions.find(
      (urn) =>
        rest.toLowerCase() === urn.toLowerCase() || rest.toLowerCase().startsWith(`${urn.toLowerCase()}:`),
    )
    if (known) {
      uri = known
      rest = rest.slice(known.length + 1)
    } else {
      const bracket = rest.indexOf('[')
      const head = bracket < 0 ? rest : rest.slice(0, bracket)
      const colon = head.lastIndexOf(':')
      const prefix = rest.slice(0, colon)
      rest = rest.slice(colon + 1)
      if (!CORE_URIS.test(prefix)) uri = prefix
    }
  }
  if (uri !== undefined && rest === '') return { uri, attribute: '', text }
  let filter: FilterNode | undefined
  let sub: string | undefined
  let attribute = rest
  const open = rest.indexOf('[')
  if (open >= 0) {
    const close = rest.lastIndexOf(']')
    if (close < open) throw invalidPath(`"${text}" has an unclosed "["`)
    attribute = rest.slice(0, open)
    try {
      filter = parseFilter(rest.slice(open + 1, close))
    } catch (error) {
      throw invalidPath(`"${text}": ${error instanceof ScimError ? error.detail : 'invalid value filter'}`)
    }
    const after = rest.slice(close + 1)
    if (after !== '') {
      if (!after.startsWith('.') || !NAME.test(after.slice(1)))
        throw invalidPath(`"${text}" is not a valid path`)
      sub = after.slice(1)
    }
  } else {
    const dot = rest.indexOf('.')
    if (dot >= 0) {
      attribute = rest.slice(0, dot)
      sub = rest.slice(dot + 1)
      if (!NAME.test(sub)) throw invalidPath(`"${text}" is not a valid path`)
    }
  }
  if (!NAME.test(attribute)) throw invalidPath(`"${text}" is not a valid path`)
  const path: PatchPath = { attribute, text }
  if (uri !== undefined) path.uri = uri
  if (filter) path.filter = filter
  if (sub !== undefined) path.sub = sub
  return path
}

/** Validated operations with lower-case `op` and parsed paths. */
export function parseOperations(request: PatchRequest, extensions: string[]): PatchOperation[] {
  return request.Operations.map((operation, index) => {
    const op = String(operation.op).toLowerCase()
    if (op !== 'add' && op !== 'remove' && op !== 'replace') {
      throw invalidSyntax(`Operations[${index}].op "${operation.op}" is not add, remove or replace`)
    }
    const path =
      typeof operation.path === 'string' && operation.path.trim() !== ''
        ? parsePatchPath(operation.path, extensions)
        : null
    if (!path && op === 'remove')
      throw new ScimError(400, `Operations[${index}]: remove needs a path`, 'noTarget')
    if (
      !path &&
      (typeof operation.value !== 'object' || operation.value === null || Array.isArray(operation.value))
    ) {
      throw invalidValue(`Operations[${index}]: without a path, value must be an object of attributes`)
    }
    if (op !== 'remove' && operation.value === undefined)
      throw invalidValue(`Operations[${index}]: ${op} needs a value`)
    // A list longer than any attribute may hold is refused before its elements are walked (members
    // have their own bounds, in scim/groups.ts).
    if (
      path &&
      Array.isArray(operation.value) &&
      operation.value.length > RESOURCE_LIMITS.multiValued &&
      path.attribute.toLowerCase() !== 'members'
    ) {
      boundedList(operation.value, path.attribute)
    }
    if (path) checkValueNames(operation.value, '')
    else checkPathKeys(operation.value as Json, index)
    return { op, path, value: operation.value }
  })
}

/** Keys of a path-less value are paths (`name.givenName`): one spelling each, names well-formed. */
function checkPathKeys(value: Json, index: number): void {
  const seen = new Map<string, string>()
  for (const key of Object.keys(value)) {
    const earlier = seen.get(key.toLowerCase())
    if (earlier !== undefined) {
      throw invalidSyntax(
        `Operations[${index}].value: "${earlier}" and "${key}" name the same attribute; attribute names are case-insensitive (RFC 7643 §2.1)`,
      )
    }
    seen.set(key.toLowerCase(), key)
    checkValueNames(value[key], `${key}.`)
  }
}

/** The key naming `name` in `container`, in any case; only own keys, never the prototype's. */
function keyOf(container: Json, name: string, names: ReadonlyMap<string, string>): string {
  if (Object.hasOwn(container, name)) return name
  const lower = name.toLowerCase()
  for (const key of Object.keys(container)) if (key.toLowerCase() === lower) return key
  return names.get(lower) ?? name
}

/** Identity of a multi-valued element for dedupe: (value, type) ignoring case, else its JSON. */
function elementKey(element: unknown): string {
  if (isObject(element) && Object.hasOwn(element, 'value')) {
    const type = Object.hasOwn(element, 'type') ? element.type : null
    return `v\u0000${String(element.value).toLowerCase()}\u0000${JSON.stringify(type ?? null)}`
  }
  return `j\u0000${JSON.stringify(element)}`
}

function boundedList(list: unknown[], what: string): unknown[] {
  if (list.length > RESOURCE_LIMITS.multiValued) {
    throw invalidValue(
      `"${what}" would hold ${list.length} values; at most ${RESOURCE_LIMITS.multiValued} are accepted`,
    )
  }
  return list
}

/** `type eq "work" and primary eq true` → { type: "work", primary: true }: the element a filter implies. */
function impliedElement(filter: FilterNode): Json {
  if (filter.kind === 'and') return { ...impliedElement(filter.left), ...impliedElement(filter.right) }
  if (filter.kind === 'compare' && filter.op === 'eq' && filter.value !== null)
    return { [filter.path.sub ?? filter.path.name]: filter.value }
  throw new ScimError(400, 'the value filter matches no element and does not say which to create', 'noTarget')
}

interface Target {
  container: Json
  key: string
}

export class JsonPatcher {
  constructor(
    readonly resource: Json,
    private readonly names: Map<string, string>,
    private readonly extensions: string[],
    private readonly onMembers?: (op: PatchOpName, path: PatchPath | null, value: unknown) => void,
  ) {}

  apply(operation: PatchOperation): void {
    if (operation.path) this.at(operation.op, operation.path, operation.value)
    else this.withoutPath(operation.op, operation.value as Json)
  }

  /** `{"op":"replace","value":{"active":false,"name.givenName":"Ann","urn:…:User:department":"R&D"}}` */
  private withoutPath(op: PatchOpName, value: Json): void {
    for (const [key, v] of Object.entries(value)) {
      // An extension object: a known URN, or one whose last segment is a resource type (`…:2.0:User`).
      const extension =
        this.extensions.find((urn) => urn.toLowerCase() === key.toLowerCase()) ??
        (/^urn:.*:[A-Z][^:.]*$/.test(key) ? key : undefined)
      if (extension && isObject(v)) {
        for (const [sub, subValue] of Object.entries(v))
          this.at(op, { uri: extension, attribute: sub, text: `${key}:${sub}` }, subValue)
      } else this.at(op, parsePatchPath(key, this.extensions), v)
    }
  }

  private target(path: PatchPath, create: boolean): Target | null {
    if (path.uri === undefined)
      return { container: this.resource, key: keyOf(this.resource, path.attribute, this.names) }
    const uriKey = keyOf(this.resource, path.uri, this.names)
    if (path.attribute === '') return { container: this.resource, key: uriKey }
    let extension = this.resource[uriKey]
    if (!isObject(extension)) {
      if (!create) return null
      extension = {}
      this.resource[uriKey] = extension
    }
    return { container: extension as Json, key: keyOf(extension as Json, path.attribute, new Map()) }
  }

  private at(op: PatchOpName, path: PatchPath, value: unknown): void {
    const attribute = path.attribute.toLowerCase()
    if (path.uri === undefined && attribute === 'members' && this.onMembers) {
      this.onMembers(op, path, value)
      return
    }
    if (path.uri === undefined && IGNORED.has(attribute)) return
    if (value === null && op !== 'remove') {
      this.at('remove', path, undefined)
      return
    }
    const target = this.target(path, op !== 'remove')
    if (!target) return
    if (path.filter) this.filtered(op, target, path, value)
    else if (path.sub !== undefined) this.subAttribute(op, target, path.sub, value)
    else this.whole(op, target, value)
  }

  private whole(op: PatchOpName, { container, key }: Target, value: unknown): void {
    const existing = container[key]
    if (op === 'remove') {
      if (Array.isArray(existing) && value !== undefined) {
        // Entra ID: {"op":"Remove","path":"emails","value":[{"value":"…"}]} removes those elements.
        const gone = new Set(boundedList(Array.isArray(value) ? value : [value], key).map(elementKey))
        const kept = existing.filter((item) => !gone.has(elementKey(item)))
        if (kept.length > 0) container[key] = kept
        else delete container[key]
      } else delete container[key]
      return
    }
    if (Array.isArray(existing) || Array.isArray(value)) {
      const incoming = boundedList(Array.isArray(value) ? value : [value], key)
      if (op === 'replace' || !Array.isArray(existing)) container[key] = incoming
      else {
        const present = new Set(existing.map(elementKey))
        const added = incoming.filter((item) => {
          const k = elementKey(item)
          if (present.has(k)) return false
          present.add(k)
          return true
        })
        // Checked after every operation, so 1,000 operations cannot grow a list step by step.
        container[key] = boundedList([...existing, ...added], key)
      }
      return
    }
    if (isObject(existing) && isObject(value)) {
      // add and replace both merge sub-attributes into a complex attribute (RFC 7644 §3.5.2.1/.3).
      container[key] = { ...existing, ...value }
      return
    }
    container[key] = value
  }

  private subAttribute(op: PatchOpName, { container, key }: Target, sub: string, value: unknown): void {
    const existing = container[key]
    if (Array.isArray(existing)) {
      // `emails.value` on a multi-valued attribute: RFC-wise ambiguous, Okta-wise "the primary one".
      const element = (existing.find((e) => isObject(e) && e.primary === true) ?? existing[0]) as
        | Json
        | undefined
      if (op === 'remove') {
        for (const item of existing) if (isObject(item)) delete item[keyOf(item, sub, new Map())]
      } else if (element) element[keyOf(element, sub, new Map())] = value
      else container[key] = [{ [sub]: value }]
      return
    }
    if (op === 'remove') {
      if (isObject(existing)) {
        delete existing[keyOf(existing, sub, new Map())]
        if (Object.keys(existing).length === 0) delete container[key]
      }
      return
    }
    const complex = isObject(existing) ? existing : {}
    complex[keyOf(complex, sub, new Map())] = value
    container[key] = complex
  }

  private filtered(op: PatchOpName, { container, key }: Target, path: PatchPath, value: unknown): void {
    const filter = path.filter as FilterNode
    const existing = container[key]
    const list = Array.isArray(existing) ? existing : existing === undefined ? [] : null
    if (!list) throw invalidPath(`"${path.text}": ${key} is not multi-valued`)
    const matches = list.filter((item) => isObject(item) && matchesElement(filter, item)) as Json[]
    if (op === 'remove') {
      if (path.sub !== undefined) for (const item of matches) delete item[keyOf(item, path.sub, new Map())]
      else {
        const matched = new Set<unknown>(matches)
        const kept = list.filter((item) => !matched.has(item))
        if (kept.length > 0) container[key] = kept
        else delete container[key]
      }
      return
    }
    if (matches.length === 0) {
      // Entra ID adds/replaces `emails[type eq "work"].value` on users that have no work email yet.
      const created = impliedElement(filter)
      if (path.sub !== undefined) created[path.sub] = value
      else if (isObject(value)) Object.assign(created, value)
      else throw invalidValue(`"${path.text}": value must be an object`)
      container[key] = boundedList([...list, created], key)
      return
    }
    for (const item of matches) {
      if (path.sub !== undefined) item[keyOf(item, path.sub, new Map())] = value
      else if (isObject(value)) Object.assign(item, value)
      else throw invalidValue(`"${path.text}": value must be an object`)
    }
  }
}

/** Member ids from a PATCH value: `[{"value":"id"}]`, one object, or bare id strings. */
export function memberIds(value: unknown, where: string): string[] {
  const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value]
  return list.map((item, index) => {
    const id = typeof item === 'string' ? item : isObject(item) ? item.value : undefined
    if (typeof id !== 'string' || id === '')
      throw invalidValue(`${where}[${index}].value must be a user id string`)
    return id
  })
}

/** The ids a `members[…]` filter names when it is `value eq "a" or value eq "b"`; otherwise null. */
export function idsNamedBy(filter: FilterNode): string[] | null {
  if (filter.kind === 'or') {
    const left = idsNamedBy(filter.left)
    const right = idsNamedBy(filter.right)
    return left && right ? [...left, ...right] : null
  }
  if (
    filter.kind === 'compare' &&
    filter.op === 'eq' &&
    typeof filter.value === 'string' &&
    (filter.path.sub ?? filter.path.name).toLowerCase() === 'value'
  ) {
    return [filter.value]
  }
  return null
}

/** Turns one member-targeting operation into member changes. */
export function memberChange(op: PatchOpName, path: PatchPath | null, value: unknown): MemberChange {
  if (path?.sub !== undefined) throw invalidPath(`"${path.text}": member sub-attributes cannot be patched`)
  if (path?.filter) {
    if (op !== 'remove') throw invalidPath(`"${path.text}": use add with path "members" to add members`)
    const ids = idsNamedBy(path.filter)
    return ids ? { kind: 'remove', ids } : { kind: 'removeWhere', filter: path.filter }
  }
  if (op === 'add') return { kind: 'add', ids: memberIds(value, 'members') }
  if (op === 'replace') return { kind: 'replace', ids: memberIds(value, 'members') }
  return value === undefined ? { kind: 'removeAll' } : { kind: 'remove', ids: memberIds(value, 'members') }
}
