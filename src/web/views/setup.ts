/**
 * The setup-link page (what the customer's IT admin sees, no account needed), the IdP guide card
 * the console's guides page shares with it, and the console's setup-links page. Pure views: the
 * live checks are refreshed by the console script polling `{link}/status.json` (`data-show-if`).
 */
import type { OktaValues } from '../../integration/service.ts'
import { html, type SafeHtml } from '../../pages/html.ts'
import { GUIDES, type IdpGuide } from '../../setup/guides.ts'
import { IDPS, type Idp, type SetupChecks, type SetupLink } from '../../setup/model.ts'
import { formatTime } from '../format.ts'
import { copyable, csrfField, type FieldErrors, field } from './forms.ts'

/** The values to type into the IdP, under its own labels, then its steps. */
export function guideCards(guide: IdpGuide, values: OktaValues, prefix = 'v'): SafeHtml {
  const rows = guide.values.map((row, i) =>
    'value' in row
      ? copyable(`${prefix}-${i}`, row.label, values[row.value])
      : copyable(`${prefix}-${i}`, row.label, row.fixed),
  )
  return html`<section class="card" aria-labelledby="${prefix}-values-title">
<h2 id="${prefix}-values-title">Values to type into ${guide.name}</h2>
<dl class="values">${rows}</dl>
${
  guide.scim
    ? html``
    : html`<p class="flash flash-warn" id="no-scim">${guide.name} does not provision over SCIM: people get their account at their first sign-in, so <strong>just-in-time creation must be on</strong> (the set-up form ticks it).</p>`
}
</section>
<section class="card" aria-labelledby="${prefix}-steps-title">
<h2 id="${prefix}-steps-title">Step by step in ${guide.name}</h2>
<ol class="steps">${guide.steps.map((step) => html`<li>${step}</li>`)}</ol>
</section>`
}

const CHECKS: Array<{ key: keyof SetupChecks['checks']; label: string; scimOnly?: true }> = [
  { key: 'metadataRead', label: 'Metadata read' },
  { key: 'firstScimRequest', label: 'First SCIM request seen', scimOnly: true },
  { key: 'firstUserProvisioned', label: 'First user provisioned', scimOnly: true },
  { key: 'firstSignIn', label: 'First sign-in succeeded' },
]

function checksCard(guide: IdpGuide, checks: SetupChecks): SafeHtml {
  const items = CHECKS.filter((c) => guide.scim || !c.scimOnly).map((c) => {
    const ok = checks.checks[c.key]
    return html`<li id="check-${c.key}" class="check">
<span data-show-if="checks.${c.key}"${ok ? html`` : html` hidden`} class="check-ok">✓ ${c.label}</span>
<span data-show-if="!checks.${c.key}"${ok ? html` hidden` : html``} class="check-waiting">… ${c.label}: waiting</span>
</li>`
  })
  const reason = checks.reasons.firstSignIn
  return html`<section class="card" aria-labelledby="checks-title" aria-live="polite">
<h2 id="checks-title">Live checks</h2>
<ul class="checks">${items}</ul>
<p class="flash flash-error" id="sign-in-failure" data-show-if="reasons.firstSignIn"${reason ? html`` : html` hidden`}>Last sign-in failed:
<span data-bind="reasons.firstSignIn">${reason ?? ''}</span></p>
</section>`
}

export interface SetupLinkPageInput {
  url: string
  orgName: string
  link: SetupLink
  values: OktaValues
  checks: SetupChecks
  configured: boolean
  form: { ssoUrl: string; issuer: string; certificate: string; justInTime: boolean }
  /** What the metadata form had, when it comes back with an error. */
  metadataForm?: { metadataUrl: string; metadataXml: string }
  errors: FieldErrors
  scimToken?: string
  assetBase: string
}

function tokenOnce(guide: IdpGuide, token: string): SafeHtml {
  return html`<section class="card token-once" aria-labelledby="token-title">
<h2 id="token-title">Your SCIM token</h2>
<p class="flash flash-warn" role="alert"><strong>Copy it now: you will not see this again.</strong> Only its hash is stored.</p>
<dl class="values">${copyable('scim-token', guide.tokenLabel ?? 'SCIM token', token)}</dl>
</section>`
}

/** The first choice: the IdP's metadata (URL refreshed on a schedule, or the pasted document). */
function metadataForm(guide: IdpGuide, input: SetupLinkPageInput): SafeHtml {
  const { errors } = input
  const values = input.metadataForm ?? { metadataUrl: '', metadataXml: '' }
  const justInTime = input.form.justInTime
  return html`<section class="card" aria-labelledby="metadata-title">
<h2 id="metadata-title">From ${guide.name}'s metadata${guide.metadata.url ? ' (recommended)' : ''}</h2>
<p>${guide.name}: ${guide.metadata.where}.${guide.metadata.url ? ' With the URL, new signing certificates are picked up automatically.' : ''}</p>
<form method="post" action="${input.url}/metadata" novalidate id="metadata-form">
${guide.metadata.url ? field({ name: 'metadataUrl', label: 'Metadata URL', value: values.metadataUrl, error: errors.metadataUrl, type: 'url' }) : html``}
${field({ name: 'metadataXml', label: guide.metadata.url ? 'Or paste the metadata XML' : 'Metadata XML', value: values.metadataXml, error: errors.metadataXml, multiline: true, rows: 6 })}
<div class="field check"><input type="checkbox" id="f-metadata-justInTime" name="justInTime" value="1"${justInTime ? html` checked` : html``}><label for="f-metadata-justInTime">Just-in-time creation: make an account at a person's first sign-in${guide.scim ? '' : ' (required: no SCIM)'}</label></div>
<button type="submit" class="primary">${input.configured ? 'Save from the metadata' : guide.scim ? 'Save and show the SCIM token' : 'Save'}</button>
</form>
</section>`
}

