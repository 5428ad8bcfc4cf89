/** Groups and roles: the groups Okta pushed with member counts, and the group → role mapping form. */
import type { GroupItem } from '../../admin/services/groups.ts'
import type { RoleMapping } from '../../admin/services/role-mappings.ts'
import { html, type SafeHtml } from '../../pages/html.ts'
import { csrfField } from './forms.ts'
import { emptyState, pager } from './lists.ts'

function roleSelect(id: string, name: string, role: string | null, label: string): SafeHtml {
  const opt = (value: string, text: string) =>
    html`<option value="${value}"${(role ?? '') === value ? html` selected` : html``}>${text}</option>`
  return html`<select id="${id}" name="${name}" aria-label="${label}">${opt('', 'No role')}${opt('member', 'member')}${opt('admin', 'admin')}</select>`
}

export function groupsPage(input: {
  basePath: string
  csrfToken: string
  groups: GroupItem[]
  mappings: RoleMapping[]
  cursor?: string
  nextCursor: string | null
}): SafeHtml {
  const path = `${input.basePath}/admin/groups`
  const shown = new Set(input.groups.map((g) => g.displayName.toLowerCase()))
  // Mappings for groups not on this page (or not pushed yet) are listed too, so they can be changed.
  const others = input.mappings.filter((m) => !shown.has(m.group.toLowerCase()))
  const rows = [
    ...input.groups.map((g) => ({
      name: g.displayName,
      members: String(g.memberCount),
      role: g.role as string | null,
    })),
    ...others.map((m) => ({ name: m.group, members: 'not pushed yet', role: m.role as string | null })),
  ]
  return html`<p>A member of a mapped group gets its role; with several, the highest wins (admin over member). Saving starts a full reconcile that applies the roles to everyone.</p>
<form method="post" action="${path}/mappings">
${csrfField(input.csrfToken)}
${
  rows.length === 0
    ? emptyState(
        'groups-empty',
        'No groups yet — push groups from Okta.',
        'In Okta, open the app’s Push Groups tab and push the groups whose members should get a role. You can also map a group by name below before it is pushed.',
      )
    : html`<div class="table-wrap"><table id="groups">
<thead><tr><th scope="col">Group</th><th scope="col">Members</th><th scope="col">Role</th></tr></thead>
<tbody>${rows.map(
        (row, i) => html`<tr>
<td><label for="role-${i}">${row.name}</label><input type="hidden" name="group-${i}" value="${row.name}"></td>
<td>${row.members}</td>
<td>${roleSelect(`role-${i}`, `role-${i}`, row.role, `Role for ${row.name}`)}</td>
</tr>`,
      )}</tbody></table></div>`
}
<fieldset class="card">
<legend>Map another group by name</legend>
<div class="field"><label for="f-newGroup">Group name (as in Okta)</label><input type="text" id="f-newGroup" name="newGroup" maxlength="256"></div>
<div class="field"><label for="f-newRole">Role</label>${roleSelect('f-newRole', 'newRole', 'member', 'Role for the new group')}</div>
</fieldset>
<button type="submit" class="primary">Save role mappings</button>
</form>
${pager(path, {}, input.cursor, input.nextCursor)}`
}
