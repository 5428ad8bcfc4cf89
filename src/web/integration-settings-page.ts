/**
 * Settings → Okta Integration → Sign-in and session settings (`{orgURL}/admin/integration/settings`):
 * one form for every integration setting that is not an Okta value — SAML acceptance
 * (allowIdpInitiated, allowSha1, clockSkewSeconds, emailAttribute, signAuthnRequests, sloUrl), who may sign in
 * (requireScimProvisioned, the inverse of justInTimeProvisioning; requireSsoForAdmins), sessions
 * (sessionIdleMinutes, sessionMaxHours) and sync (autoLinkDuplicates). It saves through
 * `updateIntegrationSettings`, the same `mergeSettings` rule as `settings` in `PUT /api/v1/orgs/{slug}/okta`.
 * The form only turns fields into a settings change; bounds and refusals come from the schema and
 * the service and show next to their field.
 */
import { Elysia, t } from 'elysia'
import { ServiceError } from '../errors.ts'
import type { AppDeps } from '../http/context.ts'
import {
  type IntegrationSettings,
  type IntegrationSettingsChange,
  IntegrationSettingsSchema,
} from '../integration/settings.ts'
import { integrationSettingsOf, updateIntegrationSettings } from '../integration/settings-service.ts'
import { html, type SafeHtml } from '../pages/html.ts'
import { redirect } from '../pages/shell.ts'
import { type ConsoleContext, consolePage, consolePages, doneNotices } from './console.ts'
import { CONSOLE_FORM, CONSOLE_PAGE, pageDoc } from './openapi.ts'
import { csrfField, type FieldErrors, field } from './views/forms.ts'

const SlugParams = t.Object({ slug: t.String() })
const Box = t.Optional(t.String({ maxLength: 10 }))
const Whole = t.Optional(t.String({ maxLength: 20 }))
const SettingsForm = t.Object({
  _csrf: t.String({ maxLength: 200 }),
  allowIdpInitiated: Box,
  allowSha1: Box,
  clockSkewSeconds: Whole,
  emailAttribute: t.Optional(t.String({ maxLength: 1000 })),
  requireScimProvisioned: Box,
  autoLinkDuplicates: Box,
  requireSsoForAdmins: Box,
  sessionIdleMinutes: Whole,
  sessionMaxHours: Whole,
  sloUrl: t.Optional(t.String({ maxLength: 2000 })),
  signAuthnRequests: Box,
})
type SettingsFormBody = typeof SettingsForm.static

const done = doneNotices({ saved: 'Settings saved. Session lifetimes apply to open sessions at once.' })

const BOOLEANS = [
  'allowIdpInitiated',
  'allowSha1',
  'requireScimProvisioned',
  'autoLinkDuplicates',
  'requireSsoForAdmins',
  'signAuthnRequests',
] as const
const INTEGERS = ['clockSkewSeconds', 'sessionIdleMinutes', 'sessionMaxHours'] as const

function bounds(name: (typeof INTEGERS)[number]): { minimum: number; maximum: number } {
  const schema = IntegrationSettingsSchema.properties[name]
  return { minimum: schema.minimum as number, maximum: schema.maximum as number }
}

/** The form as a settings change, or the fields at fault. Unchecked boxes are sent as absent: false. */
function changeFromForm(form: SettingsFormBody): { change: IntegrationSettingsChange; errors: FieldErrors } {
  const change: Record<string, unknown> = {}
  const errors: FieldErrors = {}
  for (const name of BOOLEANS) change[name] = form[name] === '1' || form[name] === 'on'
  for (const name of INTEGERS) {
    const raw = (form[name] ?? '').trim()
    const { minimum, maximum } = bounds(name)
    const value = /^\d{1,7}$/.test(raw) ? Number.parseInt(raw, 10) : Number.NaN
    if (Number.isNaN(value) || value < minimum || value > maximum)
      errors[name] = `Enter a whole number from ${minimum} to ${maximum}.`
    else change[name] = value
  }
  const attribute = (form.emailAttribute ?? '').trim()
  if (attribute.length > 200) errors.emailAttribute = 'At most 200 characters.'
  change.emailAttribute = attribute === '' ? null : attribute
  const slo = (form.sloUrl ?? '').trim()
  if (slo.length > 1024) errors.sloUrl = 'At most 1024 characters.'
  change.sloUrl = slo === '' ? null : slo
  return { change: change as IntegrationSettingsChange, errors }
}

const box = (name: string, checked: boolean, label: string, hint: string) =>
  html`<div class="field check"><input type="checkbox" id="f-${name}" name="${name}" value="1"${checked ? html` checked` : html``} aria-describedby="f-${name}-hint"><label for="f-${name}">${label}</label>
<p class="hint" id="f-${name}-hint">${hint}</p></div>`

