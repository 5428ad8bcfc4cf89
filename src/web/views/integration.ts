/**
 * Settings → Okta Integration: the values to type into Okta, step-by-step guidance that follows
 * Okta's screens, the set-up form, the SCIM token shown once, status with live progress, certificate
 * expiry, and the ways to rotate the token and remove the integration. A pure view of the
 * integration service's status; the script only refreshes the `data-bind` elements by polling the
 * same status as JSON (`{orgURL}/admin/integration/status.json`, shaped like `GET …/okta`).
 */
import type { IntegrationStatus } from '../../integration/model.ts'
import { html, type SafeHtml } from '../../pages/html.ts'
import { formatCount, formatDuration, formatTime } from '../format.ts'
import { copyable, csrfField, type FieldErrors, field } from './forms.ts'
import { metadataCard, setUpChoices } from './integration-metadata.ts'

/** A certificate this close to expiry gets a warning. */
export const CERTIFICATE_WARNING_DAYS = 30

export interface SetUpValues {
  ssoUrl: string
  issuer: string
  certificate: string
  nextCertificate: string
  metadataUrl: string
  metadataXml: string
}

export interface IntegrationPageInput {
  basePath: string
  slug: string
  csrfToken: string
  status: IntegrationStatus
  apiStatusUrl: string
  values: SetUpValues
  errors: FieldErrors
  /** The SCIM token, only in the answer to the set-up or rotation that created it. */
  scimToken?: string
}

export function valuesFromStatus(status: IntegrationStatus): SetUpValues {
  return {
    ssoUrl: status.ssoUrl ?? '',
    issuer: status.issuer ?? '',
    certificate: '',
    nextCertificate: '',
    metadataUrl: status.metadataUrl ?? '',
    metadataXml: '',
  }
}

function tokenOnce(token: string): SafeHtml {
  return html`<section class="card token-once" aria-labelledby="token-title">
<h2 id="token-title">Your SCIM token</h2>
<p class="flash flash-warn" role="alert"><strong>Copy it now: you will not see this again.</strong>
Only its hash is stored. If you lose it, rotate the token and paste the new one into Okta.</p>
<dl class="values">${copyable('scim-token', 'SCIM token (API Token in Okta)', token)}</dl>
<p>In Okta: <em>Provisioning → Integration → Authentication Mode: HTTP Header</em>, paste it into
<em>Authorization: Bearer</em>, then press <em>Test Connector Configuration</em>.</p>
</section>`
}

function progressBar(
  id: string,
  label: string,
  bindValue: string,
  bindMax: string,
  value: number,
  max: number,
) {
  return html`<label for="${id}">${label}</label>
<progress id="${id}" max="${Math.max(max, 1)}" value="${value}" data-bind-value="${bindValue}" data-bind-max="${bindMax}">${value} of ${max}</progress>`
}

function removalProgress(status: IntegrationStatus): SafeHtml {
  const removal = status.sync.removal
  if (!removal?.running) return html``
  return html`<section class="card" aria-labelledby="removal-title" aria-live="polite">
<h2 id="removal-title">Removing the integration</h2>
<div data-show-if="sync.removal.running">
${progressBar('removal-progress', 'Users deleted', 'sync.removal.deleted', 'sync.removal.total', removal.deleted, removal.total)}
<p><span data-bind="sync.removal.deleted" data-format="count">${removal.deleted}</span> of
<span data-bind="sync.removal.total" data-format="count">${removal.total}</span> users deleted. You can leave this page; the removal goes on.</p>
</div>
<p data-show-if="!sync.removal.running" hidden class="flash flash-ok" id="removal-done">Removal finished: every user the integration created is deleted. You can set the integration up again below after reloading.</p>
</section>`
}