function setUpForm(guide: IdpGuide, input: SetupLinkPageInput): SafeHtml {
  const { form, errors } = input
  return html`${metadataForm(guide, input)}<section class="card" aria-labelledby="setup-title">
<h2 id="setup-title">${input.configured ? `${guide.name} settings (already set up: save to change them)` : `Or paste the three values ${guide.name} shows`}</h2>
<form method="post" action="${input.url}" novalidate id="manual-form">
${field({ name: 'ssoUrl', label: guide.form.ssoUrl, value: form.ssoUrl, error: errors.ssoUrl, required: true, type: 'url' })}
${field({ name: 'issuer', label: guide.form.issuer, value: form.issuer, error: errors.issuer, required: true })}
${field({ name: 'certificate', label: guide.form.certificate, value: form.certificate, error: errors.certificate, required: true, multiline: true, rows: 8, hint: 'The whole certificate, -----BEGIN CERTIFICATE----- included.' })}
<div class="field check"><input type="checkbox" id="f-justInTime" name="justInTime" value="1"${form.justInTime ? html` checked` : html``}><label for="f-justInTime">Just-in-time creation: make an account at a person's first sign-in${guide.scim ? '' : ' (required: no SCIM)'}</label></div>
<button type="submit" class="primary">${input.configured ? 'Save changes' : guide.scim ? 'Save and show the SCIM token' : 'Save'}</button>
</form>
</section>
${
  input.configured && guide.scim
    ? html`<section class="card" aria-labelledby="token-new-title">
<h2 id="token-new-title">SCIM token</h2>
<p>The token was shown once. A new one replaces it at once: provisioning with the old token stops.</p>
<form method="post" action="${input.url}/scim-token"><button type="submit">Make a new SCIM token</button></form>
</section>`
    : html``
}`
}

export function setupLinkPage(input: SetupLinkPageInput): SafeHtml {
  const guide = GUIDES[input.link.idp]
  return html`<div data-poll-url="${input.url}/status.json" data-poll-ms="1000">
<p id="link-scope">This page sets up single sign-on${guide.scim ? ' and provisioning' : ''} with ${guide.name} for <strong>${input.orgName}</strong>, and nothing else. It works until ${formatTime(input.link.expiresAt)}.</p>
${input.scimToken ? tokenOnce(guide, input.scimToken) : html``}
${checksCard(guide, input.checks)}
${guideCards(guide, input.values)}
${setUpForm(guide, input)}
</div>`
}

/** The console's guides page: every IdP's values and steps, one after the other. */
export function guidesPage(values: OktaValues, active: Idp): SafeHtml {
  const tabs = IDPS.map(
    (idp) =>
      html`<li><a href="?idp=${idp}"${idp === active ? html` aria-current="page"` : html``}>${GUIDES[idp].name}</a></li>`,
  )
  return html`<nav aria-label="Identity providers"><ul class="tabs">${tabs}</ul></nav>
${guideCards(GUIDES[active], values, `g-${active}`)}`
}

export interface SetupLinksPageInput {
  basePath: string
  csrfToken: string
  links: SetupLink[]
  created?: { url: string; expiresAt: string; idp: Idp }
  error?: string
}

export function setupLinksPage(input: SetupLinksPageInput): SafeHtml {
  const created = input.created
  const rows = input.links.map(
    (link) => html`<tr id="link-${link.id}">
<td>${GUIDES[link.idp].name}</td><td class="status-${link.status}">${link.status}</td>
<td>${formatTime(link.createdAt)}</td><td>${formatTime(link.expiresAt)}</td><td>${link.lastUsedAt ? formatTime(link.lastUsedAt) : 'never'}</td>
<td>${
      link.status === 'active'
        ? html`<form method="post" action="${input.basePath}/admin/setup-links/${link.id}/revoke">${csrfField(input.csrfToken)}<button type="submit" class="danger">Revoke</button></form>`
        : html``
    }</td></tr>`,
  )
  return html`${
    created
      ? html`<section class="card token-once" aria-labelledby="created-title">
<h2 id="created-title">Setup link for ${GUIDES[created.idp].name}</h2>
<p class="flash flash-warn" role="alert"><strong>Copy it now: it is shown once.</strong> Anyone with the link can set up the integration until ${formatTime(created.expiresAt)}.</p>
<dl class="values">${copyable('setup-link-url', 'Setup link', created.url)}</dl>
</section>`
      : html``
  }
<section class="card" aria-labelledby="new-link-title">
<h2 id="new-link-title">New setup link</h2>
<p>For the person who configures your identity provider: the link opens a page with the values to type in, the set-up form and live checks. It needs no account and reaches nothing else of the console.</p>
<form method="post" action="${input.basePath}/admin/setup-links" novalidate>
${csrfField(input.csrfToken)}
<div class="field"><label for="f-idp">Identity provider</label>
<select id="f-idp" name="idp">${IDPS.map((idp) => html`<option value="${idp}">${GUIDES[idp].name}</option>`)}</select></div>
${field({ name: 'expiresInHours', label: 'Valid for (hours, at most 168)', value: '72', error: input.error })}
<button type="submit" class="primary">Make the link</button>
</form>
</section>
<section class="card" aria-labelledby="links-title">
<h2 id="links-title">Links</h2>
${
  input.links.length === 0
    ? html`<p class="empty">No setup links yet.</p>`
    : html`<table><thead><tr><th>IdP</th><th>Status</th><th>Made</th><th>Expires</th><th>Last used</th><th></th></tr></thead><tbody>${rows}</tbody></table>`
}
</section>`
}
