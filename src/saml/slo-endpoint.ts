/**
 * Where the IdP's Single Logout service is, and whether this org can take part in single logout at
 * all: the one place both the logout flows (`logout.ts`) and the integration status ask. Kept apart
 * from the flows so that the integration aggregate can read it without importing the SAML service.
 */
import { readSettings } from '../integration/settings.ts'
import type { IdpMetadataRow } from '../store/idp-metadata.ts'
import type { IntegrationRow } from '../store/integrations.ts'

/** What the IdP's metadata said about its Single Logout service (null: set up by hand). */
export type SloFromMetadata = Pick<IdpMetadataRow, 'slo_url' | 'slo_binding'> | null

/** Where LogoutRequests go, and where LogoutResponses to the IdP's requests go. */
export interface SloEndpoint {
  location: string
  responseLocation: string
}

/**
 * The IdP's Single Logout endpoint for this integration, or null when it has none: the `sloUrl`
 * setting when an admin gave one, else the HTTP-Redirect SingleLogoutService of the IdP's metadata
 * (we send LogoutRequests and LogoutResponses over that binding only).
 */
export function idpSloEndpoint(integration: IntegrationRow, metadata: SloFromMetadata): SloEndpoint | null {
  const url = readSettings(integration.settings).sloUrl
  if (url) return { location: url, responseLocation: url }
  if (metadata?.slo_url && metadata.slo_binding === 'HTTP-Redirect')
    return { location: metadata.slo_url, responseLocation: metadata.slo_url }
  return null
}

/** Why single logout towards the IdP is not possible for this org, or null when it is. */
export function singleLogoutProblem(
  integration: IntegrationRow | null,
  metadata: SloFromMetadata,
): string | null {
  if (!integration) return 'the Okta integration is not set up'
  if (!idpSloEndpoint(integration, metadata)) {
    return metadata?.slo_url
      ? "the IdP's metadata offers single logout over HTTP-POST only; set settings.sloUrl to its HTTP-Redirect endpoint: signing out ends the session here only"
      : 'no IdP Single Logout URL (settings.sloUrl, or a SingleLogoutService in the IdP metadata): signing out ends the session here only'
  }
  if (!integration.sp_certificate)
    return 'single logout needs an SP key to sign with (POST …/okta/sp-keys): signing out ends the session here only'
  return null
}
