/** Per-integration options (SAML and sync behaviour), stored as JSON with defaults filled in. */
import { type Static, Type as T } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

export const IntegrationSettingsSchema = T.Object(
  {
    allowIdpInitiated: T.Boolean({
      default: true,
      description: 'Accept sign-ins started from the Okta tile',
    }),
    allowSha1: T.Boolean({ default: false, description: 'Accept RSA-SHA1 signatures (not recommended)' }),
    clockSkewSeconds: T.Integer({ minimum: 0, maximum: 600, default: 60, description: 'Allowed clock skew' }),
    emailAttribute: T.Union([T.String({ minLength: 1, maxLength: 200 }), T.Null()], {
      default: null,
      description: 'Assertion attribute holding the email; null uses the NameID',
    }),
    justInTimeProvisioning: T.Boolean({
      default: false,
      description: 'Create unknown users from the assertion',
    }),
    sloUrl: T.Union([T.String({ minLength: 1, maxLength: 1024 }), T.Null()], {
      default: null,
      description:
        "The IdP's Single Logout URL (Okta: Sign On → View SAML setup instructions, “Identity Provider Single Logout URL”); null: sign-out stays local",
    }),
    signAuthnRequests: T.Boolean({
      default: false,
      description:
        'Sign SP-initiated AuthnRequests (HTTP-Redirect, RSA-SHA256) with the SP key; needs an SP key',
    }),
    autoLinkDuplicates: T.Boolean({
      default: false,
      description: 'Link a provisioned user to an existing account with the same email automatically',
    }),
  },
  { additionalProperties: false },
)

export type IntegrationSettings = Static<typeof IntegrationSettingsSchema>

export const IntegrationSettingsPatch = T.Partial(IntegrationSettingsSchema, { additionalProperties: false })

export function readSettings(json: string | null | undefined): IntegrationSettings {
  let parsed: unknown = {}
  try {
    parsed = JSON.parse(json || '{}')
  } catch {
    parsed = {}
  }
  const withDefaults = Value.Default(IntegrationSettingsSchema, Value.Clone(parsed ?? {}))
  return Value.Check(IntegrationSettingsSchema, withDefaults)
    ? (withDefaults as IntegrationSettings)
    : (Value.Default(IntegrationSettingsSchema, {}) as IntegrationSettings)
}
