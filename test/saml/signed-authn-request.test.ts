/**
 * Signed AuthnRequests (`signAuthnRequests`) and what the SP metadata says about signing:
 * - the setting is refused with a 400 naming it while the org has no SP key, and the SP key cannot
 *   be removed while AuthnRequests are signed with it (409);
 * - `{orgURL}/okta/login` then sends `SAMLRequest=…&SigAlg=…&Signature=…` whose RSA-SHA256
 *   signature verifies over the exact query bytes as sent — with node:crypto and with the openssl
 *   command — against the SP certificate, and covers the AuthnRequest whose ID the sign-in expects;
 * - the metadata lists the Single Logout service (both bindings), the SP certificate for signing and
 *   encryption, `AuthnRequestsSigned` as configured and `WantAssertionsSigned="false"` (the ACS
 *   takes a signed Response or a signed Assertion).
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { jsonBody } from '../support/app.ts'
import { OKTA_ISSUER, OKTA_SSO_URL } from '../support/saml.ts'
import { readRedirect, redirectSignatureVerifies, xmlValue } from '../support/saml-logout.ts'
import { createSamlApp, idpKey, type SamlOrg, seedSamlOrg } from './fixture.ts'

const app = createSamlApp()
let org: SamlOrg
const integration = () => ({ ssoUrl: OKTA_SSO_URL, issuer: OKTA_ISSUER, certificate: idpKey().certificate })

const putSettings = (settings: Record<string, unknown>) =>
  app.request(`/api/v1/orgs/${org.slug}/okta`, {
    method: 'PUT',
    ...jsonBody({ ...integration(), settings }, org.auth),
  })

async function login(): Promise<string> {
  const response = await app.request(`${org.orgUrl}/okta/login`, {
    headers: { 'x-forwarded-for': '203.0.113.9' },
  })
  expect(response.status).toBe(302)
  return response.headers.get('location') as string
}

const metadata = async () => (await app.request(`${org.orgUrl}/okta/metadata`)).text()

beforeAll(async () => {
  org = await seedSamlOrg(app, 'acme')
})

describe('without an SP key', () => {
  test('signAuthnRequests is refused with a 400 naming the setting', async () => {
    const response = await putSettings({ signAuthnRequests: true })
    expect(response.status).toBe(400)
    expect(((await response.json()) as { error: Record<string, string> }).error).toMatchObject({
      code: 'INVALID_INPUT',
      field: 'settings.signAuthnRequests',
      message: expect.stringContaining('SP key'),
    })
  })

  test('a bad sloUrl is refused with a 400 naming it', async () => {
    for (const sloUrl of ['not a url', 'http://okta.example/slo', 'ftp://okta.example/slo']) {
      const response = await putSettings({ sloUrl })
      expect(response.status).toBe(400)
      expect(((await response.json()) as { error: Record<string, string> }).error.field).toBe(
        'settings.sloUrl',
      )
    }
  })

  test('the AuthnRequest goes unsigned and the metadata says so, with Single Logout and no key', async () => {
    const sent = readRedirect(await login())
    expect([sent.sigAlg, sent.signature]).toEqual([null, null])
    const xml = await metadata()
    expect(xml).toContain('AuthnRequestsSigned="false"')
    expect(xml).toContain('WantAssertionsSigned="false"')
    expect(xml).toContain(
      `<SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${org.orgUrl}/okta/slo"`,
    )
    expect(xml).toContain(
      `<SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${org.orgUrl}/okta/slo"`,
    )
    expect(xml).not.toContain('KeyDescriptor')
  })
})

describe('with an SP key and signAuthnRequests', () => {
  let spCertificate: string
  beforeAll(async () => {
    const keys = await app.request(`/api/v1/orgs/${org.slug}/okta/sp-keys`, {
      method: 'POST',
      headers: org.auth,
    })
    spCertificate = ((await keys.json()) as { certificate: string }).certificate
    expect((await putSettings({ signAuthnRequests: true })).status).toBe(200)
  })

  test('the Signature verifies over the exact query bytes with node:crypto, and covers the request', async () => {
    const location = await login()
    expect(redirectSignatureVerifies(location, spCertificate)).toBe(true)
    expect(redirectSignatureVerifies(location, idpKey().certificate)).toBe(false)
    const sent = readRedirect(location)
    expect(sent.endpoint).toBe(OKTA_SSO_URL)
    expect(sent.sigAlg).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256')
    // The bytes are the query as sent, parameters in the binding's order.
    expect(sent.signedBytes).toMatch(
      /^SAMLRequest=[^&]+&SigAlg=http%3A%2F%2Fwww\.w3\.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256$/,
    )
    expect(xmlValue(sent.xml, /<saml:Issuer>([^<]+)</)).toBe(org.orgUrl)
    expect(xmlValue(sent.xml, /AssertionConsumerServiceURL="([^"]+)"/)).toBe(`${org.orgUrl}/okta/auth`)
    // Changing one byte of what is signed breaks it.
    expect(redirectSignatureVerifies(location.replace('SAMLRequest=', 'SAMLRequest=A'), spCertificate)).toBe(
      false,
    )
  })

  test('…and with the openssl command, an implementation other than ours', async () => {
    const sent = readRedirect(await login())
    const dir = mkdtempSync(join(tmpdir(), 'okb-authn-'))
    const files = {
      data: join(dir, 'data'),
      sig: join(dir, 'sig'),
      cert: join(dir, 'sp.crt'),
      pub: join(dir, 'sp.pub'),
    }
    writeFileSync(files.data, sent.signedBytes as string)
    writeFileSync(files.sig, Buffer.from(sent.signature as string, 'base64'))
    writeFileSync(files.cert, spCertificate)
    const run = (args: string[]) => Bun.spawnSync(['openssl', ...args], { stdout: 'pipe', stderr: 'pipe' })
    expect(run(['x509', '-in', files.cert, '-pubkey', '-noout', '-out', files.pub]).exitCode).toBe(0)
    const verified = run(['dgst', '-sha256', '-verify', files.pub, '-signature', files.sig, files.data])
    expect(verified.stdout.toString()).toContain('Verified OK')
  })

  test('the metadata says AuthnRequestsSigned="true" and lists the SP certificate for signing and encryption', async () => {
    const xml = await metadata()
    expect(xml).toContain('AuthnRequestsSigned="true"')
    expect(xml).toContain('WantAssertionsSigned="false"')
    expect(xml).toContain('<KeyDescriptor use="signing">')
    expect(xml).toContain('<KeyDescriptor use="encryption">')
    expect(xml).toContain(spCertificate.replace(/-----[^-]+-----|\s/g, '').slice(0, 60))
  })

  test('the SP key cannot be removed while AuthnRequests are signed with it', async () => {
    const refused = await app.request(`/api/v1/orgs/${org.slug}/okta/sp-keys`, {
      method: 'DELETE',
      headers: org.auth,
    })
    expect(refused.status).toBe(409)
    expect(((await refused.json()) as { error: Record<string, string> }).error.code).toBe('SP_KEY_IN_USE')
    expect((await putSettings({ signAuthnRequests: false })).status).toBe(200)
    expect(readRedirect(await login()).signature).toBeNull()
    expect(await metadata()).toContain('AuthnRequestsSigned="false"')
    const removed = await app.request(`/api/v1/orgs/${org.slug}/okta/sp-keys`, {
      method: 'DELETE',
      headers: org.auth,
    })
    expect(removed.status).toBe(200)
  })
})
