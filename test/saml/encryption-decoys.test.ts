/**
 * Namespace confusion in encrypted assertions. xml-encryption picks the first element of each
 * local name, whatever its namespace, so a decoy `EncryptedData` or `EncryptedKey` in another
 * namespace placed before the real one used to be what got decrypted, while our algorithm check
 * looked at the real (xenc:) one: AES-CBC without a Response signature (a padding oracle), 3DES and
 * RSA 1.5 all got through to a session. Every response here is encrypted by xmlsec1 for the org's
 * SP key, then edited the way an attacker would; all must be refused, the honest layouts accepted.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import type { TestApp } from '../support/app.ts'
import { type EncryptFor, oktaResponse, postAcs, signResponse } from '../support/saml.ts'
import { createSamlApp, idpKey, lastSamlReason, type SamlOrg, seedSamlOrg } from './fixture.ts'

let app: TestApp
let org: SamlOrg
let spCertificate: string

beforeAll(async () => {
  app = createSamlApp()
  org = await seedSamlOrg(app)
  const keys = await app.request(`/api/v1/orgs/${org.slug}/okta/sp-keys`, {
    method: 'POST',
    headers: org.auth,
  })
  spCertificate = ((await keys.json()) as { certificate: string }).certificate
})

/** Assertion signed by the IdP, then encrypted; the Response itself is not signed. */
const encrypted = (options: Omit<EncryptFor, 'certificate'>) =>
  signResponse(oktaResponse({ orgUrl: org.orgUrl, email: org.email }), idpKey(), 'assertion', 'sha256', {
    certificate: spCertificate,
    ...options,
  })

const XENC = 'http://www.w3.org/2001/04/xmlenc#'
const GCM = 'http://www.w3.org/2009/xmlenc11#aes256-gcm'
const OAEP = 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p'
/** What an allow-list reading only xenc: elements is happy with: GCM content, OAEP key, junk bytes. */
const innocentData = `<xenc:EncryptedData xmlns:xenc="${XENC}"><xenc:EncryptionMethod Algorithm="${GCM}"/><xenc:CipherData><xenc:CipherValue>AAAA</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData>`
const innocentKey = `<xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="${OAEP}"/><xenc:CipherData><xenc:CipherValue>AAAA</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey>`

/** The real EncryptedData moved into another namespace, an innocent xenc: one after it. */
function decoyData(xml: string): string {
  const moved = xml
    .replace('<xenc:EncryptedData xmlns:xenc=', '<decoy:EncryptedData xmlns:decoy="urn:decoy" xmlns:xenc=')
    .replace('</xenc:EncryptedData>', `</decoy:EncryptedData>${innocentData}`)
  expect(moved).toContain('<decoy:EncryptedData')
  return moved
}

/** The real EncryptedKey moved into another namespace, an innocent xenc: one after it. */
function decoyKey(xml: string): string {
  const moved = xml
    .replace('<xenc:EncryptedKey>', '<decoy:EncryptedKey xmlns:decoy="urn:decoy">')
    .replace('</xenc:EncryptedKey>', `</decoy:EncryptedKey>${innocentKey}`)
  expect(moved).toContain('<decoy:EncryptedKey')
  return moved
}

async function refused(xml: string): Promise<string | null> {
  const response = await postAcs(app, org.orgUrl, xml)
  expect(response.status).toBe(400)
  expect(response.headers.getSetCookie().some((c) => c.includes('okb_session'))).toBe(false)
  return lastSamlReason(app, org.orgId)
}

/** The audited detail: which check refused it (ours, before any decryption, or the runtime's). */
const lastDetail = async () =>
  String(
    JSON.parse((await app.store.audit.list(org.orgId, { kind: 'saml', limit: 1 }))[0]?.data ?? '{}').detail,
  )

