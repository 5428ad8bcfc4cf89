/**
 * TypeBox models of the admin API's directory and sync routes (users, groups, role mappings,
 * duplicates, resync, sync state, events, audit): validation, TypeScript types and OpenAPI in one
 * place. Bodies and queries reject unknown fields.
 */
import { Type as T } from '@sinclair/typebox'
import { t } from 'elysia'

const DateTime = T.String({ format: 'date-time' })
const NullableDateTime = T.Union([DateTime, T.Null()])
const Cursor = T.String({ maxLength: 512, description: 'The `nextCursor` of the previous page, unchanged' })
// Elysia's `t.Integer` (not TypeBox's) is coerced from the query string.
const Limit = t.Integer({ minimum: 1, maximum: 1000, description: 'Page size (default 100, max 1000)' })
const NextCursor = T.Union([T.String(), T.Null()], {
  description: 'Pass as `cursor` for the next page; null at the end',
})

export const ProviderModel = T.Union([T.Literal('github'), T.Literal('bitbucket')])
export const RoleModel = T.Union([T.Literal('admin'), T.Literal('member')])

export const LinkedIdentityModel = T.Object(
  {
    provider: ProviderModel,
    login: T.String({ minLength: 1, maxLength: 100, examples: ['octocat'] }),
    email: T.String({ minLength: 3, maxLength: 320, examples: ['octocat@users.example'] }),
  },
  { additionalProperties: false, title: 'LinkedIdentity' },
)

export const UserItemModel = T.Object(
  {
    id: T.String(),
    email: T.String(),
    name: T.String(),
    source: T.Union([T.Literal('okta'), T.Literal('local')], {
      description: 'Where the account came from; a merged local account stays `local` (see scimUserId)',
    }),
    active: T.Boolean(),
    role: T.String({ examples: ['member'] }),
    groups: T.Array(T.String(), { description: 'displayNames of its SCIM groups' }),
    createdViaIntegration: T.Boolean({
      description: 'Created by provisioning; deleted if the integration is removed',
    }),
    scimUserId: T.Union([T.String(), T.Null()], {
      description: 'The linked SCIM user (provisioned or merged)',
    }),
    linkedIdentities: T.Array(LinkedIdentityModel),
    createdAt: DateTime,
    updatedAt: DateTime,
    lastSignInAt: NullableDateTime,
  },
  { title: 'User' },
)

export const UserListQuery = T.Object(
  {
    email: T.Optional(T.String({ maxLength: 320, description: 'Exact email, case-insensitive' })),
    source: T.Optional(T.Union([T.Literal('okta'), T.Literal('local')])),
    active: T.Optional(T.Union([T.Literal('true'), T.Literal('false')])),
    q: T.Optional(T.String({ maxLength: 200, description: 'Search in email and name' })),
    limit: T.Optional(Limit),
    cursor: T.Optional(Cursor),
  },
  { additionalProperties: false },
)

export const UserPageModel = T.Object(
  { items: T.Array(UserItemModel), nextCursor: NextCursor },
  { title: 'UserPage' },
)

export const NewUserBody = T.Object(
  {
    email: T.String({ minLength: 3, maxLength: 320, examples: ['ada@acme.example'] }),
    name: T.String({ minLength: 1, maxLength: 200, examples: ['Ada Lovelace'] }),
    linkedIdentities: T.Optional(T.Array(LinkedIdentityModel, { maxItems: 2 })),
  },
  { additionalProperties: false, title: 'NewLocalUser' },
)

export const PageQuery = T.Object(
  { limit: T.Optional(Limit), cursor: T.Optional(Cursor) },
  { additionalProperties: false },
)

export const GroupItemModel = T.Object(
  {
    id: T.String(),
    displayName: T.String(),
    externalId: T.Union([T.String(), T.Null()]),
    memberCount: T.Integer(),
    role: T.Union([RoleModel, T.Null()], { description: 'Role given by the role mappings, or null' }),
    createdAt: DateTime,
  },
  { title: 'Group' },
)

export const GroupPageModel = T.Object(
  { items: T.Array(GroupItemModel), nextCursor: NextCursor },
  { title: 'GroupPage' },
)

export const RoleMappingsModel = T.Object(
  {
    mappings: T.Array(
      T.Object(
        {
          group: T.String({
            minLength: 1,
            maxLength: 256,
            description: 'SCIM group displayName (case-insensitive)',
          }),
          role: RoleModel,
        },
        { additionalProperties: false },
      ),
      { maxItems: 1000 },
    ),
  },
  { additionalProperties: false, title: 'RoleMappings' },
)

export const DuplicateItemModel = T.Object(
  {
    existing: UserItemModel,
    provisioned: T.Object({
      id: T.String({ description: 'The SCIM user id' }),
      email: T.String(),
      scimId: T.String({ description: 'The SCIM user id (same as id: a pending user has no account)' }),
      userName: T.String(),
      externalId: T.Union([T.String(), T.Null()], { description: "The identity provider's own id" }),
    }),
    matchedOn: T.Union([T.Literal('email'), T.Literal('linked:github'), T.Literal('linked:bitbucket')]),
    detectedAt: DateTime,
  },
  { title: 'Duplicate' },
)

export const DuplicatePageModel = T.Object(
  { items: T.Array(DuplicateItemModel), nextCursor: NextCursor },
  { title: 'DuplicatePage' },
)

export const ResyncModel = T.Object(
  {
    merges: T.Array(
      T.Object({
        keep: T.Object({ id: T.String({ description: 'The pre-existing account' }), email: T.String() }),
        absorb: T.Object({ id: T.String({ description: 'The provisioned SCIM user' }), email: T.String() }),
      }),
    ),
    fullReconcileStarted: T.Boolean(),
  },
  { title: 'Resync' },
)

export const ResyncQuery = T.Object(
  { dryRun: T.Optional(T.Union([T.Literal('true'), T.Literal('false'), T.Literal('1'), T.Literal('0')])) },
  { additionalProperties: false },
)

export const EventsQuery = T.Object(
  {
    after: T.Optional(T.String({ maxLength: 20, description: 'The `nextCursor` of the previous answer' })),
    limit: T.Optional(Limit),
  },
  { additionalProperties: false },
)

export const EventPageModel = T.Object(
  {
    events: T.Array(
      T.Object({
        id: T.Integer({ description: 'Increasing within the org' }),
        type: T.String({ examples: ['account.created'] }),
        at: DateTime,
        accountId: T.Optional(T.String()),
        groupId: T.Optional(T.String()),
        data: T.Record(T.String(), T.Unknown()),
      }),
    ),
    nextCursor: T.Union([T.String(), T.Null()], { description: 'Poll again with after=nextCursor' }),
  },
  { title: 'EventPage' },
)

export const AuditQuery = T.Object(
  {
    kind: T.Optional(T.Union([T.Literal('scim'), T.Literal('saml'), T.Literal('admin'), T.Literal('sync')])),
    limit: T.Optional(Limit),
    cursor: T.Optional(Cursor),
  },
  { additionalProperties: false },
)

export const AuditPageModel = T.Object(
  {
    items: T.Array(
      T.Object({
        id: T.Integer(),
        at: DateTime,
        kind: T.String(),
        action: T.String(),
        outcome: T.String(),
        actor: T.Union([T.String(), T.Null()]),
        subject: T.Union([T.String(), T.Null()]),
        reason: T.Union([T.String(), T.Null()]),
        data: T.Record(T.String(), T.Unknown()),
      }),
    ),
    nextCursor: NextCursor,
  },
  { title: 'AuditPage' },
)
