/**
 * The admin sign-in form. One generic error for a wrong email or password, on purpose. With the
 * integration set up it offers "Sign in with Okta" (`{orgURL}/admin/sso`, back to the same `next`),
 * first when the org requires it for admins.
 */
import { html, type SafeHtml } from '../../pages/html.ts'
import { csrfField, field } from './forms.ts'

export function loginForm(input: {
  basePath: string
  csrfToken: string
  next: string
  email?: string
  error?: string
  /** Present when the Okta integration is set up; `required` under requireSsoForAdmins. */
  sso?: { required: boolean }
}): SafeHtml {
  const ssoHref = `${input.basePath}/admin/sso?next=${encodeURIComponent(input.next)}`
  const okta = input.sso
    ? html`<p class="sso"><a class="button${input.sso.required ? ' primary' : ''}" id="sign-in-with-okta" href="${ssoHref}">Sign in with Okta</a></p>
${input.sso.required ? html`<p class="hint" id="sso-required">Admins of this organization sign in with Okta. The password form below is for break-glass admins only.</p>` : html`<p class="hint">Or with your console password:</p>`}`
    : html``
  return html`<section class="card narrow" aria-labelledby="login-title">
<h2 id="login-title">Admin sign-in</h2>
${input.error ? html`<p class="flash flash-error" role="alert" id="login-error">${input.error}</p>` : html``}
${okta}
<form method="post" action="${input.basePath}/admin/login">
${csrfField(input.csrfToken)}
<input type="hidden" name="next" value="${input.next}">
${field({ name: 'email', label: 'Email', type: 'email', value: input.email ?? '', required: true, autocomplete: 'username' })}
${field({ name: 'password', label: 'Password', type: 'password', required: true, autocomplete: 'current-password' })}
<button type="submit"${input.sso?.required ? html`` : html` class="primary"`}>Sign in</button>
</form>
<p class="hint">Admins are created with <code>okta-bridge admin create --org …</code>.</p>
</section>`
}
