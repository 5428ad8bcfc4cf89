/**
 * The metadata parts of Settings → Okta Integration: the set-up choices in their order (the IdP's
 * metadata URL first, the pasted metadata XML second, the three values typed by hand third), and
 * the metadata card of a configured integration (URL, last fetch, last error, "Refresh now").
 * A pure view of the integration status, like ./integration.ts.
 */
import type { IntegrationStatus } from '../../integration/model.ts'
import { html, type SafeHtml } from '../../pages/html.ts'
import { formatTime } from '../format.ts'
import { csrfField, type FieldErrors, field } from './forms.ts'

export interface MetadataValues {
  metadataUrl: string
  metadataXml: string
}

export interface SetUpChoicesInput {
  basePath: string
  csrfToken: string
  status: IntegrationStatus
  values: MetadataValues
  errors: FieldErrors
  /** The manual form (./integration.ts), shown as the third choice. */
  manualForm: SafeHtml
}

const MANUAL_FIELDS = ['ssoUrl', 'issuer', 'certificate', 'nextCertificate']

export function setUpChoices(input: SetUpChoicesInput): SafeHtml {
  const { status, values, errors } = input
  const configured = status.configured
  // The manual form stays open where it is in use: set up by hand, or a field of it to correct.
  const manualOpen =
    MANUAL_FIELDS.some((name) => errors[name]) ||
    (configured && status.metadataUrl === null && !status.metadataFetchedAt)
  const action = `${input.basePath}/admin/integration/metadata`
  return html`<section class="card" aria-labelledby="setup-title">
<h2 id="setup-title">${configured ? 'Identity provider settings' : 'Set up'}</h2>
<form method="post" action="${action}" novalidate id="metadata-url-form">
${csrfField(input.csrfToken)}
${field({
  name: 'metadataUrl',
  label: 'Metadata URL',
  value: values.metadataUrl,
  error: errors.metadataUrl,
  type: 'url',
  hint: "Paste the IdP's metadata link: in Okta, the app's Sign On tab → Identity Provider metadata; in Entra ID, App Federation Metadata Url. Certificates are then kept up to date automatically.",
  placeholder: 'https://acme.okta.com/app/exk…/sso/saml/metadata',
})}
<button type="submit" class="primary">${configured ? 'Use this metadata URL' : 'Set up from the metadata URL'}</button>
</form>
<details id="metadata-xml-setup"${errors.metadataXml ? html` open` : html``}>
<summary>Or paste the metadata XML</summary>
<form method="post" action="${action}" novalidate>
${csrfField(input.csrfToken)}
${field({
  name: 'metadataXml',
  label: 'Metadata XML',
  value: values.metadataXml,
  error: errors.metadataXml,
  multiline: true,
  rows: 8,
  hint: 'The whole EntityDescriptor document (at most 1 MB). Pasted metadata is not refreshed: paste it again when the IdP changes its certificate.',
})}
<button type="submit">Set up from the XML</button>
</form>
</details>
<details id="manual-setup"${manualOpen ? html` open` : html``}>
<summary>Or type the three values</summary>
${input.manualForm}
</details>
</section>`
}

/** The card of an integration set up from metadata; nothing for one set up by hand. */
export function metadataCard(status: IntegrationStatus, basePath: string, csrfToken: string): SafeHtml {
  if (!status.configured || !status.metadataFetchedAt) return html``
  return html`<section class="card" aria-labelledby="metadata-title">
<h2 id="metadata-title">IdP metadata</h2>
<dl class="facts">
<div><dt>Metadata URL</dt><dd>${status.metadataUrl ? html`<code class="wrap" id="metadata-url">${status.metadataUrl}</code>` : 'pasted XML (not refreshed)'}</dd></div>
<div><dt>Last read</dt><dd id="metadata-fetched">${formatTime(status.metadataFetchedAt)}</dd></div>
${status.metadataNextRefreshAt ? html`<div><dt>Next refresh</dt><dd>${formatTime(status.metadataNextRefreshAt)}</dd></div>` : html``}
<div><dt>Single logout</dt><dd>${status.idpSloUrl ? html`<code class="wrap">${status.idpSloUrl}</code> (${status.idpSloBinding ?? ''})` : 'none in the metadata'}</dd></div>
</dl>
${
  status.metadataError
    ? html`<p class="flash flash-error" role="alert" id="metadata-error">The last refresh failed: ${status.metadataError}. Sign-in goes on with the values read before.</p>`
    : html``
}
${
  status.metadataUrl
    ? html`<form method="post" action="${basePath}/admin/integration/metadata/refresh">
${csrfField(csrfToken)}
<button type="submit" id="metadata-refresh">Refresh now</button>
</form>`
    : html``
}
</section>`
}
