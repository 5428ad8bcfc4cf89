/** The Users page: every account of the org, searchable and filterable, a page at a time. */
import type { UserItem } from '../../admin/services/users.ts'
import { html, type SafeHtml } from '../../pages/html.ts'
import { formatTime } from '../format.ts'
import { emptyState, pager } from './lists.ts'

export interface UserFilters {
  q?: string
  source?: string
  active?: string
  cursor?: string
}

function option(value: string, label: string, selected: string | undefined): SafeHtml {
  return html`<option value="${value}"${selected === value ? html` selected` : html``}>${label}</option>`
}

function userRow(user: UserItem): SafeHtml {
  return html`<tr>
<td><strong>${user.name || '—'}</strong><br><span class="muted">${user.email}</span>${user.linkedIdentities.map(
    (li) => html`<br><span class="badge">${li.provider}: ${li.login}</span>`,
  )}</td>
<td>${user.source === 'okta' ? 'Okta' : 'Local'}</td>
<td>${user.active ? html`<span class="badge">active</span>` : html`<span class="badge off">deactivated</span>`}</td>
<td>${user.role}</td>
<td>${user.groups.length ? user.groups.join(', ') : html`<span class="muted">none</span>`}</td>
<td>${user.lastSignInAt ? formatTime(user.lastSignInAt) : html`<span class="muted">never</span>`}</td>
</tr>`
}

export function usersPage(input: {
  basePath: string
  filters: UserFilters
  users: UserItem[]
  nextCursor: string | null
}): SafeHtml {
  const { filters } = input
  const path = `${input.basePath}/admin/users`
  const filtered = Boolean(filters.q || filters.source || filters.active)
  return html`<form method="get" action="${path}" class="toolbar" role="search">
<div class="field"><label for="f-q">Search name or email</label><input type="search" id="f-q" name="q" value="${filters.q ?? ''}"></div>
<div class="field"><label for="f-source">Source</label><select id="f-source" name="source">
${option('', 'Any', filters.source)}${option('okta', 'Okta', filters.source)}${option('local', 'Local', filters.source)}
</select></div>
<div class="field"><label for="f-active">Status</label><select id="f-active" name="active">
${option('', 'Any', filters.active)}${option('true', 'Active', filters.active)}${option('false', 'Deactivated', filters.active)}
</select></div>
<button type="submit">Search</button>
</form>
${
  input.users.length === 0
    ? filtered
      ? emptyState(
          'users-empty',
          'No users match this search.',
          'Try another name or email, or clear the filters.',
        )
      : emptyState(
          'users-empty',
          'No users yet — assign people in Okta.',
          'In Okta, assign people or groups to the app (Assignments tab); they appear here once provisioned.',
        )
    : html`<div class="table-wrap"><table id="users">
<caption class="skip">Users</caption>
<thead><tr><th scope="col">Person</th><th scope="col">Source</th><th scope="col">Status</th><th scope="col">Role</th><th scope="col">Groups</th><th scope="col">Last sign-in</th></tr></thead>
<tbody>${input.users.map(userRow)}</tbody>
</table></div>`
}
${pager(path, { q: filters.q, source: filters.source, active: filters.active }, filters.cursor, input.nextCursor)}`
}
