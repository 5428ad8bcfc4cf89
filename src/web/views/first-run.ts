/**
 * The instance's front door at `GET /`: the first-run form while no organization exists (set-up
 * code, the first org, its first admin), and afterwards a small "your organization's address" form
 * that leads to that org's admin sign-in without ever listing orgs. Standalone pages: no script.
 */
import { html, type SafeHtml } from '../../pages/html.ts'
import { csrfField, type FieldErrors, field } from './forms.ts'

export interface FirstRunValues {
  slug: string
  orgName: string
  url: string
  email: string
}

export function firstRunForm(input: {
  csrfToken: string
  values: FirstRunValues
  errors: FieldErrors
  error?: string
}): SafeHtml {
  const { values, errors } = input
  return html`<h1>Set up okta-bridge</h1>
<p>Create the first organization and its admin. The <strong>set-up code</strong> is in the server's log
(<code>setup code: XXXX-XXXX-XXXX</code>) or from <code>okta-bridge setup-code</code>; it works once, for 24 hours.</p>
${input.error ? html`<p role="alert" id="first-run-error"><strong>${input.error}</strong></p>` : html``}
<form method="post" action="/" novalidate>
${csrfField(input.csrfToken)}
${field({ name: 'setupCode', label: 'Set-up code', error: errors.setupCode, required: true, autocomplete: 'off', placeholder: 'XXXX-XXXX-XXXX' })}
<section>
${field({ name: 'slug', label: 'Organization slug (in its URL: /orgs/slug)', value: values.slug, error: errors.slug, required: true, placeholder: 'acme' })}
${field({ name: 'orgName', label: 'Organization name', value: values.orgName, error: errors.name })}
${field({ name: 'url', label: 'Its own origin (optional)', value: values.url, error: errors.url, type: 'url', placeholder: 'https://sso.acme.example', hint: 'Leave empty to serve it under this address.' })}
</section>
<section>
${field({ name: 'email', label: 'Your email (the first admin)', value: values.email, error: errors.email, required: true, type: 'email', autocomplete: 'username' })}
${field({ name: 'password', label: 'Password (at least 12 characters)', error: errors.password, required: true, type: 'password', autocomplete: 'new-password' })}
</section>
<p><button type="submit">Create the organization</button></p>
</form>
<p class="muted">Scripted set-up instead: <code>okta-bridge org create</code> and <code>okta-bridge admin create</code> (see the README).</p>`
}

export function findOrgForm(input: { value?: string; error?: string }): SafeHtml {
  return html`<h1>Sign in</h1>
<form method="get" action="/" novalidate>
${field({ name: 'org', label: "Your organization's address", value: input.value, error: input.error, required: true, hint: 'Its slug (acme) or its URL (https://sso.example.com/orgs/acme).' })}
<p><button type="submit">Continue</button></p>
</form>`
}