function statusCard(status: IntegrationStatus): SafeHtml {
  const sync = status.sync
  const reconcile = sync.fullReconcile
  return html`<section class="card" aria-labelledby="status-title">
<h2 id="status-title">Status</h2>
<dl class="stats">
<div><dt>Connected users</dt><dd><span id="connected-users" data-bind="connectedUsers" data-format="count">${status.connectedUsers}</span></dd></div>
<div><dt>Groups</dt><dd><span data-bind="groups" data-format="count">${status.groups}</span></dd></div>
<div><dt>Sync lag</dt><dd><span data-bind="sync.lagSeconds" data-format="duration">${formatDuration(sync.lagSeconds)}</span></dd></div>
<div><dt>Pending changes</dt><dd><span data-bind="sync.pendingChanges" data-format="count">${sync.pendingChanges}</span></dd></div>
</dl>
<div class="reconcile" aria-live="polite">
<h3>Full reconcile</h3>
<div data-show-if="sync.fullReconcile.running"${reconcile.running ? html`` : html` hidden`}>
${progressBar('reconcile-progress', 'Full reconcile progress', 'sync.fullReconcile.processed', 'sync.fullReconcile.total', reconcile.processed, reconcile.total)}
<p id="reconcile-text"><span data-bind="sync.fullReconcile.processed" data-format="count">${reconcile.processed}</span> of
<span data-bind="sync.fullReconcile.total" data-format="count">${reconcile.total}</span> checked, about
<span data-bind="sync.fullReconcile.etaSeconds" data-format="duration">${formatDuration(reconcile.etaSeconds)}</span> left.</p>
</div>
<p data-show-if="!sync.fullReconcile.running"${reconcile.running ? html` hidden` : html``}>Not running. Last finished:
<span id="last-reconcile" data-bind="lastFullReconcileAt" data-format="time">${formatTime(sync.lastFullReconcileAt)}</span>.</p>
</div>
<p class="flash flash-error" data-show-if="sync.lastError"${sync.lastError ? html`` : html` hidden`}>Last sync error:
<span data-bind="sync.lastError">${sync.lastError ?? ''}</span></p>
</section>`
}

function certificateCard(status: IntegrationStatus): SafeHtml {
  const cert = status.certificate
  if (!cert) return html``
  const next = status.nextCertificate
  const warn = cert.expiresInDays <= CERTIFICATE_WARNING_DAYS
  return html`<section class="card" aria-labelledby="cert-title">
<h2 id="cert-title">Signing certificate</h2>
${
  warn
    ? html`<p class="flash flash-warn" role="alert" id="cert-warning">The Okta signing certificate expires in ${formatCount(
        Math.max(cert.expiresInDays, 0),
        'day',
      )} (${formatTime(cert.notAfter)}). ${
        next
          ? 'The next certificate is already in place; sign-ins keep working when Okta switches.'
          : status.metadataUrl
            ? 'The IdP metadata is read again on a schedule: the new certificate becomes the next one as soon as the IdP lists it (or press Refresh now below).'
            : 'In Okta, create the new certificate (Sign On → SAML Signing Certificates), paste it below as the next certificate, then activate it in Okta.'
      }</p>`
    : html``
}
<dl class="facts">
<div><dt>Subject</dt><dd>${cert.subject}</dd></div>
<div><dt>Valid until</dt><dd>${formatTime(cert.notAfter)} (${formatCount(cert.expiresInDays, 'day')} left)</dd></div>
<div><dt>SHA-256 fingerprint</dt><dd><code class="wrap">${cert.fingerprintSha256}</code></dd></div>
<div><dt>Next certificate</dt><dd>${
    next
      ? html`${next.subject}, valid until ${formatTime(next.notAfter)}`
      : 'none (add one for a rollover without downtime)'
  }</dd></div>
</dl>
</section>`
}

function oktaValuesCard(status: IntegrationStatus): SafeHtml {
  return html`<section class="card" aria-labelledby="values-title">
<h2 id="values-title">Values to type into Okta</h2>
<dl class="values">
${copyable('acs-url', 'Single sign-on URL (also Recipient and Destination URL)', status.acsUrl)}
${copyable('audience', 'Audience URI (SP Entity ID)', status.audience)}
${copyable('scim-base-url', 'SCIM connector base URL', status.scimBaseUrl)}
${copyable('unique-id', 'Unique identifier field for users', 'email')}
${copyable('auth-mode', 'Authentication Mode', 'HTTP Header')}
</dl>
<p class="hint">SP metadata: <code>${status.spMetadataUrl}</code> · SP-initiated sign-in: <code>${status.loginUrl}</code></p>
<p class="hint" id="single-logout">Single Logout URL (Okta: <em>Enable Single Logout</em>): <code>${status.singleLogoutUrl}</code> · ${
    status.singleLogout.enabled ? 'single logout is on' : status.singleLogout.problem
  }</p>
</section>`
}

