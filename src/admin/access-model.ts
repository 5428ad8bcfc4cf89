/**
 * TypeBox models of the admin API's access routes (API keys and admins): validation, TypeScript
 * types and OpenAPI in one place. No model ever carries a stored key, its hash or a password hash;
 * a secret appears only in the one answer that created it.
 */
import { Type as T } from '@sinclair/typebox'

const DateTime = T.String({ format: 'date-time' })

export const ApiKeyParams = T.Object({
  slug: T.String({ description: 'Organization slug', examples: ['acme'] }),
  id: T.String({ maxLength: 64, description: 'The API key id (from the list or the create answer)' }),
})

export const AdminParams = T.Object({
  slug: T.String({ description: 'Organization slug', examples: ['acme'] }),
  id: T.String({ maxLength: 64, description: 'The admin id (from the list)' }),
})

export const ApiKeyItemModel = T.Object(
  {
    id: T.String(),
    name: T.String({ examples: ['ci'] }),
    createdAt: DateTime,
    lastUsedAt: T.Optional(
      T.String({ format: 'date-time', description: 'Absent until first used; to the minute' }),
    ),
  },
  { title: 'ApiKey' },
)

export const ApiKeyListModel = T.Object({ items: T.Array(ApiKeyItemModel) }, { title: 'ApiKeyList' })

export const NewApiKeyBody = T.Object(
  { name: T.String({ minLength: 1, maxLength: 100, examples: ['ci'] }) },
  { additionalProperties: false, title: 'NewApiKey' },
)

export const CreatedApiKeyModel = T.Object(
  {
    id: T.String(),
    name: T.String(),
    key: T.String({ description: 'Send as `Authorization: Bearer <key>`. Shown only in this answer.' }),
  },
  { title: 'CreatedApiKey' },
)

export const AdminItemModel = T.Object(
  {
    id: T.String(),
    email: T.String({ examples: ['admin@acme.example'] }),
    createdAt: DateTime,
    source: T.Union([T.Literal('password'), T.Literal('sso')], {
      description: '`sso`: made by their first console sign-in with Okta (no password)',
    }),
    breakGlass: T.Boolean({
      description: 'May sign in with a password while the org requires SSO for admins',
    }),
    accountId: T.Union([T.String(), T.Null()], {
      description: 'The account this admin signs in with through Okta, once they have',
    }),
  },
  { title: 'Admin' },
)

export const AdminListModel = T.Object({ items: T.Array(AdminItemModel) }, { title: 'AdminList' })

// The length rule itself is the service's (the same message as `okta-bridge admin create`).
const Password = T.String({ maxLength: 1024, description: 'At least 12 characters' })

export const NewAdminBody = T.Object(
  {
    email: T.String({ minLength: 3, maxLength: 320, examples: ['ops@acme.example'] }),
    password: T.Optional(Password),
    breakGlass: T.Optional(
      T.Boolean({
        default: false,
        description: 'Keep password sign-in for this admin while the org requires SSO for admins',
      }),
    ),
  },
  { additionalProperties: false, title: 'NewAdmin' },
)

export const CreatedAdminModel = T.Object(
  {
    id: T.String(),
    email: T.String(),
    password: T.Optional(
      T.String({ description: 'Only when none was sent: the generated password, shown only in this answer' }),
    ),
    breakGlass: T.Boolean(),
  },
  { title: 'CreatedAdmin' },
)

export const PasswordBody = T.Object(
  { password: Password },
  { additionalProperties: false, title: 'NewPassword' },
)
