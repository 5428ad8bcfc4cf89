/**
 * Settings → Access: the org's admin API keys (list, create with the key shown once, revoke) and
 * its admins (list, add with a generated password shown once, remove), and the signed-in admin's
 * own password. Destructive buttons sit inside a `<details>` so a stray click does nothing; the
 * last admin has no remove button at all (the service refuses it too).
 */
import type { AdminItem, ApiKeyItem } from '../../orgs/credentials.ts'
import { html, type SafeHtml } from '../../pages/html.ts'
import { formatTime } from '../format.ts'
import { copyable, csrfField, type FieldErrors, field } from './forms.ts'
import { emptyState } from './lists.ts'

export interface AccessPageInput {
  basePath: string
  csrfToken: string
  /** The signed-in admin, marked "you" in the list. */
  selfAdminId: string
  apiKeys: ApiKeyItem[]
  admins: AdminItem[]
  /** Only in the answer to the create that made it. */
  createdKey?: { id: string; name: string; key: string }
  /** Only in the answer to an add that generated the password. */
  createdAdmin?: { email: string; password: string }
  values?: { keyName?: string; email?: string }
  errors?: FieldErrors
}

function secretOnce(id: string, title: string, label: string, value: string, after: SafeHtml): SafeHtml {
  return html`<section class="card" aria-labelledby="${id}-title">
<h2 id="${id}-title">${title}</h2>
<p class="flash flash-warn" role="alert"><strong>Copy it now: you will not see this again.</strong> Only its hash is stored.</p>
<dl class="values">${copyable(id, label, value)}</dl>
${after}
</section>`
}

/** A button that posts only after the admin opens the disclosure and confirms. */
function confirmButton(action: string, csrfToken: string, open: string, question: string, confirm: string) {
  return html`<details><summary>${open}</summary>
<form method="post" action="${action}">
${csrfField(csrfToken)}
<p>${question}</p>
<button type="submit" class="primary danger">${confirm}</button>
</form></details>`
}

function apiKeysCard(input: AccessPageInput): SafeHtml {
  const base = `${input.basePath}/admin/access`
  const rows = input.apiKeys.map(
    (key) => html`<tr>
<td>${key.name}</td>
<td><code>${key.id}</code></td>
<td>${formatTime(key.createdAt)}</td>
<td>${key.lastUsedAt ? formatTime(key.lastUsedAt) : html`<span class="muted">never</span>`}</td>
<td>${confirmButton(
      `${base}/api-keys/${encodeURIComponent(key.id)}/revoke`,
      input.csrfToken,
      'Revoke…',
      `Revoke “${key.name}”? Requests with it are refused at once.`,
      'Revoke the key',
    )}</td>
</tr>`,
  )
  return html`<section class="card" aria-labelledby="api-keys-title">
<h2 id="api-keys-title">API keys</h2>
<p>Keys for the admin API (<code>Authorization: Bearer &lt;key&gt;</code>), for scripts and CI. A key is shown once when it is made; only its hash is stored.</p>
${
  input.apiKeys.length === 0
    ? emptyState('api-keys-empty', 'No API keys.', 'Create one below, or with okta-bridge api-key create.')
    : html`<div class="table-wrap"><table id="api-keys">
<thead><tr><th scope="col">Name</th><th scope="col">Id</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col"><span class="muted">Revoke</span></th></tr></thead>
<tbody>${rows}</tbody></table></div>`
}
<form method="post" action="${base}/api-keys" novalidate>
${csrfField(input.csrfToken)}
${field({
  name: 'keyName',
  label: 'Name of a new key',
  hint: 'What uses it, for example “ci” or “terraform”.',
  value: input.values?.keyName,
  error: input.errors?.keyName,
  required: true,
  autocomplete: 'off',
})}
<button type="submit">Create API key</button>
</form>
</section>`
}

