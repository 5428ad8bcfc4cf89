/**
 * Per-integration options (SAML, sign-in policy, sessions and sync behaviour), stored as JSON with
 * defaults filled in. `readSettings` runs on every request that checks a session (the lifetime lives
 * here), so it remembers what it parsed: the same JSON text gives the same frozen object.
 *
 * `justInTimeProvisioning` and `requireScimProvisioned` are one rule under two names: an unknown
 * person signing in is created from the assertion (JIT on, requireScimProvisioned off) or refused
 * (JIT off, requireScimProvisioned on, the default). Setting either sets the other; a change that
 * sets both to disagree is refused (`mergeSettings`).
 */
import { type Static, Type as T } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { invalid } from '../errors.ts'

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
      description: 'Create unknown users from the assertion (the opposite of requireScimProvisioned)',
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
    // Issue 12, enforcement: console SSO, session lifetime, who may sign in.
    requireSsoForAdmins: T.Boolean({
      default: false,
      description:
        'Admins sign in to the console with Okta ({orgURL}/admin/sso); a password works only for break-glass admins. Needs the integration set up.',
    }),
    sessionIdleMinutes: T.Integer({
      minimum: 5,
      maximum: 10080,
      default: 480,
      description: 'A session (user or admin) ends after this many minutes without a request',
    }),
    sessionMaxHours: T.Integer({
      minimum: 1,
      maximum: 720,
      default: 168,
      description:
        'A session (user or admin) ends this many hours after sign-in; lowering it ends older sessions at once',
    }),
    requireScimProvisioned: T.Boolean({
      default: true,
      description:
        'Refuse SAML sign-in for people with no account here (not provisioned by SCIM nor created by an admin); false = just-in-time provisioning',
    }),
  },
  { additionalProperties: false },
)

export type IntegrationSettings = Static<typeof IntegrationSettingsSchema>

export const IntegrationSettingsPatch = T.Partial(IntegrationSettingsSchema, { additionalProperties: false })

export type IntegrationSettingsChange = Static<typeof IntegrationSettingsPatch>

const DEFAULTS = Object.freeze(Value.Default(IntegrationSettingsSchema, {}) as IntegrationSettings)

/** JSON text → settings; a handful of distinct texts exist at a time (one per org). */
const parsedCache = new Map<string, IntegrationSettings>()
const CACHE_LIMIT = 1024

function parse(json: string): IntegrationSettings {
  let parsed: unknown = {}
  try {
    parsed = JSON.parse(json)
  } catch {
    return DEFAULTS
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return DEFAULTS
  const raw = parsed as Record<string, unknown>
  const withDefaults = Value.Default(IntegrationSettingsSchema, Value.Clone(raw))
  if (!Value.Check(IntegrationSettingsSchema, withDefaults)) return DEFAULTS
  const settings = withDefaults as IntegrationSettings
  // Stored before requireScimProvisioned existed, or written by hand: JIT decides (backwards compatible).
  if (raw.justInTimeProvisioning !== undefined || raw.requireScimProvisioned === undefined) {
    settings.requireScimProvisioned = !settings.justInTimeProvisioning
  } else {
    settings.justInTimeProvisioning = !settings.requireScimProvisioned
  }
  return Object.freeze(settings)
}

/** The settings stored as `json` with defaults filled in (frozen: spread it to change it). */
export function readSettings(json: string | null | undefined): IntegrationSettings {
  if (!json) return DEFAULTS
  const cached = parsedCache.get(json)
  if (cached) return cached
  const settings = parse(json)
  if (parsedCache.size >= CACHE_LIMIT) parsedCache.clear()
  parsedCache.set(json, settings)
  return settings
}

/**
 * The settings after `change`, checked: the JIT pair kept as one rule, and `requireSsoForAdmins`
 * turned on only for an integration that is already set up (an admin must be able to try "Sign in
 * with Okta" before passwords stop working). 400 naming the field otherwise.
 */
export function mergeSettings(
  current: IntegrationSettings,
  change: IntegrationSettingsChange | undefined,
  options: { configured: boolean },
): IntegrationSettings {
  const next: IntegrationSettings = { ...current, ...(change ?? {}) }
  const jit = change?.justInTimeProvisioning
  const requireScim = change?.requireScimProvisioned
  if (jit !== undefined && requireScim !== undefined && jit === requireScim) {
    throw invalid(
      'settings.requireScimProvisioned',
      'justInTimeProvisioning and requireScimProvisioned are one rule: just-in-time provisioning means not requiring SCIM provisioning; send one of them',
    )
  }
  if (jit !== undefined) next.requireScimProvisioned = !jit
  else if (requireScim !== undefined) next.justInTimeProvisioning = !requireScim
  if (next.requireSsoForAdmins && !current.requireSsoForAdmins && !options.configured) {
    throw invalid(
      'settings.requireSsoForAdmins',
      'requireSsoForAdmins needs the Okta integration set up first: save the integration, sign in once with Okta at {orgURL}/admin/sso, then turn it on',
    )
  }
  return next
}
