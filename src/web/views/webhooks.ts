/**
 * Settings → Webhooks: the org's endpoints with their delivery state (enabled or why not, cursor,
 * lag, failing since, last error), the secret of a new or rotated endpoint shown once, and the
 * actions: add, send a test event, rotate the secret, enable/disable, delete (inside a disclosure,
 * so a stray click does nothing).
 */

import { html, type SafeHtml } from '../../pages/html.ts'
import type { Delivery, Webhook } from '../../webhooks/model.ts'
import { formatDuration, formatTime } from '../format.ts'
import { copyable, csrfField, field } from './forms.ts'
import { emptyState } from './lists.ts'

export interface WebhooksPageInput {
  basePath: string
  csrfToken: string
  hooks: Webhook[]
  eventTypes: readonly string[]
  /** Only in the answer to the create or rotation that made the secret. */
  created?: Webhook & { secret: string }
  /** The outcome of a test send, shown next to its endpoint. */
  tested?: { id: string; delivery: Delivery }
  values?: { url: string; description: string; eventTypes: string[]; batch: boolean }
  error?: { field?: string; message: string }
}

function postButton(action: string, csrfToken: string, label: string, extraClass = ''): SafeHtml {
  return html`<form method="post" action="${action}" class="inline">
${csrfField(csrfToken)}
<button type="submit"${extraClass ? html` class="${extraClass}"` : html``}>${label}</button>
</form>`
}

function state(hook: Webhook): SafeHtml {
  if (!hook.enabled) {
    return html`<span class="badge badge-error">disabled</span>${
      hook.disabledReason ? html`<br><span class="muted">${hook.disabledReason}</span>` : html``
    }`
  }
  if (hook.failingSince) {
    return html`<span class="badge badge-warn">failing</span><br><span class="muted">since ${formatTime(hook.failingSince)}; next try ${formatTime(hook.nextAttemptAt)}${
      hook.lastError ? html`; ${hook.lastError}` : html``
    }</span>`
  }
  return html`<span class="badge badge-ok">delivering</span>`
}

function endpointRow(input: WebhooksPageInput, hook: Webhook): SafeHtml {
  const base = `${input.basePath}/admin/webhooks/${encodeURIComponent(hook.id)}`
  const tested = input.tested?.id === hook.id ? input.tested.delivery : undefined
  return html`<tr data-webhook="${hook.id}">
<td><code class="url">${hook.url}</code>${hook.description ? html`<br><span class="muted">${hook.description}</span>` : html``}</td>
<td class="types">${hook.eventTypes.length === 0 ? html`<span class="muted">all</span>` : hook.eventTypes.map((type, i) => html`${i > 0 ? html`<br>` : html``}<code>${type}</code>`)}${hook.batch ? html`<br><span class="badge">batch</span>` : html``}</td>
<td class="state">${state(hook)}</td>
<td class="cursor">${hook.cursor === 0 ? html`<span class="muted">none yet</span>` : html`up to ${hook.cursor}`}<br><span class="muted">lag ${formatDuration(hook.lagSeconds)}</span></td>
<td class="actions">
${postButton(`${base}/test`, input.csrfToken, 'Send test event')}
${tested ? html`<p class="test-result" role="status">${tested.status === 'delivered' ? `Delivered: HTTP ${tested.responseStatus}` : `Not delivered: ${tested.error ?? 'no answer'}`}</p>` : html``}
${postButton(`${base}/rotate`, input.csrfToken, 'Rotate secret')}
${
  hook.enabled
    ? postButton(`${base}/disable`, input.csrfToken, 'Disable')
    : postButton(`${base}/enable`, input.csrfToken, 'Enable', 'primary')
}
<details><summary>Delete…</summary>
<form method="post" action="${base}/delete">
${csrfField(input.csrfToken)}
<p>Delete this endpoint and its delivery log? Events stop going to it at once.</p>
<button type="submit" class="primary danger">Delete the endpoint</button>
</form></details>
</td>
</tr>`
}

function secretCard(created: Webhook & { secret: string }): SafeHtml {
  return html`<section class="card" aria-labelledby="webhook-secret-title">
<h2 id="webhook-secret-title">Signing secret</h2>
<p class="flash flash-warn" role="alert"><strong>Copy it now: you will not see this again.</strong></p>
<dl class="values">${copyable('webhook-secret', `Secret of ${created.url}`, created.secret, 'Give it to the receiving app: it verifies each request with a Standard Webhooks library.')}</dl>
</section>`
}

function addForm(input: WebhooksPageInput): SafeHtml {
  const values = input.values
  const chosen = new Set(values?.eventTypes ?? [])
  const boxes = input.eventTypes.map(
    (type) =>
      html`<label class="check"><input type="checkbox" name="eventTypes" value="${type}"${
        chosen.has(type) ? html` checked` : html``
      }> <code>${type}</code></label>`,
  )
  const typesError = input.error?.field === 'eventTypes' ? input.error.message : undefined
  return html`<section class="card" aria-labelledby="add-webhook-title">
<h2 id="add-webhook-title">Add an endpoint</h2>
<form method="post" action="${input.basePath}/admin/webhooks" novalidate>
${csrfField(input.csrfToken)}
${field({
  name: 'url',
  label: 'URL',
  type: 'url',
  hint: 'https:// address of the app that receives the events. Private and loopback addresses need ALLOW_PRIVATE_OUTBOUND=1 on the server.',
  value: values?.url,
  error: input.error?.field === 'url' ? input.error.message : undefined,
  required: true,
  autocomplete: 'off',
  placeholder: 'https://app.example.com/hooks/okta-bridge',
})}
${field({ name: 'description', label: 'Description (optional)', value: values?.description, autocomplete: 'off' })}
<fieldset class="event-types${typesError ? ' has-error' : ''}"><legend>Event types</legend>
<p class="hint">None checked: every type.</p>
<div class="checks">${boxes}</div>
${typesError ? html`<p class="field-error">${typesError}</p>` : html``}
</fieldset>
<label class="check"><input type="checkbox" name="batch" value="1"${values?.batch ? html` checked` : html``}> Batch: up to 500 events per request as <code>{"events": [...]}</code></label>
<p><button type="submit" class="primary">Add endpoint</button></p>
</form>
</section>`
}

export function webhooksPage(input: WebhooksPageInput): SafeHtml {
  return html`${input.created ? secretCard(input.created) : html``}
<section class="card" aria-labelledby="webhooks-title">
<h2 id="webhooks-title">Endpoints</h2>
<p>Each endpoint receives the org's change feed as signed POSTs (Standard Webhooks), in feed order, retried with backoff until it answers 2xx. After a day of failures it is disabled; enabling it resumes from the first undelivered event.</p>
${
  input.hooks.length === 0
    ? emptyState(
        'webhooks-empty',
        'No endpoints yet.',
        'Add one below, or with POST /api/v1/orgs/{slug}/webhooks.',
      )
    : html`<div class="table-wrap"><table id="webhooks">
<thead><tr><th scope="col">Endpoint</th><th scope="col">Events</th><th scope="col">State</th><th scope="col">Delivered</th><th scope="col"><span class="muted">Actions</span></th></tr></thead>
<tbody>${input.hooks.map((hook) => endpointRow(input, hook))}</tbody></table></div>`
}
</section>
${addForm(input)}`
}
