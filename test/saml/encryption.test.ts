/**
 * Encrypted assertions: an admin generates the SP encryption key pair through the API, its
 * certificate appears in the SP metadata, and assertions encrypted by xmlsec1 for that certificate
 * decrypt and validate like plain ones. CBC is accepted only inside a signed Response.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { X509Certificate } from 'node:crypto'
import type { TestApp } from '../support/app.ts'
import { oktaResponse, postAcs, signResponse } from '../support/saml.ts'
import { createSamlApp, idpKey, lastSamlReason, type SamlOrg, seedSamlOrg } from './fixture.ts'

let app: TestApp
let org: SamlOrg
let spCertificate: string

beforeAll(async () => {
  app = createSamlApp()
  org = await seedSamlOrg(app)
})

const encrypted = (
  what: 'assertion' | 'response' | 'both',
  content: 'aes256-cbc' | 'aes256-gcm',
  certificate = spCertificate,
) =>
  signResponse(oktaResponse({ orgUrl: org.orgUrl, email: org.email }), idpKey(), what, 'sha256', {
    certificate,
    content,
  })

describe('SP encryption keys', () => {
  test('an encrypted assertion is refused while the org has no SP key', async () => {
    const other = (await seedSamlOrg(app, 'nokey')).orgUrl
    const xml = signResponse(
      oktaResponse({ orgUrl: other, email: 'a@nokey.example' }),
      idpKey(),
      'both',
      'sha256',
      {
        certificate: idpKey().certificate,
        content: 'aes256-gcm',
      },
    )
    const response = await postAcs(app, other, xml)
    expect(response.status).toBe(400)
    expect(await lastSamlReason(app, (await app.store.orgs.bySlug('nokey'))?.id as string)).toBe(
      'encrypted_assertion_unexpected',
    )
  })

  test('POST …/okta/sp-keys generates a key pair with a self-signed certificate', async () => {
    const response = await app.request(`/api/v1/orgs/${org.slug}/okta/sp-keys`, {
      method: 'POST',
      headers: org.auth,
    })
    expect(response.status).toBe(200)
    const body = (await response.json()) as {
      certificate: string
      info: { subject: string; expiresInDays: number }
    }
    const certificate = new X509Certificate(body.certificate)
    expect(certificate.verify(certificate.publicKey)).toBe(true)
    expect(certificate.subject).toContain('okta-bridge SP acme')
    expect(body.info.expiresInDays).toBeGreaterThan(3000)
    spCertificate = body.certificate
    const integration = await app.store.integrations.get(org.orgId)
    expect(integration?.sp_private_key).toContain('PRIVATE KEY')
    expect(
      certificate.checkPrivateKey(
        await import('node:crypto').then((c) => c.createPrivateKey(integration?.sp_private_key as string)),
      ),
    ).toBe(true)
  })

  test('the SP metadata carries the entity ID, ACS, NameID format and the encryption certificate', async () => {
    const response = await app.request(`${org.orgUrl}/okta/metadata`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('application/samlmetadata+xml')
    const xml = await response.text()
    expect(xml).toContain(`entityID="${org.orgUrl}"`)
    expect(xml).toContain(`Location="${org.orgUrl}/okta/auth"`)
    expect(xml).toContain('urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress')
    expect(xml).toContain('use="encryption"')
    expect(xml).toContain(spCertificate.replace(/-----[^-]+-----|\s/g, '').slice(0, 60))
  })

  test('AES-256-GCM, assertion signed inside the encryption: accepted', async () => {
    const response = await postAcs(app, org.orgUrl, encrypted('assertion', 'aes256-gcm'))
    expect(response.status).toBe(303)
    const audit = JSON.parse(
      (await app.store.audit.list(org.orgId, { kind: 'saml', limit: 1 }))[0]?.data ?? '{}',
    )
    expect(audit.signed).toEqual({ response: false, assertion: true, encrypted: true })
  })

  test('AES-256-CBC inside a signed Response (Okta’s defaults): accepted', async () => {
    expect((await postAcs(app, org.orgUrl, encrypted('both', 'aes256-cbc'))).status).toBe(303)
    expect((await postAcs(app, org.orgUrl, encrypted('response', 'aes256-cbc'))).status).toBe(303)
  })

  test('AES-256-CBC without a Response signature is refused (no padding oracle)', async () => {
    expect((await postAcs(app, org.orgUrl, encrypted('assertion', 'aes256-cbc'))).status).toBe(400)
    expect(await lastSamlReason(app, org.orgId)).toBe('decryption_failed')
  })

  test('encrypted for another key: refused', async () => {
    expect(
      (await postAcs(app, org.orgUrl, encrypted('both', 'aes256-gcm', idpKey().certificate))).status,
    ).toBe(400)
    expect(await lastSamlReason(app, org.orgId)).toBe('decryption_failed')
  })

  test('DELETE …/okta/sp-keys turns encryption off again', async () => {
    const response = await app.request(`/api/v1/orgs/${org.slug}/okta/sp-keys`, {
      method: 'DELETE',
      headers: org.auth,
    })
    expect(await response.json()).toEqual({ certificate: null, info: null })
    expect(await (await app.request(`${org.orgUrl}/okta/metadata`)).text()).not.toContain('use="encryption"')
  })
})
