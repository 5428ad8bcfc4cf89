/**
 * Mapping between SCIM resources and directory rows. A write is read once — canonical attribute
 * names first (`attributes.ts`), then the TypeBox model, then normalized (Entra's "True"/"False"
 * strings as booleans, no password, no read-only attributes) — and stored as JSON; the indexed columns (`user_name_lower`, `email_lower`, …) are
 * always derived from that same JSON, so filters and the stored resource never disagree. Reads add
 * `id`, `schemas`, `groups`/`members` and `meta` (with the version as a weak ETag).
 */
import type { GroupRefRow, MemberRow, ScimGroupRow, ScimUserRow } from '../store/scim.ts'
import {
  canonicalAttributes,
  GROUP_ATTRIBUTE_NAMES,
  isObject,
  topLevel,
  USER_ATTRIBUTE_NAMES,
} from './attributes.ts'
import { invalidValue } from './errors.ts'
import {
  ENTERPRISE_SCHEMA,
  GROUP_SCHEMA,
  type GroupInput,
  type Json,
  USER_SCHEMA,
  validateGroup,
  validateUser,
} from './model.ts'

/** Kept here too: the core's files read `Json` from where they read resources. */
export type { Json }

/** Top-level attributes by lowercase name, so a PATCH of `UserName` or `ACTIVE` lands on the canonical key. */
export const USER_NAMES = topLevel(USER_ATTRIBUTE_NAMES)
export const GROUP_NAMES = topLevel(GROUP_ATTRIBUTE_NAMES)

function asObject(body: unknown): Json {
  if (!isObject(body)) throw invalidValue('the request body must be a JSON object')
  return body
}

/** A User body (POST, PUT, or a PATCH result) in canonical names, validated, in its stored form. */
export function readUser(body: unknown): Json {
  return normalizeUser(validateUser(canonicalAttributes(asObject(body), USER_ATTRIBUTE_NAMES)) as Json)
}

/** A Group body in canonical names and validated (members still in it: the caller takes them out). */
export function readGroup(body: unknown): GroupInput {
  return validateGroup(canonicalAttributes(asObject(body), GROUP_ATTRIBUTE_NAMES))
}

/** A stored resource as the PATCH engine starts from it: names canonical, pre-check oddities dropped. */
export function storedResource(json: string, kind: 'user' | 'group'): Json {
  const parsed: unknown = JSON.parse(json)
  const known = kind === 'user' ? USER_ATTRIBUTE_NAMES : GROUP_ATTRIBUTE_NAMES
  return canonicalAttributes(isObject(parsed) ? parsed : {}, known, 'stored')
}

/** Never stored: computed on read, or secrets. */
const DROPPED = new Set(['id', 'meta', 'schemas', 'password', 'groups'])

export function asBoolean(value: unknown): unknown {
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true'
  return value
}

function withoutNulls(value: Json): Json {
  const out: Json = {}
  for (const [key, v] of Object.entries(value)) if (v !== null && v !== undefined) out[key] = v
  return out
}

function normalizeMultiValued(list: unknown): unknown {
  if (!Array.isArray(list)) return list
  return list.map((item) => {
    if (typeof item !== 'object' || item === null) return item
    const element = withoutNulls(item as Json)
    if (Object.hasOwn(element, 'primary')) element.primary = asBoolean(element.primary)
    return element
  })
}

/** The stored form of a canonical User: booleans as booleans, nothing read-only or secret. */
export function normalizeUser(input: Json): Json {
  const out: Json = {}
  for (const [key, value] of Object.entries(input)) {
    if (DROPPED.has(key) || value === null || value === undefined) continue
    if (key === 'active') out.active = asBoolean(value)
    else if (key === 'name' && typeof value === 'object') out.name = withoutNulls(value as Json)
    else if (Array.isArray(value)) out[key] = normalizeMultiValued(value)
    else if (key === ENTERPRISE_SCHEMA && typeof value === 'object') {
      const extension = withoutNulls(value as Json)
      // Entra ID sends the manager as a bare id; the schema says it is complex.
      if (typeof extension.manager === 'string') extension.manager = { value: extension.manager }
      out[key] = extension
    } else out[key] = value
  }
  if (out.active === undefined) out.active = true
  return out
}

export function normalizeGroup(input: Json): Json {
  const out: Json = {}
  for (const [key, value] of Object.entries(input)) {
    if (DROPPED.has(key) || key === 'members' || value === null || value === undefined) continue
    out[key] = value
  }
  return out
}

const str = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null)

/** The primary email, else the first one, else the userName when it is an email; lowercased. */
export function primaryEmail(resource: Json): string | null {
  const emails = Array.isArray(resource.emails) ? (resource.emails as Json[]) : []
  const chosen = emails.find((e) => e?.primary === true && str(e.value)) ?? emails.find((e) => str(e?.value))
  const value =
    str(chosen?.value) ?? (String(resource.userName ?? '').includes('@') ? str(resource.userName) : null)
  return value ? value.toLowerCase() : null
}

/** The indexed columns of a user, derived from its stored resource. */
export function userColumns(resource: Json) {
  const name = (resource.name ?? {}) as Json
  const userName = String(resource.userName)
  return {
    user_name: userName,
    user_name_lower: userName.toLowerCase(),
    external_id: str(resource.externalId),
    email_lower: primaryEmail(resource),
    display_name: str(resource.displayName),
    given_name: str(name.givenName),
    family_name: str(name.familyName),
    active: resource.active === false ? 0 : 1,
  }
}