function steps(configured: boolean): SafeHtml {
  // Open while setting up; folded away once the integration works.
  return html`<section class="card" aria-labelledby="steps-title">
<details${configured ? html`` : html` open`}>
<summary><h2 id="steps-title">Step by step in Okta</h2></summary>
<ol class="steps">
<li>In the Okta Admin Console open <em>Applications → Applications</em> and press <em>Create App Integration</em>. Choose <em>SAML 2.0</em>, then <em>Next</em>.</li>
<li><em>General Settings</em>: give the app a name, then <em>Next</em>.</li>
<li><em>Configure SAML</em>: paste the <strong>Single sign-on URL</strong> (keep “Use this for Recipient URL and Destination URL” ticked) and the <strong>Audience URI (SP Entity ID)</strong> from above. Set <em>Name ID format</em> to <em>EmailAddress</em> and <em>Application username</em> to <em>Email</em>. <em>Next</em>, then <em>Finish</em>.</li>
<li>On the app's <em>Sign On</em> tab copy the <strong>Identity Provider metadata</strong> link into <em>Metadata URL</em> below (the signing certificates are then kept up to date). Or open <em>View SAML setup instructions</em> and copy the <strong>Identity Provider Single Sign-On URL</strong>, the <strong>Identity Provider Issuer</strong> and the <strong>X.509 Certificate</strong> into the three fields.</li>
<li>Copy the SCIM token shown after saving. On the app's <em>General</em> tab, <em>App Settings → Edit</em>, set <em>Provisioning</em> to <em>SCIM</em> and save.</li>
<li>On the <em>Provisioning</em> tab, <em>Integration → Edit</em>: paste the <strong>SCIM connector base URL</strong>, set <strong>Unique identifier field for users</strong> to <code>email</code>, tick <em>Push New Users</em>, <em>Push Profile Updates</em> and <em>Push Groups</em>, choose <strong>Authentication Mode: HTTP Header</strong> and paste the token. <em>Test Connector Configuration</em>, then <em>Save</em>.</li>
<li><em>Provisioning → To App → Edit</em>: enable <em>Create Users</em>, <em>Update User Attributes</em> and <em>Deactivate Users</em>. Then assign people and groups on the <em>Assignments</em> tab and push groups on <em>Push Groups</em>. The connected users count above goes up as Okta pushes them.</li>
</ol>
</details>
</section>`
}

/** The three values typed by hand: the third choice of the set-up card. */
function manualForm(input: IntegrationPageInput): SafeHtml {
  const { values, errors, status } = input
  const configured = status.configured
  return html`<form method="post" action="${input.basePath}/admin/integration" novalidate id="manual-form">
${csrfField(input.csrfToken)}
${field({ name: 'ssoUrl', label: 'Identity Provider Single Sign-On URL', value: values.ssoUrl, error: errors.ssoUrl, required: true, type: 'url', hint: 'From Okta: Sign On → View SAML setup instructions.', placeholder: 'https://acme.okta.com/app/…/sso/saml' })}
${field({ name: 'issuer', label: 'Identity Provider Issuer', value: values.issuer, error: errors.issuer, required: true, placeholder: 'http://www.okta.com/exk…' })}
${field({
  name: 'certificate',
  label: 'X.509 Certificate',
  value: values.certificate,
  error: errors.certificate,
  required: true,
  multiline: true,
  rows: 8,
  hint: configured
    ? 'Paste the current certificate again, or a new one from Okta, to save changes.'
    : 'Paste the whole certificate, -----BEGIN CERTIFICATE----- included.',
})}
${
  configured
    ? field({
        name: 'nextCertificate',
        label: 'Next certificate (optional)',
        value: values.nextCertificate,
        error: errors.nextCertificate,
        multiline: true,
        rows: 4,
        hint: 'The certificate Okta will switch to; sign-ins signed with either are accepted. Leave empty to keep what is set.',
      })
    : html``
}
${
  status.nextCertificate
    ? html`<div class="field check"><input type="checkbox" id="f-retireNext" name="retireNext" value="1"><label for="f-retireNext">Retire the next certificate</label></div>`
    : html``
}
<button type="submit" class="primary">${configured ? 'Save changes' : 'Save and show the SCIM token'}</button>
</form>`
}

function setUpForm(input: IntegrationPageInput): SafeHtml {
  return setUpChoices({
    basePath: input.basePath,
    csrfToken: input.csrfToken,
    status: input.status,
    values: input.values,
    errors: input.errors,
    manualForm: manualForm(input),
  })
}

