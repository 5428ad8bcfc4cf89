/** TypeBox models of the admin API's integration routes: validation, types and OpenAPI in one place. */
import { Type as T } from '@sinclair/typebox'
import { IntegrationSettingsPatch, IntegrationSettingsSchema } from '../integration/settings.ts'

export const OrgSlugParams = T.Object({
  slug: T.String({ description: 'Organization slug', examples: ['acme'] }),
})

export const CertificateInfoModel = T.Object(
  {
    subject: T.String({ examples: ['CN=dev-123456, O=Okta, L=San Francisco'] }),
    issuer: T.String(),
    notBefore: T.String({ format: 'date-time' }),
    notAfter: T.String({ format: 'date-time' }),
    fingerprintSha256: T.String({ examples: ['3A:1B:…'] }),
    expiresInDays: T.Integer(),
  },
  { title: 'CertificateInfo' },
)

export const SyncStatusModel = T.Object(
  {
    lagSeconds: T.Number({ description: 'Age of the oldest unapplied change; 0 when in sync' }),
    pendingChanges: T.Integer(),
    fullReconcile: T.Object({
      running: T.Boolean(),
      processed: T.Integer(),
      total: T.Integer(),
      startedAt: T.Union([T.String({ format: 'date-time' }), T.Null()]),
      finishedAt: T.Union([T.String({ format: 'date-time' }), T.Null()]),
      etaSeconds: T.Union([T.Number(), T.Null()]),
    }),
    lastFullReconcileAt: T.Union([T.String({ format: 'date-time' }), T.Null()]),
    lastError: T.Union([T.String(), T.Null()]),
    removal: T.Optional(T.Object({ running: T.Boolean(), deleted: T.Integer(), total: T.Integer() })),
    holder: T.Union([T.String(), T.Null()], {
      description:
        'The instance working on this org (`host:pid:random`), while its lease is live; null when none is',
    }),
  },
  { title: 'SyncStatus' },
)

export const IntegrationStatusModel = T.Object(
  {
    configured: T.Boolean(),
    ssoUrl: T.Union([T.String(), T.Null()]),
    issuer: T.Union([T.String(), T.Null()]),
    certificate: T.Union([CertificateInfoModel, T.Null()]),
    nextCertificate: T.Union([CertificateInfoModel, T.Null()]),
    settings: T.Union([IntegrationSettingsSchema, T.Null()]),
    acsUrl: T.String({
      description: 'Single Sign On URL (also Recipient and Destination) to type into Okta',
    }),
    audience: T.String({ description: 'Audience URI (SP Entity ID) to type into Okta' }),
    scimBaseUrl: T.String({ description: 'SCIM connector base URL to type into Okta' }),
    metadataUrl: T.String(),
    loginUrl: T.String({ description: 'SP-initiated sign-in' }),
    connectedUsers: T.Integer({ description: 'Active users provisioned through SCIM' }),
    groups: T.Integer(),
    sync: SyncStatusModel,
    createdAt: T.Union([T.String({ format: 'date-time' }), T.Null()]),
    updatedAt: T.Union([T.String({ format: 'date-time' }), T.Null()]),
    scimToken: T.Optional(
      T.String({
        description: 'Only in the answer to the first set-up: the SCIM bearer token, never shown again',
      }),
    ),
  },
  { title: 'IntegrationStatus' },
)

export const SetUpBody = T.Object(
  {
    ssoUrl: T.String({
      maxLength: 2048,
      description: "Okta's Identity Provider Single Sign-On URL",
      examples: ['https://acme.okta.com/app/acme_okta_bridge/exk1abcd/sso/saml'],
    }),
    issuer: T.String({
      maxLength: 1024,
      description: "Okta's Identity Provider Issuer",
      examples: ['http://www.okta.com/exk1abcd'],
    }),
    certificate: T.String({ maxLength: 20000, description: "Okta's X.509 signing certificate (PEM)" }),
    nextCertificate: T.Optional(
      T.Union([T.String({ maxLength: 20000 }), T.Null()], {
        description: 'The IdP certificate that will replace the current one (rollover); null retires it',
      }),
    ),
    settings: T.Optional(IntegrationSettingsPatch),
  },
  { additionalProperties: false, title: 'IntegrationSetUp' },
)

export const ScimTokenModel = T.Object({ scimToken: T.String() }, { title: 'ScimToken' })

export const DryRunQuery = T.Object({
  dryRun: T.Optional(T.Union([T.Literal('true'), T.Literal('false'), T.Literal('1'), T.Literal('0')])),
})

export const RemovalModel = T.Object(
  { deletedUsers: T.Integer(), deletedGroups: T.Integer(), dryRun: T.Boolean() },
  { title: 'IntegrationRemoval' },
)

export const isDryRun = (q: { dryRun?: string }) => q.dryRun === 'true' || q.dryRun === '1'
