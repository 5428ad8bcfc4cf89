/** Pieces the list pages share: the empty state and forward (keyset) paging links. */
import { html, type SafeHtml } from '../../pages/html.ts'

export function emptyState(id: string, text: string, hint?: string): SafeHtml {
  return html`<div class="empty" id="${id}"><p><strong>${text}</strong></p>${hint ? html`<p>${hint}</p>` : html``}</div>`
}

/** Links to the first page and to the next one; `params` keeps the filters. */
export function pager(
  path: string,
  params: Record<string, string | undefined>,
  cursor: string | undefined,
  nextCursor: string | null,
): SafeHtml {
  const keep = Object.entries(params).filter((entry): entry is [string, string] => Boolean(entry[1]))
  const link = (extra: [string, string][]) => {
    const query = new URLSearchParams([...keep, ...extra]).toString()
    return query ? `${path}?${query}` : path
  }
  if (!cursor && !nextCursor) return html``
  return html`<nav class="pager" aria-label="Pages">
${cursor ? html`<a href="${link([])}">First page</a>` : html``}
${nextCursor ? html`<a href="${link([['cursor', nextCursor]])}" rel="next" id="next-page">Next page</a>` : html``}
</nav>`
}
