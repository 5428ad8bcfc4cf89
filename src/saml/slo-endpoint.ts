/**
 * Where the IdP's Single Logout service is, and whether this org can take part in single logout at
 * all: the one place both the logout flows (`logout.ts`) and the integration status ask. Kept apart
 * from the flows so that the integration aggregate can read it without importing the SAML service.
 */
import { readSettings } from '../integration/settings.ts'
import type { IntegrationRow } from '../store/integrations.ts'

/** Where LogoutRequests go, and where LogoutResponses to the IdP's requests go. */
export interface SloEndpoint {
  location: string
  responseLocation: string
}

/**
 * The IdP's Single Logout endpoint for this integration, or null when it has none. Today the
 * `sloUrl` setting; the one place to add another source (IdP metadata) in front of it.
 */
export function idpSloEndpoint(integration: IntegrationRow): SloEndpoint | null {
  const url = readSettings(integration.settings).sloUrl
  return url ? { location: url, responseLocation: url } : null
}

/** Why single logout towards the IdP is not possible for this org, or null when it is. */
export function singleLogoutProblem(integration: IntegrationRow | null): string | null {
  if (!integration) return 'the Okta integration is not set up'
  if (!idpSloEndpoint(integration))
    return 'no IdP Single Logout URL (settings.sloUrl): signing out ends the session here only'
  if (!integration.sp_certificate)
    return 'single logout needs an SP key to sign with (POST …/okta/sp-keys): signing out ends the session here only'
  return null
}
