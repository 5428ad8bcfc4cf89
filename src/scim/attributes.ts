/**
 * Attribute names as clients send them. RFC 7643 §2.1 makes attribute names case-insensitive, so a
 * body is first rewritten to the schema's canonical spelling (`USERNAME` → `userName`,
 * `emails[].VALUE` → `value`, the enterprise URN in any case), refusing a body that spells one
 * attribute twice (`userName` and `USERNAME`) or uses a name outside the RFC's grammar
 * (`__proto__`, `a b`). Only the canonical form is validated against the TypeBox model and
 * stored, so no case variant can slip past a check. Unknown attributes keep their spelling.
 *
 * `own()` is the one way to look a client-supplied name up in a plain object: names such as
 * `constructor` or `toString` exist on every object's prototype and must never resolve there.
 */
import { invalidSyntax, invalidValue } from './errors.ts'
import { ENTERPRISE_SCHEMA, type Json } from './model.ts'

/** The value of an own property only; never one inherited from `Object.prototype`. */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined
}

export const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

export interface AttributeSpec {
  name: string
  sub?: AttributeNames
}
/** Canonical attribute names by lowercase name (a Map: no prototype to fall back on). */
export type AttributeNames = ReadonlyMap<string, AttributeSpec>

function names(...attributes: Array<string | [string, AttributeNames]>): AttributeNames {
  return new Map(
    attributes.map((attribute) => {
      const [name, sub] = typeof attribute === 'string' ? [attribute, undefined] : attribute
      return [name.toLowerCase(), sub ? { name, sub } : { name }]
    }),
  )
}

const MULTI_VALUED = names('value', 'display', 'type', 'primary', '$ref')
const META = names('resourceType', 'created', 'lastModified', 'location', 'version')

/** The User's core and enterprise attributes, with the sub-attributes of the complex ones. */
export const USER_ATTRIBUTE_NAMES = names(
  'schemas',
  'id',
  ['meta', META],
  'userName',
  'externalId',
  ['name', names('formatted', 'familyName', 'givenName', 'middleName', 'honorificPrefix', 'honorificSuffix')],
  'displayName',
  'nickName',
  'profileUrl',
  'title',
  'userType',
  'preferredLanguage',
  'locale',
  'timezone',
  'active',
  'password',
  ['emails', MULTI_VALUED],
  ['phoneNumbers', MULTI_VALUED],
  ['ims', MULTI_VALUED],
  ['photos', MULTI_VALUED],
  [
    'addresses',
    names('formatted', 'streetAddress', 'locality', 'region', 'postalCode', 'country', 'type', 'primary'),
  ],
  ['groups', MULTI_VALUED],
  ['entitlements', MULTI_VALUED],
  ['roles', MULTI_VALUED],
  ['x509Certificates', MULTI_VALUED],
  [
    ENTERPRISE_SCHEMA,
    names('employeeNumber', 'costCenter', 'organization', 'division', 'department', [
      'manager',
      names('value', '$ref', 'displayName'),
    ]),
  ],
)

export const GROUP_ATTRIBUTE_NAMES = names('schemas', 'id', ['meta', META], 'displayName', 'externalId', [
  'members',
  MULTI_VALUED,
])

/** The SearchRequest message (RFC 7644 §3.4.3). */
export const SEARCH_ATTRIBUTE_NAMES = names(
  'schemas',
  'attributes',
  'excludedAttributes',
  'filter',
  'sortBy',
  'sortOrder',
  'startIndex',
  'count',
)

/** Lowercase → canonical top-level names, as the PATCH engine resolves paths. */
export const topLevel = (attributes: AttributeNames) =>
  new Map([...attributes].map(([lower, spec]) => [lower, spec.name]))

/** RFC 7643 §2.1: ATTRNAME = ALPHA *(nameChar), nameChar = "-" / "_" / DIGIT / ALPHA. */
const ATTRIBUTE_NAME = /^[A-Za-z][\w-]*$/
/** A schema URN as a top-level key (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`). */
const SCHEMA_URN = /^urn:[A-Za-z0-9][A-Za-z0-9-]*:[!-~]+$/i
const MAX_NAME_LENGTH = 256
/** Resources are a few levels deep (extension → manager → value); anything deeper is not SCIM. */
export const MAX_ATTRIBUTE_DEPTH = 16

/** `request`: refuse bad names and case duplicates. `stored`: drop them (rows written before the checks). */
export type NameMode = 'request' | 'stored'

const shown = (name: string) => JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name)

export function isAttributeName(name: string, topLevelKey: boolean): boolean {
  if (name.length > MAX_NAME_LENGTH) return false
  return ATTRIBUTE_NAME.test(name) || name === '$ref' || (topLevelKey && SCHEMA_URN.test(name))
}

function canonicalObject(
  input: Json,
  known: AttributeNames | undefined,
  depth: number,
  where: string,
  mode: NameMode,
): Json {
  if (depth > MAX_ATTRIBUTE_DEPTH) {
    throw invalidValue(`the resource nests deeper than ${MAX_ATTRIBUTE_DEPTH} levels`)
  }
  const out: Json = {}
  const seen = new Map<string, string>()
  for (const raw of Object.keys(input)) {
    if (!isAttributeName(raw, depth === 0)) {
      if (mode === 'stored') continue
      throw invalidValue(`${shown(`${where}${raw}`)} is not a valid attribute name (RFC 7643 §2.1)`)
    }
    const lower = raw.toLowerCase()
    const spec = known?.get(lower)
    const name = spec?.name ?? raw
    const earlier = seen.get(lower)
    if (earlier !== undefined) {
      if (mode === 'request') {
        throw invalidSyntax(
          `${shown(`${where}${earlier}`)} and ${shown(`${where}${raw}`)} name the same attribute; attribute names are case-insensitive (RFC 7643 §2.1)`,
        )
      }
      // A stored row from before the checks: the canonical spelling wins, else the first one.
      if (raw !== spec?.name) continue
    }
    seen.set(lower, raw)
    out[name] = canonicalValue(input[raw], spec?.sub, depth + 1, `${where}${name}.`, mode)
  }
  return out
}

function canonicalValue(
  value: unknown,
  known: AttributeNames | undefined,
  depth: number,
  where: string,
  mode: NameMode,
): unknown {
  if (Array.isArray(value)) {
    if (depth > MAX_ATTRIBUTE_DEPTH) {
      throw invalidValue(`the resource nests deeper than ${MAX_ATTRIBUTE_DEPTH} levels`)
    }
    return value.map((item) => canonicalValue(item, known, depth + 1, where, mode))
  }
  if (isObject(value)) return canonicalObject(value, known, depth, where, mode)
  return value
}

/**
 * A resource body with every known attribute (and sub-attribute) under its canonical name.
 * Throws a 400 for a name outside the grammar (`invalidValue`) or a case duplicate
 * (`invalidSyntax`: the body does not conform to the schema, RFC 7644 §3.12) in `request` mode.
 */
export function canonicalAttributes(input: Json, known: AttributeNames, mode: NameMode = 'request'): Json {
  return canonicalObject(input, known, 0, '', mode)
}

/** Checks the names inside a PATCH value (any depth) without a schema: grammar and case duplicates. */
export function checkValueNames(value: unknown, where: string): void {
  canonicalValue(value, undefined, 1, where, 'request')
}
