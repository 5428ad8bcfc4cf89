/**
 * The audit log: newest first, filtered by kind, a page at a time. Rows stay one line or two at
 * 1280 px whatever they hold: long values (an id, a SAML rejection's detail quoting the message) are
 * cut to a short line with the full text in the cell's tooltip and under "details".
 */
import type { AuditItem } from '../../admin/services/audit.ts'
import { html, type SafeHtml } from '../../pages/html.ts'
import { formatTime } from '../format.ts'
import { emptyState, pager } from './lists.ts'

export const AUDIT_KINDS = ['scim', 'saml', 'admin', 'sync'] as const
const LABELS: Record<string, string> = { scim: 'SCIM', saml: 'SAML', admin: 'Admin', sync: 'Sync' }

/** Longest subject, actor or detail shown in a cell; the rest is in the tooltip and the details. */
const CELL_MAX = 80

function shorten(text: string, max = CELL_MAX): SafeHtml {
  if (text.length <= max) return html`${text}`
  return html`<span title="${text}">${text.slice(0, max - 1)}…</span>`
}

/** The reason code, and the human-readable detail beside it when the row has one (SAML rejections). */
function reasonOf(entry: AuditItem): SafeHtml {
  if (!entry.reason) return html``
  const detail = typeof entry.data.detail === 'string' ? entry.data.detail : null
  return html`<div><code>${shorten(entry.reason, 48)}</code>${
    detail ? html` <span class="muted">${shorten(detail)}</span>` : html``
  }</div>`
}

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
    : html`<div class="table-wrap"><table id="audit" class="audit">
<thead><tr><th scope="col">When</th><th scope="col">Kind</th><th scope="col">What</th><th scope="col">Outcome</th><th scope="col">Who</th><th scope="col">Subject and reason</th></tr></thead>
<tbody>${input.entries.map(
        (e) => html`<tr>
<td>${formatTime(e.at)}</td>
<td><span class="badge">${LABELS[e.kind] ?? e.kind}</span></td>
<td>${e.action}${details(e.data)}</td>
<td>${e.outcome === 'success' ? e.outcome : html`<span class="badge off">${e.outcome}</span>`}</td>
<td>${e.actor ? shorten(e.actor, 48) : '—'}</td>
<td>${e.subject ? shorten(e.subject, 48) : ''}${reasonOf(e)}</td>
</tr>`,
      )}</tbody></table></div>`
}
${pager(path, { kind: input.kind }, input.cursor, input.nextCursor)}`
}
