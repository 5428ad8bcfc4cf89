/**
 * A forged signature costs nothing but a look at SignedInfo. xml-crypto scans the whole document
 * several times before it checks SignatureValue, so a forged signature over a Response padded to
 * ~9,900 elements cost ~200 ms per post. Now SignatureValue (over SignedInfo alone) and the digest
 * are checked by our own code, and xml-crypto's `checkSignature` — spied on here, counting calls —
 * no longer runs per request at all (test/saml/signature-cross-check.test.ts compares the two).
 * Timing is in bench/saml-hostile.ts; these tests assert what bounds it: the refusal and the call
 * count.
 */
import { afterEach, beforeAll, describe, expect, spyOn, test } from 'bun:test'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SignedXml } from 'xml-crypto'
import { verifySignature, verifySignatureWithXmlCrypto } from '../../src/saml/steps/signature.ts'
import { checkStructure } from '../../src/saml/steps/structure.ts'
import { parseSamlXml, type XmlElement } from '../../src/saml/xml.ts'
import type { TestApp } from '../support/app.ts'
import { type KeyPair, selfSigned } from '../support/certs.ts'
import { oktaResponse, postAcs, signResponse } from '../support/saml.ts'
import { createSamlApp, idpKey, lastSamlReason, type SamlOrg, samlAudit, seedSamlOrg } from './fixture.ts'

let app: TestApp
let org: SamlOrg
const attacker = () => selfSigned('attacker')
const checkSignature = spyOn(SignedXml.prototype, 'checkSignature')

beforeAll(async () => {
  app = createSamlApp()
  org = await seedSamlOrg(app)
})
afterEach(() => checkSignature.mockClear())

const JUNK = 9_000
/** `count` empty elements in the Response's Extensions (a place SAML allows anything). */
const padded = (xml: string, count = JUNK) => {
  expect(xml).toContain('<saml2p:Status>')
  return xml.replace(
    '<saml2p:Status>',
    `<saml2p:Extensions>${'<j/>'.repeat(count)}</saml2p:Extensions><saml2p:Status>`,
  )
}
const unsigned = () => oktaResponse({ orgUrl: org.orgUrl, email: org.email })

async function outcome(xml: string): Promise<{ status: number; reason: string | null; detail: string }> {
  const response = await postAcs(app, org.orgUrl, xml)
  const audit = (await samlAudit(app, org.orgId))[0]
  return {
    status: response.status,
    reason: await lastSamlReason(app, org.orgId),
    detail: String(JSON.parse(audit?.data ?? '{}').detail ?? ''),
  }
}

describe('a forged signature is refused before xml-crypto runs', () => {
  test('over a Response padded with 9,000 elements', async () => {
    const forged = signResponse(padded(unsigned()), attacker(), 'response')
    const result = await outcome(forged)
    expect(result.status).toBe(400)
    expect(result.reason).toBe('signature_invalid')
    expect(result.detail).toContain('SignatureValue does not match SignedInfo')
    expect(checkSignature).toHaveBeenCalledTimes(0)
  })
  test('over the Assertion, the Response padded', async () => {
    const forged = padded(signResponse(unsigned(), attacker(), 'assertion'))
    expect((await outcome(forged)).reason).toBe('signature_invalid')
    expect(checkSignature).toHaveBeenCalledTimes(0)
  })
  test('a genuine signature with its SignatureValue altered', async () => {
    const genuine = padded(signResponse(unsigned(), idpKey(), 'response'), 0)
    const altered = genuine.replace(
      /<ds:SignatureValue>(.)/,
      (_, c) => `<ds:SignatureValue>${c === 'A' ? 'B' : 'A'}`,
    )
    expect((await outcome(altered)).reason).toBe('signature_invalid')
    expect(checkSignature).toHaveBeenCalledTimes(0)
  })
  test('a SignedInfo padded with elements is refused without canonicalizing them', async () => {
    const genuine = signResponse(unsigned(), idpKey(), 'assertion')
    const enveloped = '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
    expect(genuine).toContain(enveloped)
    const stuffed = genuine.replace(
      enveloped,
      enveloped.replace('/>', `><x>${'<y/>'.repeat(40)}</x></ds:Transform>`),
    )
    const result = await outcome(stuffed)
    expect(result.reason).toBe('signature_invalid')
    expect(result.detail).toContain('SignedInfo holds more than 32 elements')
    expect(checkSignature).toHaveBeenCalledTimes(0)
  })
})

