/**
 * The metadata reader and the rollover rules as plain logic: the Redirect SSO endpoint preferred,
 * the SLO endpoint, KeyDescriptors without `use`, expired certificates left out, `validUntil`,
 * EntitiesDescriptor with one IdP among SPs, the XML bounds, a signature checked only against
 * trusted certificates; and `planCertificates` staging, retiring and promoting.
 */
import { describe, expect, test } from 'bun:test'
import { planCertificates } from '../../src/integration/certificate-plan.ts'
import { MetadataRefusal, parseIdpMetadata } from '../../src/saml/idp-metadata.ts'
import { expired, selfSigned } from '../support/certs.ts'
import { idpMetadataXml, signMetadata } from '../support/idp-metadata.ts'
import { OKTA_SSO_URL } from '../support/saml.ts'

const a = () => selfSigned('parse-a')
const b = () => selfSigned('parse-b')
const now = Date.now()
const read = (xml: string, trusted: string[] = []) =>
  parseIdpMetadata(xml, { now, trustedCertificates: trusted })
const refusal = (xml: string, trusted: string[] = []) => {
  try {
    read(xml, trusted)
  } catch (error) {
    if (error instanceof MetadataRefusal) return error.message
    throw error
  }
  throw new Error('not refused')
}
const bodyOf = (pem: string) =>
  (/-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem)?.[1] ?? pem).replace(/\s+/g, '')

describe('parseIdpMetadata', () => {
  test('reads entity, Redirect SSO, Redirect SLO and the signing certificates in order', () => {
    const parsed = read(idpMetadataXml({ certificates: [a().certificate, b().certificate], use: null }))
    expect(parsed.entityId).toBe('http://www.okta.com/exk1')
    expect(parsed.sso).toEqual({ url: OKTA_SSO_URL, binding: 'HTTP-Redirect' })
    expect(parsed.slo).toEqual({ url: 'https://acme.okta.com/app/exk1/slo/saml', binding: 'HTTP-Redirect' })
    expect(parsed.certificates.map(bodyOf)).toEqual([bodyOf(a().certificate), bodyOf(b().certificate)])
    expect(parsed.signatureVerified).toBe(false)
  })

  test('an expired certificate is left out; only expired ones is a refusal', () => {
    const parsed = read(idpMetadataXml({ certificates: [expired().certificate, a().certificate] }))
    expect(parsed.certificates.map(bodyOf)).toEqual([bodyOf(a().certificate)])
    expect(refusal(idpMetadataXml({ certificates: [expired().certificate] }))).toContain('expired')
  })

  test('validUntil in the past is a refusal', () => {
    const xml = idpMetadataXml({ certificates: [a().certificate] }).replace(
      'entityID=',
      'validUntil="2020-01-01T00:00:00Z" entityID=',
    )
    expect(refusal(xml)).toContain('validUntil')
  })

  test('an EntitiesDescriptor with one IdP among service providers is read', () => {
    const sp =
      '<md:EntityDescriptor entityID="https://sp.example"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>'
    const idp = idpMetadataXml({ certificates: [a().certificate] }).replace(/^<\?xml[^>]*>/, '')
    const xml = `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">${sp}${idp}</md:EntitiesDescriptor>`
    expect(read(xml).entityId).toBe('http://www.okta.com/exk1')
  })

  test('the hardened parser bounds apply: too deep is refused before parsing', () => {
    const deep = `${'<x>'.repeat(100)}${'</x>'.repeat(100)}`
    expect(
      refusal(
        idpMetadataXml({ certificates: [a().certificate] }).replace(
          '<md:NameIDFormat>',
          `${deep}<md:NameIDFormat>`,
        ),
      ),
    ).toContain('deeper than 64')
  })

  test('a root that is not metadata, and no SAML 2.0 protocol, are refused', () => {
    expect(refusal('<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>')).toContain(
      'not SAML 2.0 metadata',
    )
    const saml1 = idpMetadataXml({ certificates: [a().certificate] }).replace(
      'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"',
      'protocolSupportEnumeration="urn:oasis:names:tc:SAML:1.1:protocol"',
    )
    expect(refusal(saml1)).toContain('SAML 2.0 protocol')
  })

  test('a signature is verified with trusted certificates only, and ignored without any', () => {
    const signed = signMetadata(idpMetadataXml({ certificates: [a().certificate, b().certificate] }), a())
    expect(read(signed).signatureVerified).toBe(false)
    expect(read(signed, [a().certificate]).signatureVerified).toBe(true)
    expect(refusal(signed, [b().certificate])).toContain('signed, but not by')
    const tampered = signed.replace('http://www.okta.com/exk1', 'http://www.okta.com/evil')
    expect(refusal(tampered, [a().certificate])).toContain('signed, but not by')
    // Unsigned metadata is accepted with a trusted certificate too: the https fetch is its warrant.
    expect(read(idpMetadataXml({ certificates: [a().certificate] }), [b().certificate]).entityId).toBeString()
  })
})

describe('planCertificates', () => {
  const [A, B, C] = ['AAAA', 'BBBB', 'CCCC'].map(
    (body) => `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`,
  ) as [string, string, string]
  test('first set-up: the first listed is current, the second next', () => {
    expect(planCertificates(null, [A])).toEqual({ current: A, next: null })
    expect(planCertificates(null, [A, B])).toEqual({ current: A, next: B })
  })
  test('a new certificate is staged as next; the current one stays whatever the order', () => {
    expect(planCertificates({ current: A, next: null }, [B, A])).toEqual({ current: A, next: B })
  })
  test('a vanished next is retired; a vanished current is replaced by the next', () => {
    expect(planCertificates({ current: A, next: B }, [A])).toEqual({ current: A, next: null })
    expect(planCertificates({ current: A, next: B }, [B])).toEqual({ current: B, next: null })
    expect(planCertificates({ current: A, next: B }, [B, C])).toEqual({ current: B, next: C })
  })
  test('neither listed any more: the metadata decides', () => {
    expect(planCertificates({ current: A, next: B }, [C])).toEqual({ current: C, next: null })
  })
  test('the same certificate with other line breaks is the same', () => {
    expect(planCertificates({ current: A.replace(/\n/g, '\r\n'), next: null }, [A]).next).toBeNull()
  })
})
