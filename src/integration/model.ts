/**
 * TypeBox models of what the integration aggregate answers: the one source of the
 * `IntegrationStatus` and `CertificateInfo` types (src/integration/service.ts and certificate.ts
 * build them) and of their OpenAPI entries (the admin API's integration and SAML routes).
 */
import { type Static, Type as T } from '@sinclair/typebox'
import { SyncStatusModel } from '../sync/model.ts'
import { IntegrationSettingsSchema } from './settings.ts'

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

/** The facts the settings page and the API show about an X.509 certificate. */
export type CertificateInfo = Static<typeof CertificateInfoModel>

export const IntegrationStatusModel = T.Object(
  {
    configured: T.Boolean(),
    ssoUrl: T.Union([T.String(), T.Null()]),
    issuer: T.Union([T.String(), T.Null()]),
    certificate: T.Union([CertificateInfoModel, T.Null()]),
    nextCertificate: T.Union([CertificateInfoModel, T.Null()]),
    settings: T.Union([IntegrationSettingsSchema, T.Null()]),
    metadataUrl: T.Union([T.String(), T.Null()], {
      description:
        'The IdP metadata URL the integration is refreshed from; null when set up by hand or from pasted XML',
    }),
    metadataFetchedAt: T.Union([T.String({ format: 'date-time' }), T.Null()], {
      description: 'When the IdP metadata was last read successfully (fetched or pasted)',
    }),
    metadataError: T.Union([T.String(), T.Null()], {
      description: 'Why the last refresh failed (the last good values stay in use); null after a good one',
    }),
    metadataNextRefreshAt: T.Union([T.String({ format: 'date-time' }), T.Null()]),
    idpSloUrl: T.Union([T.String(), T.Null()], {
      description: "The IdP's SingleLogoutService from its metadata",
    }),
    idpSloBinding: T.Union([T.Literal('HTTP-Redirect'), T.Literal('HTTP-POST'), T.Null()]),
    acsUrl: T.String({
      description: 'Single Sign On URL (also Recipient and Destination) to type into Okta',
    }),
    audience: T.String({ description: 'Audience URI (SP Entity ID) to type into Okta' }),
    scimBaseUrl: T.String({ description: 'SCIM connector base URL to type into Okta' }),
    spMetadataUrl: T.String({ description: 'Our SP metadata, for IdPs that read it' }),
    loginUrl: T.String({ description: 'SP-initiated sign-in' }),
    singleLogoutUrl: T.String({
      description: 'Single Logout URL to type into Okta (Enable Single Logout), `{orgURL}/okta/slo`',
    }),
    singleLogout: T.Object(
      {
        enabled: T.Boolean({ description: 'Signing out here also signs out at the IdP' }),
        problem: T.Union([T.String(), T.Null()], {
          description: 'Why not, e.g. single logout needs an SP key (POST …/okta/sp-keys)',
        }),
      },
      { title: 'SingleLogoutStatus' },
    ),
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

/** An org's integration as an admin reads it (`scimToken` only in the answer to the first set-up). */
export type IntegrationStatus = Static<typeof IntegrationStatusModel>