describe('a genuine SignedInfo replayed over other content is refused by the digest', () => {
  test('a real Response signature, the Response padded after signing', async () => {
    const genuine = signResponse(unsigned(), idpKey(), 'response')
    const result = await outcome(padded(genuine))
    expect(result.reason).toBe('signature_invalid')
    expect(result.detail).toContain('the reference digest does not match')
    expect(checkSignature).toHaveBeenCalledTimes(0)
  })
  test('a real Assertion signature, the Assertion altered after signing', async () => {
    const genuine = signResponse(unsigned(), idpKey(), 'assertion')
    const altered = genuine.replace(org.email, `evil-${org.email}`)
    expect(altered).not.toBe(genuine)
    const result = await outcome(altered)
    expect(result.reason).toBe('signature_invalid')
    expect(result.detail).toContain('the reference digest does not match')
    expect(checkSignature).toHaveBeenCalledTimes(0)
  })
})

describe('what the IdP signed is accepted without xml-crypto scanning the document', () => {
  test('a genuine Response-and-Assertion signature: accepted, no library check', async () => {
    const genuine = signResponse(unsigned(), idpKey(), 'both')
    expect((await outcome(genuine)).status).toBe(303)
    expect(checkSignature).toHaveBeenCalledTimes(0)
  })
  test('a genuine Assertion in a padded unsigned Response: accepted, no library check', async () => {
    const genuine = padded(signResponse(unsigned(), idpKey(), 'assertion'))
    expect((await outcome(genuine)).status).toBe(303)
    expect(checkSignature).toHaveBeenCalledTimes(0)
  })
  test('namespaces declared only on the Response (PrefixList="xs") still verify', async () => {
    const NS_XS =
      'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    const hoisted = () =>
      unsigned().replaceAll(` ${NS_XS}`, '').replace('<saml2p:Response ', `<saml2p:Response ${NS_XS} `)
    expect(hoisted()).toContain('xsi:type="xs:string"')
    expect(hoisted()).not.toContain(`<saml2:AttributeValue ${NS_XS}`)
    for (const what of ['assertion', 'both'] as const) {
      const result = await outcome(signResponse(hoisted(), idpKey(), what))
      expect(`${result.status} ${result.detail}`).toStartWith('303')
    }
  })
  test('inclusive C14N for SignedInfo and an implicit C14N reference verify too', async () => {
    const genuine = inclusiveSigned(unsigned(), idpKey())
    expect(genuine).toContain('REC-xml-c14n-20010315')
    expect((await outcome(genuine)).status).toBe(303)
    // xml-crypto, asked on its own, agrees on what was signed.
    const { assertion, assertionSignature } = checkStructure(parseSamlXml(genuine))
    const policy = { certificates: [idpKey().certificate], allowSha1: false }
    const ours = verifySignature(assertionSignature as XmlElement, assertion as XmlElement, policy)
    expect(
      verifySignatureWithXmlCrypto(
        assertionSignature as XmlElement,
        assertion as XmlElement,
        genuine,
        policy,
      ),
    ).toBe(ours)
    checkSignature.mockClear()
    const forged = inclusiveSigned(padded(unsigned()), attacker())
    expect((await outcome(forged)).reason).toBe('signature_invalid')
    expect(checkSignature).toHaveBeenCalledTimes(0)
  })
})

const work = mkdtempSync(join(tmpdir(), 'okb-precheck-'))
let files = 0

/** Signs the Assertion with inclusive C14N (SignedInfo) and only the enveloped transform, via xmlsec1. */
function inclusiveSigned(xml: string, key: KeyPair): string {
  const id = /<saml2:Assertion [^>]*?ID="([^"]+)"/.exec(xml)?.[1] as string
  const template = `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#${id}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue></ds:SignatureValue></ds:Signature>`
  const input = join(work, `${++files}-in.xml`)
  const output = join(work, `${files}-out.xml`)
  writeFileSync(
    input,
    xml.replace('<!--ASSERTION_SIGNATURE-->', template).replace('<!--RESPONSE_SIGNATURE-->', ''),
  )
  const args = ['--sign', '--privkey-pem', `${key.keyPath},${key.certPath}`]
  const ids = ['--id-attr:ID', 'urn:oasis:names:tc:SAML:2.0:assertion:Assertion']
  const run = Bun.spawnSync(['xmlsec1', ...args, ...ids, '--output', output, input], { stderr: 'pipe' })
  if (run.exitCode !== 0) throw new Error(`xmlsec1 failed: ${run.stderr.toString()}`)
  return readFileSync(output, 'utf8')
}
