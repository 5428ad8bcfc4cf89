/**
 * The "Sign-in attempts" pages: the list (newest first, by outcome, or the one attempt a reference
 * names), one attempt's trace with what to change in Okta, and the checker (paste a SAMLResponse,
 * see its steps). Every value read from a response is the sender's text: it goes through `html`
 * (escaped) like everything else, and values read before the signature was checked say so.
 */

import { html, type SafeHtml } from '../../pages/html.ts'
import type { AttemptDetail, AttemptItem, CheckResult } from '../../saml/attempts-model.ts'
import { ACS_FORM_MAX_BYTES } from '../../saml/form.ts'
import { formatTime } from '../format.ts'
import { emptyState, pager } from './lists.ts'

const OUTCOMES = ['accepted', 'rejected', 'rate_limited'] as const
const LABELS: Record<string, string> = {
  accepted: 'Accepted',
  rejected: 'Rejected',
  rate_limited: 'Rate limited',
}
const CELL_MAX = 60

function shorten(text: string | null, max = CELL_MAX): SafeHtml {
  if (!text) return html`—`
  if (text.length <= max) return html`${text}`
  return html`<span title="${text}">${text.slice(0, max - 1)}…</span>`
}

function outcomeBadge(outcome: string): SafeHtml {
  const kind = outcome === 'accepted' ? 'badge-ok' : outcome === 'rate_limited' ? 'badge-warn' : 'badge-error'
  return html`<span class="badge ${kind}">${LABELS[outcome] ?? outcome}</span>`
}

const unsignedNote = (signed: boolean) =>
  signed
    ? html``
    : html` <span class="badge off" title="Read before the signature was checked: anyone could have written it">unsigned</span>`

export function attemptsPage(input: {
  basePath: string
  outcome?: string
  reference?: string
  entries: AttemptItem[]
  cursor?: string
  nextCursor: string | null
}): SafeHtml {
  const path = `${input.basePath}/admin/sign-in-attempts`
  const option = (value: string, label: string) =>
    html`<option value="${value}"${(input.outcome ?? '') === value ? html` selected` : html``}>${label}</option>`
  const empty = input.reference
    ? emptyState(
        'attempts-empty',
        `No sign-in attempt with reference ${input.reference}.`,
        'References are kept as long as the attempts (30 days by default); check the spelling.',
      )
    : emptyState(
        'attempts-empty',
        'No sign-in attempts yet.',
        'Every sign-in through Okta, accepted or not, is listed here with what was checked.',
      )
  return html`<p>Every SAML sign-in, accepted or not, with each check it went through. Someone who could not sign in sees a reference on their error page: search for it here. <a href="${path}/check">Check a SAMLResponse</a> without signing in.</p>
<form method="get" action="${path}" class="toolbar">
<div class="field"><label for="f-reference">Reference</label><input type="search" id="f-reference" name="reference" maxlength="40" placeholder="K3QX-9M2A-7ZPD" value="${input.reference ?? ''}"></div>
<div class="field"><label for="f-outcome">Outcome</label><select id="f-outcome" name="outcome">${option('', 'All outcomes')}${OUTCOMES.map((o) => option(o, LABELS[o] as string))}</select></div>
<button type="submit">Search</button>
</form>
${
  input.entries.length === 0
    ? empty
    : html`<div class="table-wrap"><table id="attempts">
<thead><tr><th scope="col">When</th><th scope="col">Outcome</th><th scope="col">Reason</th><th scope="col">Who (NameID)</th><th scope="col">Flow</th><th scope="col">Reference</th></tr></thead>
<tbody>${input.entries.map(
        (e) => html`<tr>
<td>${formatTime(e.at)}</td>
<td>${outcomeBadge(e.outcome)}</td>
<td>${e.reason ? html`<code>${e.reason}</code>` : '—'}</td>
<td>${shorten(e.nameId)}${e.nameId ? unsignedNote(e.signed) : html``}</td>
<td>${e.flow ? e.flow.replace('_', '-') : '—'}</td>
<td><a href="${path}/${e.id}"><code>${e.id}</code></a></td>
</tr>`,
      )}</tbody></table></div>`
}
${pager(path, { outcome: input.outcome }, input.cursor, input.nextCursor)}`
}