function settingsForm(
  basePath: string,
  csrfToken: string,
  values: Record<string, string | boolean | null>,
  errors: FieldErrors,
): SafeHtml {
  const text = (name: string) => {
    const value = values[name]
    return typeof value === 'string' ? value : ''
  }
  return html`<form method="post" action="${basePath}/admin/integration/settings" novalidate>
${csrfField(csrfToken)}
${errors._form ? html`<p class="flash flash-error" role="alert" id="settings-error">${errors._form}</p>` : html``}
<section class="card" aria-labelledby="who-title">
<h2 id="who-title">Who may sign in</h2>
${box('requireScimProvisioned', values.requireScimProvisioned === true, 'Require SCIM provisioning', 'Only people with an account here (pushed by Okta, or created by an admin) may sign in. Unchecked: just-in-time provisioning, an unknown person gets an account at their first sign-in.')}
${box('requireSsoForAdmins', values.requireSsoForAdmins === true, 'Admins sign in with Okta', `Console passwords then work only for break-glass admins (okta-bridge admin create --break-glass). Sign in once at ${basePath}/admin/sso first. Sessions already open stay until they expire.`)}
${errors.requireSsoForAdmins ? html`<p class="field-error" id="f-requireSsoForAdmins-error">${errors.requireSsoForAdmins}</p>` : html``}
${box('allowIdpInitiated', values.allowIdpInitiated === true, 'Accept sign-in from the Okta tile', 'Unchecked: only sign-ins that start here ({orgURL}/okta/login) are accepted.')}
</section>
<section class="card" aria-labelledby="sessions-title">
<h2 id="sessions-title">Sessions</h2>
<p>For people and admins alike. Lowering a value ends older sessions at once; a higher maximum applies to sessions opened afterwards.</p>
${field({ name: 'sessionIdleMinutes', label: 'End a session after this many idle minutes', value: text('sessionIdleMinutes'), error: errors.sessionIdleMinutes, hint: '5 to 10080 (7 days); default 480 (8 hours)' })}
${field({ name: 'sessionMaxHours', label: 'End a session this many hours after sign-in', value: text('sessionMaxHours'), error: errors.sessionMaxHours, hint: '1 to 720 (30 days); default 168 (7 days)' })}
</section>
<section class="card" aria-labelledby="saml-title">
<h2 id="saml-title">SAML</h2>
${field({ name: 'emailAttribute', label: 'Email attribute', value: text('emailAttribute'), error: errors.emailAttribute, hint: 'Empty: the NameID is the email. Otherwise the name of the assertion attribute that holds it.' })}
${field({ name: 'clockSkewSeconds', label: 'Allowed clock skew (seconds)', value: text('clockSkewSeconds'), error: errors.clockSkewSeconds, hint: '0 to 600; default 60' })}
${box('allowSha1', values.allowSha1 === true, 'Accept RSA-SHA1 signatures', 'Not recommended: switch Okta to RSA-SHA256 instead.')}
${box('signAuthnRequests', values.signAuthnRequests === true, 'Sign AuthnRequests', 'Needs an SP key (Encryption and signing key on the integration page); give Okta its certificate as the Signature Certificate.')}
${errors.signAuthnRequests ? html`<p class="field-error" id="f-signAuthnRequests-error">${errors.signAuthnRequests}</p>` : html``}
${field({ name: 'sloUrl', label: 'IdP single logout URL', value: text('sloUrl'), error: errors.sloUrl, hint: "Okta's Single Logout URL (from the app's metadata). Empty: signing out ends the session here only." })}
</section>
<section class="card" aria-labelledby="sync-title">
<h2 id="sync-title">Sync</h2>
${box('autoLinkDuplicates', values.autoLinkDuplicates === true, 'Link duplicates automatically', 'A provisioned user with the email of an existing account is merged into it without waiting for a re-sync.')}
</section>
<p><button type="submit" class="primary">Save settings</button> <a href="${basePath}/admin/integration">Back to the integration</a></p>
</form>`
}

const valuesOf = (settings: IntegrationSettings): Record<string, string | boolean | null> => ({
  ...settings,
  clockSkewSeconds: String(settings.clockSkewSeconds),
  sessionIdleMinutes: String(settings.sessionIdleMinutes),
  sessionMaxHours: String(settings.sessionMaxHours),
  emailAttribute: settings.emailAttribute ?? '',
  sloUrl: settings.sloUrl ?? '',
})

export function integrationSettingsPageRoutes(deps: AppDeps) {
  const { store } = deps
  const render = (
    context: ConsoleContext,
    values: Record<string, string | boolean | null>,
    errors: FieldErrors = {},
    status = 200,
    flashes = done.flashes({}),
  ) =>
    consolePage(
      context,
      'Sign-in and session settings',
      'integration',
      settingsForm(context.basePath, context.admin.csrfToken, values, errors),
      { status, flashes },
    )

  return new Elysia({ prefix: '/orgs/:slug/admin/integration/settings', normalize: false })
    .use(consolePages(deps))
    .get(
      '',
      async (context) => {
        const settings = await integrationSettingsOf(store, context.org)
        return render(context, valuesOf(settings), {}, 200, done.flashes(context.query))
      },
      {
        params: SlugParams,
        query: done.query,
        admin: { integration: true },
        detail: pageDoc('Console', 'Sign-in and session settings', {
          200: 'The settings form',
          ...CONSOLE_PAGE,
        }),
      },
    )
    .post(
      '',
      async (context) => {
        const { change, errors } = changeFromForm(context.body)
        const values = {
          ...context.body,
          ...Object.fromEntries(BOOLEANS.map((name) => [name, change[name] === true])),
        }
        if (Object.keys(errors).length > 0) return render(context, values, errors, 400)
        try {
          await updateIntegrationSettings(store, context.org, change, context.actor)
        } catch (error) {
          if (!(error instanceof ServiceError) || error.status >= 500) throw error
          const name = error.field?.replace(/^settings\./, '') ?? '_form'
          const known = name === '_form' || name in IntegrationSettingsSchema.properties
          return render(context, values, { [known ? name : '_form']: error.message }, error.status)
        }
        return redirect(`${context.basePath}/admin/integration/settings?saved=1`)
      },
      {
        params: SlugParams,
        body: SettingsForm,
        parse: ['urlencoded', 'formdata'],
        admin: { form: '/admin/integration/settings', integration: true },
        detail: pageDoc('Console', 'Save the sign-in and session settings (form post)', {
          303: 'Saved: back to the form with a notice',
          ...CONSOLE_FORM,
        }),
      },
    )
}
