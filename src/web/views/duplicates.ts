/** Duplicates: detected pairs, what a merge would do (dry run), and the button that merges them. */
import type { DuplicateItem } from '../../admin/services/duplicates.ts'
import { html, type SafeHtml } from '../../pages/html.ts'
import type { ResyncResult } from '../../sync/resync.ts'
import { formatCount, formatTime } from '../format.ts'
import { csrfField } from './forms.ts'
import { emptyState, pager } from './lists.ts'

const MATCHED: Record<string, string> = {
  email: 'same email',
  'linked:github': 'email of the connected GitHub account',
  'linked:bitbucket': 'email of the connected Bitbucket account',
}

export function duplicatesPage(input: {
  basePath: string
  csrfToken: string
  pairs: DuplicateItem[]
  preview: ResyncResult | null
  notConfigured: boolean
  cursor?: string
  nextCursor: string | null
}): SafeHtml {
  const path = `${input.basePath}/admin/duplicates`
  const explanation = html`<p>When Okta provisions someone who already had an account here (same email, or the email of a connected GitHub or Bitbucket account), the pair is held here instead of making a second account. Merging keeps the older account with its data and connections, and links it to Okta.</p>`
  if (input.notConfigured && input.pairs.length === 0) {
    return html`${explanation}${emptyState('duplicates-empty', 'No duplicates.', 'Set up the Okta integration first; pairs appear as Okta provisions people.')}`
  }
  const merges = input.preview?.merges ?? []
  return html`${explanation}
${
  input.pairs.length === 0
    ? emptyState(
        'duplicates-empty',
        'No duplicates — nothing to merge.',
        'Pairs show up here when Okta provisions someone who already has an account.',
      )
    : html`<div class="table-wrap"><table id="duplicates">
<thead><tr><th scope="col">Existing account</th><th scope="col">Provisioned by Okta</th><th scope="col">Matched on</th><th scope="col">Detected</th></tr></thead>
<tbody>${input.pairs.map(
        (pair) => html`<tr>
<td><strong>${pair.existing.name || '—'}</strong><br><span class="muted">${pair.existing.email}</span><br><span class="badge">${pair.existing.source}</span> since ${formatTime(pair.existing.createdAt)}</td>
<td>${pair.provisioned.email}<br><span class="muted">${pair.provisioned.userName}</span></td>
<td>${MATCHED[pair.matchedOn] ?? pair.matchedOn}</td>
<td>${formatTime(pair.detectedAt)}</td>
</tr>`,
      )}</tbody></table></div>`
}
${pager(path, {}, input.cursor, input.nextCursor)}
${
  input.preview
    ? html`<section class="card" aria-labelledby="preview-title">
<h2 id="preview-title">Re-sync preview (dry run)</h2>
${
  merges.length === 0
    ? html`<p id="preview-none">Nothing would be merged. A re-sync still runs a full reconcile.</p>`
    : html`<p id="preview-count">A re-sync would merge ${formatCount(merges.length, 'pair')}:</p>
<ul id="preview">${merges.map((m) => html`<li>keep <strong>${m.keep.email}</strong>, absorb the Okta user <strong>${m.absorb.email}</strong></li>`)}</ul>`
}
<form method="post" action="${path}/merge">
${csrfField(input.csrfToken)}
<button type="submit" class="primary">${merges.length ? `Merge ${formatCount(merges.length, 'pair')} and re-sync` : 'Re-sync now'}</button>
</form>
</section>`
    : html``
}`
}