describe('decoys in another namespace are refused, not decrypted', () => {
  test('AES-CBC in a decoy EncryptedData of an unsigned Response', async () => {
    expect(await refused(decoyData(encrypted({ content: 'aes256-cbc' })))).toBe('decryption_failed')
    expect(await lastDetail()).toContain('EncryptedData in namespace urn:decoy is not XML Encryption')
  })
  test('3DES in a decoy EncryptedData', async () => {
    expect(await refused(decoyData(encrypted({ content: 'tripledes-cbc' })))).toBe('decryption_failed')
    expect(await lastDetail()).toContain('EncryptedData in namespace urn:decoy is not XML Encryption')
  })
  test('RSA 1.5 key transport in a decoy EncryptedKey', async () => {
    // Bun also refuses PKCS#1 v1.5 private decryption; the decoy must not get that far.
    expect(await refused(decoyKey(encrypted({ content: 'aes256-gcm', keyTransport: 'rsa-1_5' })))).toBe(
      'decryption_failed',
    )
    expect(await lastDetail()).toContain('EncryptedKey in namespace urn:decoy is not XML Encryption')
  })
  test('a decoy EncryptionMethod inside the real EncryptedData', async () => {
    const xml = encrypted({ content: 'aes256-gcm' }).replace(
      `<xenc:EncryptionMethod Algorithm="${GCM}"/>`,
      `<decoy:EncryptionMethod xmlns:decoy="urn:decoy" Algorithm="${XENC}aes256-cbc"/><xenc:EncryptionMethod Algorithm="${GCM}"/>`,
    )
    expect(xml).toContain('<decoy:EncryptionMethod')
    expect(await refused(xml)).toBe('decryption_failed')
    expect(await lastDetail()).toContain('EncryptionMethod in namespace urn:decoy is not XML Encryption')
  })
  test('two xenc:EncryptedData, or two EncryptedKeys', async () => {
    const twoData = encrypted({ content: 'aes256-gcm' }).replace(
      '</xenc:EncryptedData>',
      `</xenc:EncryptedData>${innocentData}`,
    )
    expect(await refused(twoData)).toBe('decryption_failed')
    const twoKeys = encrypted({ content: 'aes256-gcm' }).replace(
      '</ds:KeyInfo>',
      `${innocentKey}</ds:KeyInfo>`,
    )
    expect(await refused(twoKeys)).toBe('decryption_failed')
  })
  test('RSA 1.5 and 3DES in the expected namespaces stay refused', async () => {
    expect(await refused(encrypted({ content: 'aes256-gcm', keyTransport: 'rsa-1_5' }))).toBe(
      'decryption_failed',
    )
    expect(await refused(encrypted({ content: 'tripledes-cbc' }))).toBe('decryption_failed')
  })
})

describe('honest layouts are accepted', () => {
  test('Okta’s layout: EncryptedKey (with its OAEP DigestMethod) inside the data’s KeyInfo', async () => {
    const xml = encrypted({ content: 'aes256-gcm' })
    expect(xml).toContain('<ds:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/>')
    expect((await postAcs(app, org.orgUrl, xml)).status).toBe(303)
  })
  test('SAML §2.3.4 layout: EncryptedKey next to the EncryptedData, found through RetrievalMethod', async () => {
    const xml = encrypted({ content: 'aes256-gcm' })
    const key = /<xenc:EncryptedKey>[\s\S]*<\/xenc:EncryptedKey>/.exec(xml)?.[0] as string
    const beside = xml
      .replace(key, '<ds:RetrievalMethod URI="#key1" Type="http://www.w3.org/2001/04/xmlenc#EncryptedKey"/>')
      .replace(
        '</xenc:EncryptedData>',
        `</xenc:EncryptedData>${key.replace('<xenc:EncryptedKey>', `<xenc:EncryptedKey xmlns:xenc="${XENC}" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="key1">`)}`,
      )
    expect(beside).toMatch(/<\/xenc:EncryptedData><xenc:EncryptedKey/)
    expect((await postAcs(app, org.orgUrl, beside)).status).toBe(303)
  })
})
