/**
 * The discovery documents (RFC 7644 §4, RFC 7643 §5–7): `/ServiceProviderConfig`,
 * `/ResourceTypes` and `/Schemas`, describing exactly what this service provider supports —
 * PATCH and ETags yes; bulk, sort and password change no; filters over the attributes listed in
 * `store/filter/targets.ts`, at most `maxResults` per page.
 */
import { notFound } from './errors.ts'
import { ENTERPRISE_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from './model.ts'
import type { Json } from './resources.ts'

export interface ScimLimits {
  maxResults: number
  maxBodyBytes: number
  maxFilterLength: number
  maxMembersPerRequest: number
  maxOperations: number
}

interface AttributeOptions {
  multiValued?: boolean
  required?: boolean
  caseExact?: boolean
  mutability?: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly'
  returned?: 'always' | 'never' | 'default' | 'request'
  uniqueness?: 'none' | 'server' | 'global'
  subAttributes?: Json[]
  referenceTypes?: string[]
  canonicalValues?: string[]
  description?: string
}

function attribute(name: string, type: string, options: AttributeOptions = {}): Json {
  const { subAttributes, referenceTypes, canonicalValues, description, ...rest } = options
  const out: Json = {
    name,
    type,
    multiValued: false,
    description: description ?? name,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...rest,
  }
  if (subAttributes) out.subAttributes = subAttributes
  if (referenceTypes) out.referenceTypes = referenceTypes
  if (canonicalValues) out.canonicalValues = canonicalValues
  return out
}

const str = (name: string, options?: AttributeOptions) => attribute(name, 'string', options)

function multiValued(name: string, types: string[], extra: Json[] = []): Json {
  return attribute(name, 'complex', {
    multiValued: true,
    subAttributes: [
      str('value'),
      str('display'),
      str('type', { canonicalValues: types }),
      attribute('primary', 'boolean'),
      ...extra,
    ],
  })
}

const USER_ATTRIBUTES = [
  str('userName', {
    required: true,
    uniqueness: 'server',
    description: 'Unique per organization, matched case-insensitively',
  }),
  attribute('name', 'complex', {
    subAttributes: [
      'formatted',
      'familyName',
      'givenName',
      'middleName',
      'honorificPrefix',
      'honorificSuffix',
    ].map((n) => str(n)),
  }),
  str('displayName'),
  str('nickName'),
  attribute('profileUrl', 'reference', { referenceTypes: ['external'] }),
  str('title'),
  str('userType'),
  str('preferredLanguage'),
  str('locale'),
  str('timezone'),
  attribute('active', 'boolean'),
  str('password', {
    mutability: 'writeOnly',
    returned: 'never',
    description: 'Accepted and discarded, never stored',
  }),
  multiValued('emails', ['work', 'home', 'other']),
  multiValued('phoneNumbers', ['work', 'home', 'mobile', 'fax', 'pager', 'other']),
  multiValued('ims', ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo']),
  multiValued('photos', ['photo', 'thumbnail']),
  attribute('addresses', 'complex', {
    multiValued: true,
    subAttributes: [
      ...['formatted', 'streetAddress', 'locality', 'region', 'postalCode', 'country'].map((n) => str(n)),
      str('type', { canonicalValues: ['work', 'home', 'other'] }),
      attribute('primary', 'boolean'),
    ],
  }),
  attribute('groups', 'complex', {
    multiValued: true,
    mutability: 'readOnly',
    description: 'Groups the user belongs to; change them through the Group resource',
    subAttributes: [
      str('value', { mutability: 'readOnly' }),
      attribute('$ref', 'reference', { mutability: 'readOnly', referenceTypes: ['Group'] }),
      str('display', { mutability: 'readOnly' }),
    ],
  }),
  multiValued('entitlements', []),
  multiValued('roles', []),
  multiValued('x509Certificates', []),
]

const ENTERPRISE_ATTRIBUTES = [
  str('employeeNumber'),
  str('costCenter'),
  str('organization'),
  str('division'),
  str('department'),
  attribute('manager', 'complex', {
    subAttributes: [
      str('value'),
      attribute('$ref', 'reference', { referenceTypes: ['User'] }),
      str('displayName', { mutability: 'readOnly' }),
    ],
  }),
]

const GROUP_ATTRIBUTES = [
  str('displayName', {
    required: true,
    uniqueness: 'server',
    description: 'Unique per organization, case-insensitively',
  }),
  attribute('members', 'complex', {
    multiValued: true,
    subAttributes: [
      str('value', { mutability: 'immutable', caseExact: true }),
      attribute('$ref', 'reference', { mutability: 'immutable', referenceTypes: ['User'] }),
      str('display', { mutability: 'readOnly' }),
      str('type', { mutability: 'immutable', canonicalValues: ['User'] }),
    ],
  }),
]

const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema'
const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType'

function schemaDocument(
  base: string,
  id: string,
  name: string,
  description: string,
  attributes: Json[],
): Json {
  return {
    schemas: [SCHEMA_SCHEMA],
    id,
    name,
    description,
    attributes,
    meta: { resourceType: 'Schema', location: `${base}/Schemas/${id}` },
  }
}

export function schemas(base: string): Json[] {
  return [
    schemaDocument(base, USER_SCHEMA, 'User', 'User Account', USER_ATTRIBUTES),
    schemaDocument(base, ENTERPRISE_SCHEMA, 'EnterpriseUser', 'Enterprise User', ENTERPRISE_ATTRIBUTES),
    schemaDocument(base, GROUP_SCHEMA, 'Group', 'Group', GROUP_ATTRIBUTES),
  ]
}

export function resourceTypes(base: string): Json[] {
  return [
    {
      schemas: [RESOURCE_TYPE_SCHEMA],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'User Account',
      schema: USER_SCHEMA,
      schemaExtensions: [{ schema: ENTERPRISE_SCHEMA, required: false }],
      meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/User` },
    },
    {
      schemas: [RESOURCE_TYPE_SCHEMA],
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      description: 'Group',
      schema: GROUP_SCHEMA,
      schemaExtensions: [],
      meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/Group` },
    },
  ]
}

export function serviceProviderConfig(base: string, documentationUri: string, limits: ScimLimits): Json {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
    documentationUri,
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: limits.maxResults },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'Bearer token',
        description:
          'The SCIM token shown once at integration set-up, sent as "Authorization: Bearer <token>" (the bare token is accepted too)',
        specUri: 'https://www.rfc-editor.org/rfc/rfc6750',
        documentationUri,
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  }
}

export function findById(documents: Json[], id: string, what: string): Json {
  const found = documents.find((doc) => String(doc.id).toLowerCase() === id.toLowerCase())
  if (!found) throw notFound(`no ${what} "${id}"`)
  return found
}
