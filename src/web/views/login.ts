/** The admin sign-in form. One generic error for a wrong email or password, on purpose. */
import { html, type SafeHtml } from '../../pages/html.ts'
import { csrfField, field } from './forms.ts'

export function loginForm(input: {
  basePath: string
  csrfToken: string
  next: string
  email?: string
  error?: string
}): SafeHtml {
  return html`<section class="card narrow" aria-labelledby="login-title">
<h2 id="login-title">Admin sign-in</h2>
${input.error ? html`<p class="flash flash-error" role="alert" id="login-error">${input.error}</p>` : html``}
<form method="post" action="${input.basePath}/admin/login">
${csrfField(input.csrfToken)}
<input type="hidden" name="next" value="${input.next}">
${field({ name: 'email', label: 'Email', type: 'email', value: input.email ?? '', required: true, autocomplete: 'username' })}
${field({ name: 'password', label: 'Password', type: 'password', required: true, autocomplete: 'current-password' })}
<button type="submit" class="primary">Sign in</button>
</form>
<p class="hint">Admins are created with <code>okta-bridge admin create --org …</code>.</p>
</section>`
}
