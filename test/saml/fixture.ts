/**
 * A ready org for SAML route tests: the real app (trusting X-Forwarded-For so each test can be its
 * own client for the rate limit), an org with the Okta integration set up through the admin API
 * with a real IdP certificate, and an active Okta-sourced account inserted through the real store.
 */
import { newId } from '../../src/store/ids.ts'
import { createTestApp, PUBLIC_URL, seedOrg, type TestApp } from '../support/app.ts'
import { type KeyPair, selfSigned } from '../support/certs.ts'
import { setUpIntegration } from '../support/integration.ts'
import { OKTA_ISSUER, OKTA_SSO_URL } from '../support/saml.ts'

export interface SamlOrg {
  slug: string
  orgId: string
  orgUrl: string
  auth: Record<string, string>
  accountId: string
  email: string
}

export function createSamlApp(): TestApp {
  return createTestApp({ trustProxy: { hops: 1 } })
}

export const idpKey = (): KeyPair => selfSigned('okta-idp')

export async function insertAccount(
  app: TestApp,
  orgId: string,
  email: string,
  options: { active?: boolean; name?: string; scimUserId?: string | null } = {},
): Promise<string> {
  const id = newId()
  const now = Date.now()
  await app.store.accounts.insert({
    id,
    org_id: orgId,
    email,
    email_lower: email.toLowerCase(),
    name: options.name ?? 'Ada Lovelace',
    source: 'okta',
    active: options.active === false ? 0 : 1,
    role: 'member',
    scim_user_id: options.scimUserId ?? null,
    created_via_integration: 1,
    last_sign_in_at: null,
    created_at: now,
    updated_at: now,
  })
  return id
}

export async function seedSamlOrg(
  app: TestApp,
  slug = 'acme',
  options: { settings?: Record<string, unknown>; email?: string; url?: string } = {},
): Promise<SamlOrg> {
  const { org, auth } = await seedOrg(app.store, slug, options.url)
  await setUpIntegration(app, slug, auth, {
    ssoUrl: OKTA_SSO_URL,
    issuer: OKTA_ISSUER,
    certificate: idpKey().certificate,
    ...(options.settings ? { settings: options.settings } : {}),
  })
  const email = options.email ?? `Ada.Lovelace@${slug}.example`
  const accountId = await insertAccount(app, org.id, email)
  return { slug, orgId: org.id, orgUrl: options.url ?? `${PUBLIC_URL}/orgs/${slug}`, auth, accountId, email }
}

/** The newest SAML audit rows of an org (newest first). */
export function samlAudit(app: TestApp, orgId: string) {
  return app.store.audit.list(orgId, { kind: 'saml', limit: 20 })
}

export async function lastSamlReason(app: TestApp, orgId: string): Promise<string | null> {
  return (await samlAudit(app, orgId))[0]?.reason ?? null
}

/** `name=value` of a Set-Cookie header, for sending it back. */
export function cookiePair(response: Response, name: string): string | null {
  for (const header of response.headers.getSetCookie()) {
    if (header.startsWith(`${name}=`)) return header.split(';')[0] as string
  }
  return null
}
