/**
 * TypeBox models of the admin API's integration routes: validation, types and OpenAPI in one place.
 * The models of what the services answer (`IntegrationStatusModel`, `CertificateInfoModel`,
 * `SyncStatusModel`) live with their services, which derive their types from them.
 */
import { Type as T } from '@sinclair/typebox'
import { IntegrationSettingsPatch } from '../integration/settings.ts'

export const OrgSlugParams = T.Object({
  slug: T.String({ description: 'Organization slug', examples: ['acme'] }),
})

export const SetUpBody = T.Object(
  {
    ssoUrl: T.Optional(
      T.String({
        maxLength: 2048,
        description: "Okta's Identity Provider Single Sign-On URL (with issuer and certificate)",
        examples: ['https://acme.okta.com/app/acme_okta_bridge/exk1abcd/sso/saml'],
      }),
    ),
    issuer: T.Optional(
      T.String({
        maxLength: 1024,
        description: "Okta's Identity Provider Issuer",
        examples: ['http://www.okta.com/exk1abcd'],
      }),
    ),
    certificate: T.Optional(
      T.String({ maxLength: 20000, description: "Okta's X.509 signing certificate (PEM)" }),
    ),
    nextCertificate: T.Optional(
      T.Union([T.String({ maxLength: 20000 }), T.Null()], {
        description: 'The IdP certificate that will replace the current one (rollover); null retires it',
      }),
    ),
    metadataUrl: T.Optional(
      T.String({
        maxLength: 2048,
        description:
          "Instead of the three values: the IdP's metadata URL (Okta's Identity Provider metadata link, Entra ID's federation metadata URL), https; refreshed every METADATA_REFRESH_INTERVAL",
        examples: ['https://acme.okta.com/app/exk1abcd/sso/saml/metadata'],
      }),
    ),
    metadataXml: T.Optional(
      T.String({
        maxLength: 1024 * 1024,
        description: "Instead of the three values: the IdP's metadata XML (at most 1 MB), not refreshed",
      }),
    ),
    settings: T.Optional(IntegrationSettingsPatch),
  },
  {
    additionalProperties: false,
    // Every field is optional (three ways to set up), and Elysia fills an invalid body's stand-in
    // with the settings' defaults (`{}`): at least one field keeps that stand-in failing.
    minProperties: 1,
    title: 'IntegrationSetUp',
    description: 'Either `ssoUrl` + `issuer` + `certificate`, or `metadataUrl`, or `metadataXml`.',
  },
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
