/**
 * Our signature verification (SignatureValue over SignedInfo, then the reference digest over the
 * element we read: `signature-precheck.ts`) is what the pipeline runs; xml-crypto's is kept as an
 * independent second opinion. On every shape of genuine response xmlsec1 signs (assertion,
 * response, both; SHA-256/384/1; a few to 600 groups; encrypted) the two must return the very
 * same canonical XML, and on a tampered one both must refuse.
 */
import { describe, expect, test } from 'bun:test'
import { decryptAssertion } from '../../src/saml/steps/decrypt.ts'
import { verifySignature, verifySignatureWithXmlCrypto } from '../../src/saml/steps/signature.ts'
import { checkStructure } from '../../src/saml/steps/structure.ts'
import { parseSamlXml, type XmlElement } from '../../src/saml/xml.ts'
import { selfSigned } from '../support/certs.ts'
import { type Digest, oktaResponse, signResponse } from '../support/saml.ts'

const ORG = 'https://sso.example.com/orgs/acme'
const idp = selfSigned('cross-check-idp')
const sp = selfSigned('cross-check-sp')

const withGroups = (xml: string, count: number) =>
  xml.replace(
    '</saml2:AttributeStatement>',
    `<saml2:Attribute Name="groups">${Array.from(
      { length: count },
      (_, i) => `<saml2:AttributeValue>Engineering &amp; Ops ${i + 1}</saml2:AttributeValue>`,
    ).join('')}</saml2:Attribute></saml2:AttributeStatement>`,
  )

/** Every signature of a response with the element it signs and the text that element came from. */
function signaturesOf(xml: string): Array<{ signature: XmlElement; signed: XmlElement; text: string }> {
  const shape = checkStructure(parseSamlXml(xml))
  const found: Array<{ signature: XmlElement; signed: XmlElement; text: string }> = []
  if (shape.responseSignature)
    found.push({ signature: shape.responseSignature, signed: shape.response, text: xml })
  if (shape.assertionSignature && shape.assertion)
    found.push({ signature: shape.assertionSignature, signed: shape.assertion, text: xml })
  if (shape.encryptedAssertion) {
    const decrypted = decryptAssertion(
      shape.encryptedAssertion,
      sp.privateKey,
      shape.responseSignature !== null,
    )
    if (decrypted.signature)
      found.push({ signature: decrypted.signature, signed: decrypted.assertion, text: decrypted.xml })
  }
  return found
}

const outcome = (verify: () => string) => {
  try {
    return { canonical: verify() }
  } catch (error) {
    return { refused: (error as { reason?: string }).reason ?? String(error) }
  }
}

describe('our signature verification agrees with xml-crypto', () => {
  const cases: Array<[string, 'assertion' | 'response' | 'both', Digest, number, boolean]> = [
    ['assertion, SHA-256', 'assertion', 'sha256', 0, false],
    ['response, SHA-256', 'response', 'sha256', 0, false],
    ['both, SHA-256', 'both', 'sha256', 0, false],
    ['both, SHA-384', 'both', 'sha384', 0, false],
    ['assertion, SHA-1 (allowed)', 'assertion', 'sha1', 0, false],
    ['assertion, 600 groups', 'assertion', 'sha256', 600, false],
    ['both, 600 groups', 'both', 'sha256', 600, false],
    ['encrypted, signed inside and out', 'both', 'sha256', 20, true],
  ]
  for (const [name, what, digest, groups, encrypted] of cases) {
    test(name, () => {
      const xml = signResponse(
        withGroups(oktaResponse({ orgUrl: ORG, email: 'ada@acme.example' }), groups),
        idp,
        what,
        digest,
        encrypted ? { certificate: sp.certificate, content: 'aes256-gcm' } : undefined,
      )
      const policy = { certificates: [idp.certificate], allowSha1: digest === 'sha1' }
      const signatures = signaturesOf(xml)
      expect(signatures.length).toBe(what === 'both' ? 2 : 1)
      for (const { signature, signed, text } of signatures) {
        const ours = outcome(() => verifySignature(signature, signed, policy))
        const library = outcome(() => verifySignatureWithXmlCrypto(signature, signed, text, policy))
        expect(ours.canonical).toBeString()
        expect(ours).toEqual(library)
      }
    })
  }

  test('a signed response altered afterwards is refused by both', () => {
    const genuine = signResponse(oktaResponse({ orgUrl: ORG, email: 'ada@acme.example' }), idp, 'both')
    const policy = { certificates: [idp.certificate], allowSha1: false }
    for (const altered of [
      genuine.replace('ada@acme.example', 'eve@acme.example'),
      // The attribute value itself: a bare 'Ada' can also occur in a signature's base64 first.
      genuine.replace('>Ada<', '>Eve<'),
    ]) {
      expect(altered).not.toBe(genuine)
      for (const { signature, signed, text } of signaturesOf(altered)) {
        const ours = outcome(() => verifySignature(signature, signed, policy))
        const library = outcome(() => verifySignatureWithXmlCrypto(signature, signed, text, policy))
        expect(ours.refused).toBe('signature_invalid')
        expect(library.refused).toBe('signature_invalid')
      }
    }
  })

  test('signed by another key: both refuse', () => {
    const xml = signResponse(
      oktaResponse({ orgUrl: ORG, email: 'ada@acme.example' }),
      selfSigned('other'),
      'both',
    )
    const policy = { certificates: [idp.certificate], allowSha1: false }
    for (const { signature, signed, text } of signaturesOf(xml)) {
      expect(outcome(() => verifySignature(signature, signed, policy)).refused).toBe('signature_invalid')
      expect(outcome(() => verifySignatureWithXmlCrypto(signature, signed, text, policy)).refused).toBe(
        'signature_invalid',
      )
    }
  })
})
