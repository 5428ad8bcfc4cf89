/**
 * TypeBox models of the SCIM API: the single source of request validation (compiled once, in the
 * core), of the types, and of the OpenAPI entries of every SCIM route under /docs. Request models
 * allow unknown attributes on purpose: SCIM clients send extension schemas and custom attributes,
 * which are stored and returned as they came.
 */
import { type Static, Type as T, type TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { invalidValue } from './errors.ts'

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User'
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group'
export const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse'
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'

const open = { additionalProperties: true }
const text = (options = {}) => T.Optional(T.Union([T.String(options), T.Null()]))
/** Entra ID sends booleans as the strings "True" / "False". */
const Bool = T.Union([T.Boolean(), T.String({ pattern: '^(?:[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])$' })])

const MultiValued = T.Object(
  {
    value: text(),
    display: text(),
    type: text(),
    primary: T.Optional(Bool),
  },
  { ...open, title: 'MultiValuedAttribute' },
)

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
  schemas: T.Optional(T.Array(T.String(), { examples: [[USER_SCHEMA]] })),
  userName: T.String({ minLength: 1, maxLength: 512, examples: ['isabella.ramos@acme.example'] }),
  externalId: text({ maxLength: 512 }),
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
  emails: T.Optional(T.Array(MultiValued)),
  phoneNumbers: T.Optional(T.Array(MultiValued)),
  ims: T.Optional(T.Array(MultiValued)),
  photos: T.Optional(T.Array(MultiValued)),
  addresses: T.Optional(T.Array(T.Object({ type: text(), primary: T.Optional(Bool) }, open))),
  entitlements: T.Optional(T.Array(MultiValued)),
  roles: T.Optional(T.Array(MultiValued)),
  x509Certificates: T.Optional(T.Array(MultiValued)),
  [ENTERPRISE_SCHEMA]: T.Optional(EnterpriseUser),
}

export const UserInput = T.Object(
  {
    ...userAttributes,
    password: T.Optional(
      T.String({ description: 'Accepted and discarded: okta-bridge never stores passwords' }),
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
    schemas: T.Optional(T.Array(T.String(), { examples: [[GROUP_SCHEMA]] })),
    displayName: T.String({ minLength: 1, maxLength: 512, examples: ['Engineering'] }),
    externalId: text({ maxLength: 512 }),
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
    Operations: T.Array(PatchOperation, { minItems: 1, maxItems: 1000 }),
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

const userChecker = TypeCompiler.Compile(UserInput)
const groupChecker = TypeCompiler.Compile(GroupInput)
const patchChecker = TypeCompiler.Compile(PatchRequest)

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
