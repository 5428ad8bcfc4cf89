/** TypeBox models of setup links: the admin API's bodies and answers, and the link page's live checks. */
import { type Static, Type as T } from '@sinclair/typebox'

export const IDPS = ['okta', 'entra', 'jumpcloud', 'google', 'other'] as const
export type Idp = (typeof IDPS)[number]
export const MAX_LINK_HOURS = 168

export const IdpModel = T.Union(
  [T.Literal('okta'), T.Literal('entra'), T.Literal('jumpcloud'), T.Literal('google'), T.Literal('other')],
  { description: 'The identity provider the IT admin configures' },
)

export const CreateSetupLinkBody = T.Object(
  {
    idp: IdpModel,
    expiresInHours: T.Optional(
      T.Integer({
        minimum: 1,
        maximum: MAX_LINK_HOURS,
        default: 72,
        description: 'Lifetime, 1–168 h (default 72)',
      }),
    ),
  },
  { additionalProperties: false, title: 'SetupLinkCreate' },
)

export const SetupLinkModel = T.Object(
  {
    id: T.String(),
    idp: IdpModel,
    status: T.Union([T.Literal('active'), T.Literal('expired'), T.Literal('revoked')]),
    createdAt: T.String({ format: 'date-time' }),
    expiresAt: T.String({ format: 'date-time' }),
    revokedAt: T.Union([T.String({ format: 'date-time' }), T.Null()]),
    lastUsedAt: T.Union([T.String({ format: 'date-time' }), T.Null()]),
    createdBy: T.Union([T.String(), T.Null()]),
  },
  { title: 'SetupLink' },
)
export type SetupLink = Static<typeof SetupLinkModel>

export const CreatedSetupLinkModel = T.Object(
  {
    id: T.String(),
    url: T.String({ description: 'The link to send; shown once (only its hash is stored)' }),
    idp: IdpModel,
    expiresAt: T.String({ format: 'date-time' }),
  },
  { title: 'SetupLinkCreated' },
)
export type CreatedSetupLink = Static<typeof CreatedSetupLinkModel>

export const SetupLinkListModel = T.Object(
  { items: T.Array(SetupLinkModel), nextCursor: T.Null() },
  { title: 'SetupLinkList' },
)

export const SetupChecksModel = T.Object(
  {
    checks: T.Object({
      metadataRead: T.Boolean({
        description:
          "The IdP's SAML values were read (the set-up form saved); with IdP metadata URLs, when it was fetched",
      }),
      firstScimRequest: T.Boolean({ description: 'The SCIM token authenticated a request' }),
      firstUserProvisioned: T.Boolean({ description: 'A provisioned user became an account' }),
      firstSignIn: T.Boolean({ description: 'A SAML sign-in succeeded' }),
    }),
    reasons: T.Object({
      firstSignIn: T.Union([T.String(), T.Null()], {
        description: 'Why the last sign-in failed, while none has succeeded',
      }),
    }),
  },
  { title: 'SetupChecks' },
)
export type SetupChecks = Static<typeof SetupChecksModel>