function stepsTable(steps: { step: string; ok: boolean; detail: string }[]): SafeHtml {
  if (steps.length === 0) return html`<p class="muted">No step ran.</p>`
  return html`<div class="table-wrap"><table id="steps">
<thead><tr><th scope="col">Step</th><th scope="col">Result</th><th scope="col">Detail</th></tr></thead>
<tbody>${steps.map(
    (s) => html`<tr class="${s.ok ? 'step-ok' : 'step-failed'}">
<td><code>${s.step}</code></td>
<td>${s.ok ? html`<span class="badge badge-ok">passed</span>` : html`<span class="badge badge-error">failed</span>`}</td>
<td>${s.detail}</td>
</tr>`,
  )}</tbody></table></div>`
}

function valuesList(v: {
  flow: string | null
  issuer: string | null
  nameId: string | null
  audience: string | null
  destination: string | null
  inResponseTo: string | null
  signed: boolean
  attributes: Record<string, string[]>
}): SafeHtml {
  const row = (label: string, value: string | null) =>
    html`<div><dt>${label}</dt><dd>${value ? html`<code>${value}</code>` : '—'}</dd></div>`
  const attributes = Object.entries(v.attributes)
  return html`<p>${
    v.signed
      ? 'These values were read from the signed assertion.'
      : html`<strong>Unsigned:</strong> these values were read before the signature was checked (or it failed). Anyone could have written them: compare them, do not trust them.`
  }</p>
<dl class="facts" id="values">
${row('Flow', v.flow)}${row('Issuer', v.issuer)}${row('NameID', v.nameId)}${row('Audience', v.audience)}${row('Destination', v.destination)}${row('InResponseTo', v.inResponseTo)}
<div><dt>Attributes</dt><dd>${
    attributes.length === 0
      ? '—'
      : html`<ul>${attributes.map(([name, values]) => html`<li><code>${name}</code>: ${values.join(', ')}</li>`)}</ul>`
  }</dd></div>
</dl>`
}

function adviceList(advice: string[]): SafeHtml {
  return html`<section class="card" id="advice"><h2>What to change</h2>${advice.map((a) => html`<p>${a}</p>`)}</section>`
}

export function attemptDetailPage(basePath: string, attempt: AttemptDetail): SafeHtml {
  return html`<p><a href="${basePath}/admin/sign-in-attempts">← All sign-in attempts</a></p>
<dl class="facts" id="summary">
<div><dt>Reference</dt><dd><code>${attempt.id}</code></dd></div>
<div><dt>When</dt><dd>${formatTime(attempt.at)}</dd></div>
<div><dt>Outcome</dt><dd>${outcomeBadge(attempt.outcome)}${attempt.reason ? html` <code>${attempt.reason}</code>` : html``}</dd></div>
<div><dt>Client</dt><dd>${attempt.clientAddress ?? '—'}</dd></div>
</dl>
${adviceList(attempt.advice)}
<h2>Steps</h2>
${stepsTable(attempt.steps)}
<h2>Values read from the response</h2>
${valuesList(attempt)}`
}

export function checkerPage(input: {
  basePath: string
  csrfToken: string
  result?: CheckResult
  error?: string
}): SafeHtml {
  const { result } = input
  const landsOn = result?.landsOn
  return html`<p>Paste a SAMLResponse (the base64 value the browser posts to the ACS, e.g. from the browser's developer tools or a SAML tracer) to run every check of a sign-in. This is a dry run: no session, no account change, and the response can still be used afterwards.</p>
<form method="post" action="${input.basePath}/admin/sign-in-attempts/check" class="card${input.error ? ' has-error' : ''}">
<input type="hidden" name="_csrf" value="${input.csrfToken}">
<div class="field"><label for="f-response">SAMLResponse</label>
<textarea id="f-response" name="samlResponse" rows="8" required maxlength="${ACS_FORM_MAX_BYTES}" spellcheck="false"></textarea>
${input.error ? html`<p class="field-error" role="alert">${input.error}</p>` : html``}</div>
<button type="submit" class="primary">Check</button>
</form>
${
  result
    ? html`<section id="check-result">
<h2>Result: ${result.outcome === 'accepted' ? 'the sign-in would be accepted' : html`the sign-in would be rejected (<code>${result.reason ?? ''}</code>)`}</h2>
${
  landsOn
    ? html`<p id="lands-on">${landsOn.createsAccount ? html`A new account would be created for <code>${landsOn.email}</code> (just-in-time provisioning).` : html`It would sign in to the account <code>${landsOn.email}</code>.`}</p>`
    : html``
}
${adviceList(result.advice)}
<h2>Steps</h2>
${stepsTable(result.steps)}
<h2>Values read from the response</h2>
${valuesList(result)}
</section>`
    : html``
}`
}
