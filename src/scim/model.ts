/**
 * TypeBox models of the SCIM API: the single source of request validation (compiled once, in the
 * core), of the types, and of the OpenAPI entries of every SCIM route under /docs. Request models
 * allow unknown attributes on purpose: SCIM clients send extension schemas and custom attributes,
 * which are stored and returned as they came.
 */
import { type Static, Type as T, type TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { invalidValue } from './errors.ts'

/** A SCIM resource or message as JSON: what the core reads and writes before and after validation. */
export type Json = Record<string, unknown>

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User'
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group'
export const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse'
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
export const SEARCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest'

/**
 * Size caps of what is stored (docs/scim.md, "Limits"): they bound what one resource costs every
 * later read, filter and PATCH of it. Real directories stay far below them (Okta: userName ≤ 100).
 */
export const RESOURCE_LIMITS = {
  /** `userName` and a group's `displayName`. */
  nameLength: 256,
  externalIdLength: 512,
  /** Any other string attribute of the core and enterprise schemas. */
  stringLength: 2048,
  /** A certificate's base64 DER value. */
  certificateLength: 16_384,
  /** Elements of one multi-valued attribute (emails, phoneNumbers, addresses, …), not members. */
  multiValued: 100,
  /** Operations in one PATCH request. */
  operations: 1000,
  /** Member filters that name no ids (`members[display eq "…"]`) in one PATCH: each scans the group. */
  memberFilters: 5,
} as const

const open = { additionalProperties: true }
const text = (options = {}) =>
  T.Optional(T.Union([T.String({ maxLength: RESOURCE_LIMITS.stringLength, ...options }), T.Null()]))
/** Entra ID sends booleans as the strings "True" / "False". */
const Bool = T.Union([T.Boolean(), T.String({ pattern: '^(?:[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])$' })])

const multiValuedElement = (valueLength: number = RESOURCE_LIMITS.stringLength) =>
  T.Object(
    {
      value: text({ maxLength: valueLength }),
      display: text(),
      type: text(),
      primary: T.Optional(Bool),
    },
    { ...open, title: 'MultiValuedAttribute' },
  )
const MultiValued = multiValuedElement()
const multiValued = (element: TSchema = MultiValued) =>
  T.Optional(T.Array(element, { maxItems: RESOURCE_LIMITS.multiValued }))
const Address = T.Object(
  {
    formatted: text(),
    streetAddress: text(),
    locality: text(),
    region: text(),
    postalCode: text(),
    country: text(),
    type: text(),
    primary: T.Optional(Bool),
  },
  { ...open, title: 'Address' },
)
const Schemas = T.Array(T.String({ maxLength: 256 }), { maxItems: 20 })

const Name = T.Object(
  {
    formatted: text(),
    familyName: text(),
    givenName: text(),
    middleName: text(),
    honorificPrefix: text(),
    honorificSuffix: text(),
  },
  { ...open, title: 'Name' },
)

export const EnterpriseUser = T.Object(
  {
    employeeNumber: text(),
    costCenter: text(),
    organization: text(),
    division: text(),
    department: text(),
    manager: T.Optional(
      T.Union([T.Object({ value: text(), displayName: text(), $ref: text() }, open), T.String(), T.Null()]),
    ),
  },
  { ...open, title: 'EnterpriseUser' },
)

const userAttributes = {
  schemas: T.Optional(T.Array(T.String({ maxLength: 256 }), { maxItems: 20, examples: [[USER_SCHEMA]] })),
  userName: T.String({
    minLength: 1,
    maxLength: RESOURCE_LIMITS.nameLength,
    examples: ['isabella.ramos@acme.example'],
  }),
  externalId: text({ maxLength: RESOURCE_LIMITS.externalIdLength }),
  name: T.Optional(Name),
  displayName: text(),
  nickName: text(),
  profileUrl: text(),
  title: text(),
  userType: text(),
  preferredLanguage: text(),
  locale: text(),
  timezone: text(),
  active: T.Optional(Bool),
  emails: multiValued(),
  phoneNumbers: multiValued(),
  ims: multiValued(),
  photos: multiValued(),
  addresses: multiValued(Address),
  entitlements: multiValued(),
  roles: multiValued(),
  x509Certificates: multiValued(multiValuedElement(RESOURCE_LIMITS.certificateLength)),
  [ENTERPRISE_SCHEMA]: T.Optional(EnterpriseUser),
}

export const UserInput = T.Object(
  {
    ...userAttributes,
    password: T.Optional(
      T.String({
        maxLength: RESOURCE_LIMITS.stringLength,
        description: 'Accepted and discarded: okta-bridge never stores passwords',
      }),
    ),
    groups: T.Optional(T.Array(T.Object({}, open), { description: 'Read-only; ignored on writes' })),
  },
  { ...open, title: 'UserInput', description: 'A User as Okta and Entra ID send it (POST and PUT)' },
)
export type UserInput = Static<typeof UserInput>

const Meta = T.Object(
  {
    resourceType: T.String(),
    created: T.String({ format: 'date-time' }),
    lastModified: T.String({ format: 'date-time' }),
    location: T.String({ format: 'uri' }),
    version: T.String({ examples: ['W/"3"'] }),
  },
  { title: 'Meta' },
)

const Reference = T.Object({
  value: T.String(),
  display: T.Optional(T.String()),
  $ref: T.Optional(T.String()),
})

export const UserResource = T.Object(
  {
    ...userAttributes,
    schemas: T.Array(T.String(), { examples: [[USER_SCHEMA]] }),
    id: T.String({ format: 'uuid' }),
    active: T.Boolean(),
    groups: T.Array(Reference, { description: 'Groups the user belongs to (read-only)' }),
    meta: Meta,
  },
  { ...open, title: 'User' },
)

const Member = T.Object(
  { value: T.String({ minLength: 1 }), display: text(), type: text(), $ref: text() },
  { ...open, title: 'Member' },
)

export const GroupInput = T.Object(
  {
    schemas: T.Optional(Schemas),
    displayName: T.String({ minLength: 1, maxLength: RESOURCE_LIMITS.nameLength, examples: ['Engineering'] }),
    externalId: text({ maxLength: RESOURCE_LIMITS.externalIdLength }),
    members: T.Optional(T.Array(Member)),
  },
  { ...open, title: 'GroupInput' },
)
export type GroupInput = Static<typeof GroupInput>

export const GroupResource = T.Object(
  {
    schemas: T.Array(T.String(), { examples: [[GROUP_SCHEMA]] }),
    id: T.String({ format: 'uuid' }),
    displayName: T.String(),
    externalId: T.Optional(T.String()),
    members: T.Optional(T.Array(Reference)),
    meta: Meta,
  },
  { ...open, title: 'Group' },
)

export const PatchOperation = T.Object(
  {
    op: T.String({ description: 'add, remove or replace (any case)', examples: ['replace'] }),
    path: T.Optional(T.String({ examples: ['members[value eq "2819c223-7f76-453a-919d-413861904646"]'] })),
    value: T.Optional(T.Unknown()),
  },
  { ...open, title: 'PatchOperation' },
)

export const PatchRequest = T.Object(
  {
    schemas: T.Optional(T.Array(T.String(), { examples: [[PATCH_SCHEMA]] })),
    Operations: T.Array(PatchOperation, { minItems: 1, maxItems: RESOURCE_LIMITS.operations }),
  },
  { ...open, title: 'PatchOp' },
)
export type PatchRequest = Static<typeof PatchRequest>

export const ListResponse = (resource: TSchema, title: string) =>
  T.Object(
    {
      schemas: T.Array(T.String(), { examples: [[LIST_SCHEMA]] }),
      totalResults: T.Integer(),
      startIndex: T.Integer(),
      itemsPerPage: T.Integer(),
      Resources: T.Array(resource),
    },
    { title },
  )

export const ScimErrorModel = T.Object(
  {
    schemas: T.Array(T.String(), { examples: [['urn:ietf:params:scim:api:messages:2.0:Error']] }),
    status: T.String({ examples: ['409'] }),
    detail: T.String({ examples: ['a user with userName "isabella.ramos@acme.example" already exists'] }),
    scimType: T.Optional(T.String({ examples: ['uniqueness'] })),
  },
  { title: 'ScimError' },
)

/** 204 No Content: documented as a response without a body. */
export const NoContent = T.Void({ description: 'No Content' })

export const DiscoveryDocument = T.Object(
  { schemas: T.Array(T.String()) },
  { ...open, title: 'DiscoveryDocument' },
)

export const OrgParams = T.Object({
  slug: T.String({ description: 'Organization slug', examples: ['acme'] }),
})
export const ResourceParams = T.Object({
  slug: T.String({ description: 'Organization slug', examples: ['acme'] }),
  id: T.String({ description: 'Resource id' }),
})

export const ListQuery = T.Object(
  {
    filter: T.Optional(
      T.String({
        description: 'RFC 7644 filter, at most 2048 characters',
        examples: ['userName eq "isabella.ramos@acme.example"'],
      }),
    ),
    startIndex: T.Optional(
      T.String({ description: '1-based index of the first result (default 1)', examples: ['1'] }),
    ),
    count: T.Optional(T.String({ description: 'Page size (default 100, at most 1000)', examples: ['100'] })),
    attributes: T.Optional(T.String({ description: 'Comma-separated attributes to return' })),
    excludedAttributes: T.Optional(
      T.String({ description: 'Comma-separated attributes to leave out', examples: ['members'] }),
    ),
  },
  open,
)

export const ResourceQuery = T.Object(
  {
    attributes: T.Optional(T.String({ description: 'Comma-separated attributes to return' })),
    excludedAttributes: T.Optional(T.String({ description: 'Comma-separated attributes to leave out' })),
  },
  open,
)

const attributeList = T.Union([
  T.Array(T.String({ maxLength: 256 }), { maxItems: 100 }),
  T.String({ maxLength: 4096, description: 'Also accepted as one comma-separated string' }),
])
const integerValue = T.Union([T.Integer(), T.String({ pattern: '^\\s*-?\\d{1,15}\\s*$' })])

/** RFC 7644 §3.4.3: the body of `POST /.search`, `POST /Users/.search`, `POST /Groups/.search`. */
export const SearchRequest = T.Object(
  {
    schemas: T.Optional(Schemas),
    attributes: T.Optional(attributeList),
    excludedAttributes: T.Optional(attributeList),
    filter: T.Optional(T.String({ description: 'RFC 7644 filter, at most 2048 characters' })),
    sortBy: T.Optional(T.String({ description: 'Ignored: sorting is not supported' })),
    sortOrder: T.Optional(T.String({ description: 'Ignored: sorting is not supported' })),
    startIndex: T.Optional(integerValue),
    count: T.Optional(integerValue),
  },
  {
    ...open,
    title: 'SearchRequest',
    examples: [
      {
        schemas: [SEARCH_SCHEMA],
        filter: 'userName eq "isabella.ramos@acme.example"',
        attributes: ['userName', 'active'],
        startIndex: 1,
        count: 10,
      },
    ],
  },
)
export type SearchRequest = Static<typeof SearchRequest>

/** The union of Users and Groups a root `/.search` returns. */
export const AnyResource = T.Union([UserResource, GroupResource])

const userChecker = TypeCompiler.Compile(UserInput)
const groupChecker = TypeCompiler.Compile(GroupInput)
const patchChecker = TypeCompiler.Compile(PatchRequest)
const searchChecker = TypeCompiler.Compile(SearchRequest)

/** `/emails/0/value` → `emails[0].value`. */
function attributeName(pointer: string): string {
  return pointer
    .replace(/^\//, '')
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((name, part) => (/^\d+$/.test(part) ? `${name}[${part}]` : name ? `${name}.${part}` : part), '')
}

interface Checker {
  Check(value: unknown): boolean
  Errors(value: unknown): { First(): { path: string; message: string } | undefined }
}

/** Checks a request body against its model; throws a 400 `invalidValue` naming the first bad attribute. */
function check<S>(checker: Checker, body: unknown): S {
  if (checker.Check(body)) return body as S
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidValue('the request body must be a JSON object')
  }
  const first = checker.Errors(body).First()
  const name = first ? attributeName(first.path) : ''
  if (!first || !name) throw invalidValue('the request body is not valid')
  if ((body as Record<string, unknown>)[name] === undefined && !/[.[]/.test(name)) {
    throw invalidValue(`"${name}" is required`)
  }
  throw invalidValue(`"${name}": ${first.message.charAt(0).toLowerCase()}${first.message.slice(1)}`)
}

export const validateUser = (body: unknown) => check<UserInput>(userChecker, body)
export const validateGroup = (body: unknown) => check<GroupInput>(groupChecker, body)
export const validatePatch = (body: unknown) => check<PatchRequest>(patchChecker, body)
export const validateSearch = (body: unknown) => check<SearchRequest>(searchChecker, body)