function manageCards(input: IntegrationPageInput): SafeHtml {
  if (!input.status.configured) return html``
  return html`<section class="card" aria-labelledby="resync-title">
<h2 id="resync-title">Re-sync</h2>
<p>Merges the <a href="${input.basePath}/admin/duplicates">duplicate users</a> (preview them there first), then checks every account against Okta's data in a full reconcile. The progress shows above.</p>
<form method="post" action="${input.basePath}/admin/integration/resync">
${csrfField(input.csrfToken)}
<button type="submit">Re-sync now</button>
</form>
</section>
<section class="card" aria-labelledby="settings-link-title">
<h2 id="settings-link-title">Sign-in and session settings</h2>
<p>Who may sign in (SCIM provisioning or just-in-time, admins with Okta), session lifetime, SAML details.</p>
<p><a class="button" id="settings-link" href="${input.basePath}/admin/integration/settings">Open the settings</a></p>
</section>
<section class="card" aria-labelledby="token-manage-title">
<h2 id="token-manage-title">SCIM token</h2>
<p>The token was shown once when it was made. Rotating makes a new one and the old one stops working at once: Okta's provisioning fails until you paste the new token there.</p>
<p><a class="button" href="${input.basePath}/admin/integration/rotate">Rotate SCIM token…</a></p>
</section>
<section class="card danger" aria-labelledby="remove-title">
<h2 id="remove-title">Remove the integration</h2>
<p>Stops sign-in through Okta and provisioning, and deletes every user the integration created. Users who existed before stay.</p>
<p><a class="button danger" href="${input.basePath}/admin/integration/remove">Remove integration…</a></p>
</section>`
}

export function integrationPage(input: IntegrationPageInput): SafeHtml {
  const { status } = input
  const removing = status.sync.removal?.running === true
  return html`<div data-poll-url="${input.apiStatusUrl}" data-poll-ms="1000">
${input.scimToken ? tokenOnce(input.scimToken) : html``}
${removalProgress(status)}
${
  status.configured
    ? html`<p class="flash flash-ok" id="configured">Connected to Okta (${status.issuer ?? ''}) since ${formatTime(status.createdAt)}.</p>`
    : removing
      ? html``
      : html`<p class="empty" id="not-configured">Okta is not set up yet. Follow the steps below: it takes about five minutes.</p>`
}
${status.configured ? statusCard(status) : html``}
${certificateCard(status)}
${metadataCard(status, input.basePath, input.csrfToken)}
${oktaValuesCard(status)}
${removing ? html`` : html`${steps(status.configured)}${setUpForm(input)}`}
${manageCards(input)}
</div>`
}

export function rotateConfirmPage(basePath: string, csrfToken: string): SafeHtml {
  return html`<section class="card" aria-labelledby="rotate-title">
<h2 id="rotate-title">Rotate the SCIM token?</h2>
<p>A new token is made and shown once. <strong>The current token stops working at once</strong>: provisioning from Okta fails until you paste the new token into Okta (Provisioning → Integration → API Token).</p>
<form method="post" action="${basePath}/admin/integration/rotate">
${csrfField(csrfToken)}
<button type="submit" class="primary danger">Rotate the token</button>
<a href="${basePath}/admin/integration">Cancel</a>
</form>
</section>`
}

export function removeConfirmPage(input: {
  basePath: string
  slug: string
  csrfToken: string
  deletedUsers: number
  deletedGroups: number
  error?: string
}): SafeHtml {
  return html`<section class="card danger" aria-labelledby="remove-confirm-title">
<h2 id="remove-confirm-title">Remove the Okta integration?</h2>
<p id="dry-run">This deletes <strong id="dry-run-users">${formatCount(input.deletedUsers, 'user')}</strong> and
<strong>${formatCount(input.deletedGroups, 'group')}</strong> that came from Okta. Users who existed before the integration stay. Sign-in through Okta and provisioning stop at once.</p>
<form method="post" action="${input.basePath}/admin/integration/remove" novalidate>
${csrfField(input.csrfToken)}
${field({
  name: 'confirmSlug',
  label: `Type the organization's slug “${input.slug}” to confirm`,
  error: input.error,
  required: true,
  autocomplete: 'off',
})}
<button type="submit" class="primary danger">Remove the integration</button>
<a href="${input.basePath}/admin/integration">Cancel</a>
</form>
</section>`
}
