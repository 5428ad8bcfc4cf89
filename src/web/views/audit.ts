/** The audit log: newest first, filtered by kind, a page at a time. */
import type { AuditItem } from '../../directory/audit.ts'
import { formatTime } from '../format.ts'
import { html, type SafeHtml } from '../html.ts'
import { emptyState, pager } from './lists.ts'

export const AUDIT_KINDS = ['scim', 'saml', 'admin', 'sync'] as const
const LABELS: Record<string, string> = { scim: 'SCIM', saml: 'SAML', admin: 'Admin', sync: 'Sync' }

function details(data: Record<string, unknown>): SafeHtml {
  const json = JSON.stringify(data)
  if (json === '{}') return html``
  return html`<details><summary>details</summary><code class="wrap">${json.length > 2000 ? `${json.slice(0, 2000)}…` : json}</code></details>`
}

export function auditPage(input: {
  basePath: string
  kind?: string
  entries: AuditItem[]
  cursor?: string
  nextCursor: string | null
}): SafeHtml {
  const path = `${input.basePath}/admin/audit`
  const option = (value: string, label: string) =>
    html`<option value="${value}"${(input.kind ?? '') === value ? html` selected` : html``}>${label}</option>`
  return html`<form method="get" action="${path}" class="toolbar">
<div class="field"><label for="f-kind">Kind</label><select id="f-kind" name="kind">${option('', 'All kinds')}${AUDIT_KINDS.map((k) => option(k, LABELS[k] as string))}</select></div>
<button type="submit">Filter</button>
</form>
${
  input.entries.length === 0
    ? emptyState(
        'audit-empty',
        input.kind ? `No ${LABELS[input.kind] ?? input.kind} entries yet.` : 'No entries yet.',
        'Sign-ins, provisioning, admin changes and sync runs are recorded here.',
      )
    : html`<div class="table-wrap"><table id="audit">
<thead><tr><th scope="col">When</th><th scope="col">Kind</th><th scope="col">What</th><th scope="col">Outcome</th><th scope="col">Who</th><th scope="col">Subject and reason</th></tr></thead>
<tbody>${input.entries.map(
        (e) => html`<tr>
<td>${formatTime(e.at)}</td>
<td><span class="badge">${LABELS[e.kind] ?? e.kind}</span></td>
<td>${e.action}${details(e.data)}</td>
<td>${e.outcome === 'success' ? e.outcome : html`<span class="badge off">${e.outcome}</span>`}</td>
<td>${e.actor ?? '—'}</td>
<td>${e.subject ?? ''}${e.reason ? html`<br><span class="muted">${e.reason}</span>` : html``}</td>
</tr>`,
      )}</tbody></table></div>`
}
${pager(path, { kind: input.kind }, input.cursor, input.nextCursor)}`
}
