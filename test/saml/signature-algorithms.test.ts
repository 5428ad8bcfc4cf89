/**
 * The algorithm we check is the algorithm used. xml-crypto reads SignatureMethod and
 * CanonicalizationMethod from the first element of that local name anywhere in the Signature, so
 * a decoy placed before SignedInfo (outside what the IdP signed) used to decide how SignedInfo was
 * canonicalized, past our allow-list. Now the Signature must have the XMLDSig layout, with one of
 * each such element, and the verifier knows no algorithm we do not accept. RSA-SHA384 with SHA-384
 * digests, which real IdPs use, is accepted.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { digestTable, signatureTable } from '../../src/saml/steps/signature-algorithms.ts'
import type { TestApp } from '../support/app.ts'
import { oktaResponse, postAcs, signResponse } from '../support/saml.ts'
import { createSamlApp, idpKey, lastSamlReason, type SamlOrg, seedSamlOrg } from './fixture.ts'

let app: TestApp
let org: SamlOrg

beforeAll(async () => {
  app = createSamlApp()
  org = await seedSamlOrg(app)
})

const DSIG_OPEN = '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
const genuine = (what: 'assertion' | 'response' | 'both' = 'assertion') =>
  signResponse(oktaResponse({ orgUrl: org.orgUrl, email: org.email }), idpKey(), what)

async function refused(xml: string): Promise<string | null> {
  const response = await postAcs(app, org.orgUrl, xml)
  expect(response.status).toBe(400)
  expect(response.headers.getSetCookie().some((c) => c.includes('okb_session'))).toBe(false)
  return lastSamlReason(app, org.orgId)
}

/** Inserts `markup` right after the opening tag of the (first) Signature. */
const beforeSignedInfo = (xml: string, markup: string) => {
  expect(xml).toContain(`${DSIG_OPEN}<ds:SignedInfo>`)
  return xml.replace(`${DSIG_OPEN}<ds:SignedInfo>`, `${DSIG_OPEN}${markup}<ds:SignedInfo>`)
}

describe('a decoy algorithm element cannot replace the checked one', () => {
  test('CanonicalizationMethod WithComments before SignedInfo, in another namespace', async () => {
    const decoy = beforeSignedInfo(
      genuine(),
      '<x:CanonicalizationMethod xmlns:x="urn:decoy" Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#WithComments"/>',
    )
    expect(await refused(decoy)).toBe('signature_algorithm')
  })
  test('SignatureMethod RSA-SHA1 before SignedInfo, in the XMLDSig namespace', async () => {
    const decoy = beforeSignedInfo(
      genuine('response'),
      '<ds:SignatureMethod Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1"/>',
    )
    expect(await refused(decoy)).toBe('signature_algorithm')
  })
  test('a second SignatureMethod hidden in KeyInfo, or a second SignatureValue in an Object', async () => {
    const inKeyInfo = genuine().replace(
      '<ds:KeyInfo>',
      '<ds:KeyInfo><ds:SignatureMethod Algorithm="http://www.w3.org/2000/09/xmldsig#hmac-sha1"/>',
    )
    expect(await refused(inKeyInfo)).toBe('signature_algorithm')
    const inObject = genuine().replace(
      '</ds:KeyInfo></ds:Signature>',
      '</ds:KeyInfo><ds:Object><ds:SignatureValue>AAAA</ds:SignatureValue></ds:Object></ds:Signature>',
    )
    expect(await refused(inObject)).toBe('signature_algorithm')
  })
  test('any element outside the XMLDSig layout of Signature', async () => {
    const stray = genuine().replace('</ds:SignatureValue>', '</ds:SignatureValue><x:Note xmlns:x="urn:x"/>')
    expect(await refused(stray)).toBe('signature_invalid')
  })
  test('the layout with KeyInfo and an Object is still accepted', async () => {
    const withObject = genuine().replace(
      '</ds:KeyInfo></ds:Signature>',
      '</ds:KeyInfo><ds:Object/></ds:Signature>',
    )
    expect(withObject).toContain('<ds:Object/>')
    expect((await postAcs(app, org.orgUrl, withObject)).status).toBe(303)
  })
  test('the verifier itself knows only the accepted algorithms', () => {
    expect(Object.keys(signatureTable(false)).sort()).toEqual([
      'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
      'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384',
      'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
    ])
    expect(Object.keys(signatureTable(true))).toContain('http://www.w3.org/2000/09/xmldsig#rsa-sha1')
    expect(Object.keys(digestTable(false))).not.toContain('http://www.w3.org/2000/09/xmldsig#sha1')
  })
})

describe('RSA-SHA384 with SHA-384 digests is accepted', () => {
  for (const what of ['assertion', 'response', 'both'] as const) {
    test(`${what} signed with RSA-SHA384`, async () => {
      const xml = signResponse(
        oktaResponse({ orgUrl: org.orgUrl, email: org.email }),
        idpKey(),
        what,
        'sha384',
      )
      expect(xml).toContain('xmldsig-more#rsa-sha384')
      expect(xml).toContain('xmldsig-more#sha384')
      const response = await postAcs(app, org.orgUrl, xml)
      expect(response.status).toBe(303)
    })
  }
  test('an RSA-SHA384 signature over changed content still fails', async () => {
    const xml = signResponse(
      oktaResponse({ orgUrl: org.orgUrl, email: org.email }),
      idpKey(),
      'assertion',
      'sha384',
    )
    expect(await refused(xml.replace('>Lovelace<', '>Byron<'))).toBe('signature_invalid')
  })
})