export function groupColumns(resource: Json) {
  const displayName = String(resource.displayName)
  return {
    display_name: displayName,
    display_name_lower: displayName.toLowerCase(),
    external_id: str(resource.externalId),
  }
}

/**
 * Resource ids are UUIDv7: time-ordered (Bun's generator is monotonic within the process), so lists
 * in `created_at, id` order keep the order of creation and new rows append to the end of the index.
 */
export const resourceId = () => Bun.randomUUIDv7()

export const etag = (version: number) => `W/"${version}"`

function meta(
  resourceType: string,
  row: { created_at: number; updated_at: number; version: number; id: string },
  location: string,
) {
  return {
    resourceType,
    created: new Date(row.created_at).toISOString(),
    lastModified: new Date(row.updated_at).toISOString(),
    location,
    version: etag(row.version),
  }
}

function schemasOf(core: string, resource: Json): string[] {
  const schemas = [core]
  for (const key of Object.keys(resource))
    if (key.startsWith('urn:') && typeof resource[key] === 'object') schemas.push(key)
  return schemas
}

/** The User as SCIM returns it; `groups` is undefined when the caller left it out. */
export function userResource(row: ScimUserRow, groups: GroupRefRow[] | undefined, base: string): Json {
  const resource = JSON.parse(row.resource) as Json
  const out: Json = {
    schemas: schemasOf(USER_SCHEMA, resource),
    id: row.id,
    ...resource,
    active: row.active === 1,
  }
  if (groups) {
    out.groups = groups.map((g) => ({ value: g.id, display: g.display_name, $ref: `${base}/Groups/${g.id}` }))
  }
  out.meta = meta('User', row, `${base}/Users/${row.id}`)
  return out
}

export function groupResource(row: ScimGroupRow, members: MemberRow[] | undefined, base: string): Json {
  const resource = JSON.parse(row.resource) as Json
  const out: Json = { schemas: schemasOf(GROUP_SCHEMA, resource), id: row.id, ...resource }
  if (members) {
    out.members = members.map((m) => ({
      value: m.id,
      display: m.display_name ?? m.user_name,
      type: 'User',
      $ref: `${base}/Users/${m.id}`,
    }))
  }
  out.meta = meta('Group', row, `${base}/Groups/${row.id}`)
  return out
}

/** `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5), top level and one sub-attribute deep. */
export interface Projection {
  include: Set<string> | null
  exclude: Set<string>
}

/** `[urn:…:]name[.sub]` (RFC 7644 §3.10 attribute notation). */
const ATTRIBUTE_PATH = /^(?:urn:[!-~]+:)?[A-Za-z$][\w$-]*(?:\.[A-Za-z$][\w$-]*)?$/i
const MAX_PROJECTED = 100

function names(raw: string | string[] | null, parameter: string): Set<string> | null {
  if (raw === null) return null
  const list = (Array.isArray(raw) ? raw : raw.split(',')).map((name) => name.trim()).filter(Boolean)
  if (list.length === 0) return null
  if (list.length > MAX_PROJECTED)
    throw invalidValue(`${parameter} names more than ${MAX_PROJECTED} attributes`)
  for (const name of list) {
    if (name.length > 256 || !ATTRIBUTE_PATH.test(name)) {
      const shown = name.length > 40 ? `${name.slice(0, 40)}…` : name
      throw invalidValue(`${parameter}: ${JSON.stringify(shown)} is not an attribute name`)
    }
  }
  return new Set(
    list
      .map((name) => name.toLowerCase())
      .map((name) => name.replace(/^urn:ietf:params:scim:schemas:core:2\.0:(user|group):/, '')),
  )
}

/** Unknown but well-formed names select nothing (RFC 7644 §3.9); malformed ones are a 400. */
export function projection(
  attributes: string | string[] | null,
  excluded: string | string[] | null,
): Projection {
  return {
    include: names(attributes, 'attributes'),
    exclude: names(excluded, 'excludedAttributes') ?? new Set(),
  }
}

/** Whether a top-level attribute is returned (lets the caller skip loading it). */
export function wants(p: Projection, attribute: string): boolean {
  const name = attribute.toLowerCase()
  if (p.exclude.has(name)) return false
  if (!p.include) return true
  for (const wanted of p.include) if (wanted === name || wanted.startsWith(`${name}.`)) return true
  return false
}

const ALWAYS = new Set(['id', 'schemas'])

// Built with Object.fromEntries (own data properties), so no stored key can reach a prototype.
export function project(resource: Json, p: Projection): Json {
  if (!p.include && p.exclude.size === 0) return resource
  const out: Array<[string, unknown]> = []
  for (const [key, value] of Object.entries(resource)) {
    const name = key.toLowerCase()
    if (ALWAYS.has(name)) {
      out.push([key, value])
      continue
    }
    if (p.exclude.has(name)) continue
    if (!p.include || p.include.has(name)) {
      out.push([key, value])
      continue
    }
    const subs = [...p.include].filter((w) => w.startsWith(`${name}.`)).map((w) => w.slice(name.length + 1))
    if (subs.length === 0 || typeof value !== 'object' || value === null) continue
    const pick = (item: unknown) =>
      isObject(item)
        ? Object.fromEntries(Object.entries(item).filter(([k]) => subs.includes(k.toLowerCase())))
        : item
    out.push([key, Array.isArray(value) ? value.map(pick) : pick(value)])
  }
  return Object.fromEntries(out)
}