function adminsCard(input: AccessPageInput): SafeHtml {
  const base = `${input.basePath}/admin/access`
  const onlyOne = input.admins.length <= 1
  const rows = input.admins.map((admin) => {
    const self = admin.id === input.selfAdminId
    return html`<tr>
<td>${admin.email}${self ? html` <span class="badge">you</span>` : html``}${admin.source === 'sso' ? html` <span class="badge" title="Made by their first sign-in with Okta; no password">Okta</span>` : html``}${admin.breakGlass ? html` <span class="badge" title="May sign in with a password while admins must use Okta">break-glass</span>` : html``}</td>
<td>${formatTime(admin.createdAt)}</td>
<td>${
      onlyOne
        ? html`<span class="muted">the only admin</span>`
        : confirmButton(
            `${base}/admins/${encodeURIComponent(admin.id)}/remove`,
            input.csrfToken,
            'Remove…',
            self
              ? 'Remove yourself? You are signed out at once and cannot sign in again.'
              : `Remove ${admin.email}? Their sessions end at once.`,
            'Remove the admin',
          )
    }</td>
</tr>`
  })
  return html`<section class="card" aria-labelledby="admins-title">
<h2 id="admins-title">Admins</h2>
<p>People who sign in to this console. Removing one ends their sessions at once. The last admin cannot be removed here.</p>
<div class="table-wrap"><table id="admins">
<thead><tr><th scope="col">Email</th><th scope="col">Added</th><th scope="col"><span class="muted">Remove</span></th></tr></thead>
<tbody>${rows}</tbody></table></div>
<form method="post" action="${base}/admins" novalidate>
${csrfField(input.csrfToken)}
${field({
  name: 'email',
  label: 'Email of a new admin',
  type: 'email',
  value: input.values?.email,
  error: input.errors?.email,
  required: true,
  autocomplete: 'off',
})}
${field({
  name: 'adminPassword',
  label: 'Password (optional)',
  type: 'password',
  hint: 'At least 12 characters. Leave empty to have a strong one generated and shown once.',
  error: input.errors?.adminPassword,
  autocomplete: 'new-password',
})}
<button type="submit">Add admin</button>
</form>
</section>`
}

function passwordCard(input: AccessPageInput): SafeHtml {
  return html`<section class="card" aria-labelledby="password-title">
<h2 id="password-title">Your password</h2>
<p>Changing it signs you out everywhere else; this browser stays signed in.</p>
<form method="post" action="${input.basePath}/admin/access/password" novalidate>
${csrfField(input.csrfToken)}
${field({
  name: 'currentPassword',
  label: 'Current password',
  type: 'password',
  error: input.errors?.currentPassword,
  required: true,
  autocomplete: 'current-password',
})}
${field({
  name: 'newPassword',
  label: 'New password',
  type: 'password',
  hint: 'At least 12 characters.',
  error: input.errors?.newPassword,
  required: true,
  autocomplete: 'new-password',
})}
${field({
  name: 'confirmPassword',
  label: 'New password again',
  type: 'password',
  error: input.errors?.confirmPassword,
  required: true,
  autocomplete: 'new-password',
})}
<button type="submit">Change password</button>
</form>
</section>`
}

export function accessPage(input: AccessPageInput): SafeHtml {
  return html`${
    input.createdKey
      ? secretOnce(
          'api-key',
          `API key “${input.createdKey.name}”`,
          'API key',
          input.createdKey.key,
          html`<p>Send it as <code>Authorization: Bearer &lt;key&gt;</code> to <code>/api/v1/…</code>.</p>`,
        )
      : html``
  }
${
  input.createdAdmin
    ? secretOnce(
        'admin-password',
        `Password for ${input.createdAdmin.email}`,
        'Generated password',
        input.createdAdmin.password,
        html`<p>Give it to them through a safe channel; they sign in at <code>${input.basePath}/admin/login</code>.</p>`,
      )
    : html``
}
${apiKeysCard(input)}
${adminsCard(input)}
${passwordCard(input)}`
}
