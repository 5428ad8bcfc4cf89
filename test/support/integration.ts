/** Sets up the Okta integration of an org through the real admin API and returns its SCIM token. */

import { jsonBody, type TestApp } from './app.ts'
import { selfSigned } from './certs.ts'

export async function setUpIntegration(
  app: TestApp,
  slug: string,
  auth: Record<string, string>,
  overrides: Record<string, unknown> = {},
): Promise<{ scimToken: string; status: Record<string, unknown> }> {
  const response = await app.request(`/api/v1/orgs/${slug}/okta`, {
    method: 'PUT',
    ...jsonBody(
      {
        ssoUrl: 'https://acme.okta.com/app/acme_okta_bridge/exk1/sso/saml',
        issuer: 'http://www.okta.com/exk1',
        certificate: selfSigned().certificate,
        ...overrides,
      },
      auth,
    ),
  })
  const status = (await response.json()) as Record<string, unknown>
  if (response.status !== 200) throw new Error(`set-up failed: ${response.status} ${JSON.stringify(status)}`)
  return { scimToken: status.scimToken as string, status }
}
