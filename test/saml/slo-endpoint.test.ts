/**
 * Where LogoutRequests go: the `sloUrl` setting when an admin gave one, else the HTTP-Redirect
 * SingleLogoutService read from the IdP's metadata; a POST-only one is not used (we send over
 * HTTP-Redirect), and the status says why single logout is off.
 */
import { expect, test } from 'bun:test'
import { idpSloEndpoint, singleLogoutProblem } from '../../src/saml/slo-endpoint.ts'
import type { IntegrationRow } from '../../src/store/integrations.ts'

const integration = (
  settings: Record<string, unknown>,
  spCertificate: string | null = 'PEM',
): IntegrationRow =>
  ({
    org_id: 'org-1',
    sso_url: 'https://idp.example/sso',
    issuer: 'https://idp.example',
    certificate: 'PEM',
    next_certificate: null,
    scim_token_hash: 'h',
    settings: JSON.stringify(settings),
    sp_private_key: spCertificate ? 'KEY' : null,
    sp_certificate: spCertificate,
    created_at: 1,
    updated_at: 1,
  }) as IntegrationRow

const redirect = { slo_url: 'https://idp.example/slo/redirect', slo_binding: 'HTTP-Redirect' }
const postOnly = { slo_url: 'https://idp.example/slo/post', slo_binding: 'HTTP-POST' }

test('the sloUrl setting wins over the metadata; the metadata fills in when it is not set', () => {
  const set = integration({ sloUrl: 'https://admin.example/slo' })
  expect(idpSloEndpoint(set, redirect)).toEqual({
    location: 'https://admin.example/slo',
    responseLocation: 'https://admin.example/slo',
  })
  expect(idpSloEndpoint(integration({}), redirect)).toEqual({
    location: redirect.slo_url,
    responseLocation: redirect.slo_url,
  })
  expect(singleLogoutProblem(integration({}), redirect)).toBeNull()
})

test('no endpoint: none configured, or the metadata offers HTTP-POST only; the problem says which', () => {
  expect(idpSloEndpoint(integration({}), null)).toBeNull()
  expect(idpSloEndpoint(integration({}), postOnly)).toBeNull()
  expect(singleLogoutProblem(integration({}), null)).toContain('no IdP Single Logout URL')
  expect(singleLogoutProblem(integration({}), postOnly)).toContain('HTTP-POST only')
  expect(singleLogoutProblem(integration({}, null), redirect)).toContain('needs an SP key')
  expect(singleLogoutProblem(null, redirect)).toContain('not set up')
})
