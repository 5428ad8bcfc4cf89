/**
 * Each validation step on its own, with the boundary cases that the end-to-end suites cannot
 * isolate: the signature step refuses a wrapped reference even if the structure step were gone,
 * KeyInfo never supplies the key, skew boundaries, the email source, the cheap gate, the parser.
 */
import { describe, expect, test } from 'bun:test'
import { generateKeyPairSync, X509Certificate } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inflateRawSync } from 'node:zlib'
import { StoreThrottle, tokenBucket } from '../../src/http/throttle.ts'
import { authnRequestXml, newRequestId, redirectUrl } from '../../src/saml/authn-request.ts'
import { readAcsForm } from '../../src/saml/form.ts'
import { SamlRejection } from '../../src/saml/rejection.ts'
import { safeNextUrl } from '../../src/saml/relay-state.ts'
import { checkAudience } from '../../src/saml/steps/audience.ts'
import { checkConditionsTime } from '../../src/saml/steps/conditions.ts'
import { checkDestination } from '../../src/saml/steps/destination.ts'
import { readIdentity } from '../../src/saml/steps/identity.ts'
import { expectedRequestId } from '../../src/saml/steps/in-response-to.ts'
import { checkIssuer } from '../../src/saml/steps/issuer.ts'
import { verifySignature } from '../../src/saml/steps/signature.ts'
import { checkStatus } from '../../src/saml/steps/status.ts'
import { checkStructure } from '../../src/saml/steps/structure.ts'
import { checkBearerConfirmation } from '../../src/saml/steps/subject-confirmation.ts'
import { selfSignedCertificate } from '../../src/saml/x509.ts'
import { children, NS, parseSamlXml, textOf, type XmlElement } from '../../src/saml/xml.ts'
import { openStore } from '../../src/store/index.ts'
import { selfSigned } from '../support/certs.ts'
import { oktaResponse, signResponse } from '../support/saml.ts'
import * as wrap from './wrapping.ts'

const ORG = 'http://localhost:3000/orgs/acme'
const ACS = `${ORG}/okta/auth`
const NOW = Date.parse('2030-01-01T12:00:00Z')
const idp = () => selfSigned('okta-idp')
const policy = () => ({ certificates: [idp().certificate], allowSha1: false })

function reasonOf(work: () => unknown): string {
  try {
    work()
  } catch (error) {
    if (error instanceof SamlRejection) return error.reason
    throw error
  }
  return 'accepted'
}

function parts(options: Parameters<typeof oktaResponse>[0]) {
  const response = parseSamlXml(oktaResponse({ now: NOW, ...options }))
  const assertion = children(response, NS.assertion, 'Assertion')[0] as XmlElement
  return { response, assertion }
}

describe('hardened XML parsing', () => {
  test('any DTD or entity declaration is refused before parsing, in any letter case', () => {
    for (const text of [
      '<!DOCTYPE a><a/>',
      '<!doctype a><a/>',
      '<a><!ENTITY x "y"></a>',
      '<!DocType a [<!ELEMENT a ANY>]><a/>',
    ]) {
      expect(reasonOf(() => parseSamlXml(text))).toBe('xml_dtd_forbidden')
    }
  })
  test('malformed XML is refused', () => {
    expect(reasonOf(() => parseSamlXml('<a><b></a>'))).toBe('xml_malformed')
    expect(reasonOf(() => parseSamlXml('<a>&undefined;</a>'))).toBe('xml_malformed')
  })
  test('text is read across comments', () => {
    expect(textOf(parseSamlXml('<a>boss@acme.example<!---->.evil.test</a>'))).toBe(
      'boss@acme.example.evil.test',
    )
  })
})

describe('the cheap gate', () => {
  const form = 'application/x-www-form-urlencoded'
  test('accepts the binding form and decodes the response', () => {
    const input = readAcsForm(form, `SAMLResponse=${encodeURIComponent(btoa('<r/>'))}&RelayState=%2Fx`)
    expect(input).toEqual({ xml: '<r/>', relayState: '/x' })
    const empty = readAcsForm(form, `SAMLResponse=${encodeURIComponent(btoa('<r/>'))}&RelayState=`)
    expect(empty.relayState).toBeNull()
  })
  test('refuses other content types, repeated or unknown fields, non-base64, oversize', () => {
    expect(reasonOf(() => readAcsForm('text/plain', 'SAMLResponse=PHIvPg=='))).toBe('form_invalid')
    expect(reasonOf(() => readAcsForm(form, 'SAMLResponse=PHIvPg==&SAMLResponse=PHIvPg=='))).toBe(
      'form_invalid',
    )
    expect(reasonOf(() => readAcsForm(form, 'RelayState=x'))).toBe('form_invalid')
    expect(reasonOf(() => readAcsForm(form, 'SAMLResponse=%E0%A4%A'))).toBe('form_invalid')
    expect(reasonOf(() => readAcsForm(form, 'SAMLResponse=not*base64'))).toBe('response_not_base64')
    expect(reasonOf(() => readAcsForm(form, `SAMLResponse=${btoa('hello')}`))).toBe('response_not_base64')
    expect(reasonOf(() => readAcsForm(form, `SAMLResponse=${'A'.repeat(262_200)}`))).toBe(
      'response_too_large',
    )
  })
})

describe('structure', () => {
  test('one assertion, a direct child; IDs unique; signatures only where they belong', () => {
    expect(reasonOf(() => checkStructure(parts({ orgUrl: ORG, email: 'a@b.co' }).response))).toBe('accepted')
    expect(reasonOf(() => checkStructure(parseSamlXml('<r xmlns="urn:other"/>')))).toBe('not_a_response')
    const twice = oktaResponse({ orgUrl: ORG, email: 'a@b.co', assertionId: 'same', responseId: 'same' })
    expect(reasonOf(() => checkStructure(parseSamlXml(twice)))).toBe('duplicate_id')
    const stray = oktaResponse({ orgUrl: ORG, email: 'a@b.co' }).replace(
      '<saml2p:Status>',
      '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/><saml2p:Status><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/>',
    )
    expect(reasonOf(() => checkStructure(parseSamlXml(stray)))).toBe('signature_misplaced')
  })
})

describe('signature', () => {
  const signed = () => signResponse(oktaResponse({ orgUrl: ORG, email: 'a@b.co' }), idp())
  const signatureOf = (assertion: XmlElement) => children(assertion, NS.dsig, 'Signature')[0] as XmlElement

  test('returns the canonical signed assertion', () => {
    const xml = signed()
    const { assertion } = checkStructure(parseSamlXml(xml))
    const canonical = verifySignature(signatureOf(assertion as XmlElement), assertion as XmlElement, policy())
    expect(canonical).toStartWith('<saml2:Assertion')
    expect(canonical).not.toContain('Signature')
  })

  test('a signature moved onto another element is refused even without the structure step', () => {
    for (const attack of [wrap.xsw3, wrap.xsw4, wrap.signatureOnEvilAssertion]) {
      const xml = attack(signed(), 'boss@acme.example')
      const root = parseSamlXml(xml)
      // Whatever assertion a naive reader would take: the first one.
      const first = children(root, NS.assertion, 'Assertion')[0] as XmlElement
      const signature = signatureOf(first)
      if (!signature) continue
      expect(reasonOf(() => verifySignature(signature, first, policy()))).toBe('signature_reference')
    }
  })

  test('KeyInfo never supplies the key; configured certificates are tried (rollover)', () => {
    const attacker = selfSigned('attacker')
    const forged = signResponse(oktaResponse({ orgUrl: ORG, email: 'a@b.co' }), attacker)
    const { assertion } = checkStructure(parseSamlXml(forged))
    const a = assertion as XmlElement
    expect(reasonOf(() => verifySignature(signatureOf(a), a, policy()))).toBe('signature_invalid')
    const rollover = { certificates: [idp().certificate, attacker.certificate], allowSha1: false }
    expect(reasonOf(() => verifySignature(signatureOf(a), a, rollover))).toBe('accepted')
    expect(reasonOf(() => verifySignature(signatureOf(a), a, { certificates: [], allowSha1: false }))).toBe(
      'signature_invalid',
    )
  })

  test('SHA-1 only when allowed', () => {
    const xml = signResponse(oktaResponse({ orgUrl: ORG, email: 'a@b.co' }), idp(), 'assertion', 'sha1')
    const a = checkStructure(parseSamlXml(xml)).assertion as XmlElement
    expect(reasonOf(() => verifySignature(signatureOf(a), a, policy()))).toBe('signature_algorithm')
    expect(reasonOf(() => verifySignature(signatureOf(a), a, { ...policy(), allowSha1: true }))).toBe(
      'accepted',
    )
  })

  test('unknown algorithms and HMAC are refused before any cryptography', () => {
    const xml = signed().replace(
      'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
      'http://www.w3.org/2000/09/xmldsig#hmac-sha1',
    )
    const a = checkStructure(parseSamlXml(xml)).assertion as XmlElement
    expect(reasonOf(() => verifySignature(signatureOf(a), a, policy()))).toBe('signature_algorithm')
  })
})

describe('content of the verified assertion', () => {
  const skew = 60_000
  test('status', () => {
    expect(reasonOf(() => checkStatus(parts({ orgUrl: ORG, email: 'a@b.co' }).response))).toBe('accepted')
    const denied = parts({
      orgUrl: ORG,
      email: 'a@b.co',
      status: 'urn:oasis:names:tc:SAML:2.0:status:Requester',
    })
    expect(reasonOf(() => checkStatus(denied.response))).toBe('status_not_success')
  })
  test('issuer of assertion and response', () => {
    const p = parts({ orgUrl: ORG, email: 'a@b.co' })
    expect(reasonOf(() => checkIssuer(p.response, p.assertion, 'http://www.okta.com/exk1'))).toBe('accepted')
    expect(reasonOf(() => checkIssuer(p.response, p.assertion, 'http://www.okta.com/exk2'))).toBe(
      'issuer_mismatch',
    )
    const mixed = parts({ orgUrl: ORG, email: 'a@b.co', responseIssuer: 'http://www.okta.com/other' })
    expect(reasonOf(() => checkIssuer(mixed.response, mixed.assertion, 'http://www.okta.com/exk1'))).toBe(
      'issuer_mismatch',
    )
  })
  test('audience and destination', () => {
    const p = parts({ orgUrl: ORG, email: 'a@b.co' })
    expect(reasonOf(() => checkAudience(p.assertion, ORG))).toBe('accepted')
    expect(reasonOf(() => checkAudience(p.assertion, `${ORG}x`))).toBe('audience_mismatch')
    expect(reasonOf(() => checkDestination(p.response, ACS))).toBe('accepted')
    expect(reasonOf(() => checkDestination(p.response, `${ACS}x`))).toBe('destination_mismatch')
    const none = parts({ orgUrl: ORG, email: 'a@b.co', destination: null })
    expect(reasonOf(() => checkDestination(none.response, ACS))).toBe('accepted')
  })
  test('conditions time window with skew, at the boundaries', () => {
    const p = parts({ orgUrl: ORG, email: 'a@b.co', notBefore: 0, notOnOrAfter: 300 })
    expect(checkConditionsTime(p.assertion, { now: NOW, skewMs: skew })).toBe(NOW + 300_000)
    expect(reasonOf(() => checkConditionsTime(p.assertion, { now: NOW - skew, skewMs: skew }))).toBe(
      'accepted',
    )
    expect(reasonOf(() => checkConditionsTime(p.assertion, { now: NOW - skew - 1, skewMs: skew }))).toBe(
      'not_yet_valid',
    )
    expect(
      reasonOf(() => checkConditionsTime(p.assertion, { now: NOW + 300_000 + skew - 1, skewMs: skew })),
    ).toBe('accepted')
    expect(
      reasonOf(() => checkConditionsTime(p.assertion, { now: NOW + 300_000 + skew, skewMs: skew })),
    ).toBe('expired')
  })
  test('bearer confirmation: recipient, expiry, InResponseTo', () => {
    const p = parts({ orgUrl: ORG, email: 'a@b.co', inResponseTo: '_abc' })
    expect(checkBearerConfirmation(p.assertion, ACS, { now: NOW, skewMs: skew })).toEqual({
      inResponseTo: '_abc',
      notOnOrAfter: NOW + 300_000,
    })
    expect(reasonOf(() => checkBearerConfirmation(p.assertion, `${ACS}x`, { now: NOW, skewMs: skew }))).toBe(
      'recipient_mismatch',
    )
    expect(
      reasonOf(() => checkBearerConfirmation(p.assertion, ACS, { now: NOW + 400_000, skewMs: skew })),
    ).toBe('expired')
  })
  test('InResponseTo decides the flow, read from signed content only', () => {
    const sp = parts({ orgUrl: ORG, email: 'a@b.co', inResponseTo: '_abc' })
    expect(expectedRequestId(sp.response, '_abc', false)).toBe('_abc')
    expect(expectedRequestId(sp.response, null, false)).toBe('_abc')
    expect(reasonOf(() => expectedRequestId(sp.response, '_other', true))).toBe('in_response_to_unknown')
    const idpInitiated = parts({ orgUrl: ORG, email: 'a@b.co' })
    expect(expectedRequestId(idpInitiated.response, null, true)).toBeNull()
    expect(reasonOf(() => expectedRequestId(idpInitiated.response, null, false))).toBe(
      'idp_initiated_disabled',
    )
    // An unsigned Response (null here) contributes nothing, whatever InResponseTo it carries.
    expect(expectedRequestId(null, '_abc', false)).toBe('_abc')
    expect(expectedRequestId(null, null, true)).toBeNull()
    expect(reasonOf(() => expectedRequestId(null, null, false))).toBe('idp_initiated_disabled')
  })
  test('identity from the NameID or a configured attribute', () => {
    const p = parts({
      orgUrl: ORG,
      email: 'Ada@Acme.example',
      attributes: { mail: 'ada.l@acme.example', firstName: 'Ada', lastName: 'L' },
    })
    expect(readIdentity(p.assertion, null)).toEqual({
      email: 'Ada@Acme.example',
      name: 'Ada L',
      nameId: 'Ada@Acme.example',
    })
    expect(readIdentity(p.assertion, 'mail').email).toBe('ada.l@acme.example')
    expect(reasonOf(() => readIdentity(p.assertion, 'email'))).toBe('email_missing')
    const persistent = parts({
      orgUrl: ORG,
      email: 'x',
      nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
    })
    expect(reasonOf(() => readIdentity(persistent.assertion, null))).toBe('email_missing')
  })
})

describe('RelayState / next', () => {
  test('only paths under the org on its origin', () => {
    expect(safeNextUrl('/orgs/acme/x?y=1', ORG)).toBe(`${ORG}/x?y=1`)
    expect(safeNextUrl('/orgs/acme', ORG)).toBe(ORG)
    for (const bad of [
      '//evil',
      '/\\evil',
      'https://evil.example/',
      '/orgs/acmex',
      '/orgs/other',
      '/orgs/acme/../x',
      '/orgs/acme/%2e%2e/x',
      'x',
      '/orgs/acme/\tx',
      null,
    ]) {
      expect(safeNextUrl(bad, ORG)).toBeNull()
    }
    expect(safeNextUrl('/anything', 'https://sso.acme.example')).toBe('https://sso.acme.example/anything')
  })
})

describe('token bucket', () => {
  test('capacity at once, then refills over time', async () => {
    const limiter = new StoreThrottle(openStore(':memory:'), 'saml.client', tokenBucket(3, 1))
    const t = 1_000_000
    const hits: boolean[] = []
    for (let i = 0; i < 4; i++) hits.push((await limiter.hit('a', t)).allowed)
    expect(hits).toEqual([true, true, true, false])
    expect((await limiter.hit('a', t)).firstRefusal).toBe(false)
    expect((await limiter.hit('b', t)).allowed).toBe(true)
    expect((await limiter.hit('a', t + 1000)).allowed).toBe(true)
    expect((await limiter.hit('a', t + 1000)).allowed).toBe(false)
  })
  test('remembers every client in the store until its bucket has refilled, then lets the row go', async () => {
    const store = openStore(':memory:')
    const limiter = new StoreThrottle(store, 'saml.client', tokenBucket(1, 0.001))
    for (let i = 0; i < 100; i++) await limiter.hit(`c${i}`, 0)
    // No client is forgotten to make room for others: the first is still refused like the last.
    expect((await limiter.hit('c99', 0)).allowed).toBe(false)
    expect((await limiter.hit('c0', 0)).allowed).toBe(false)
    // One token back after 1,000 s: every row has expired and the purge takes them all.
    expect(await store.throttles.purgeExpired(999_999, 1000)).toBe(0)
    expect(await store.throttles.purgeExpired(1_000_000, 1000)).toBe(100)
    expect((await limiter.hit('c0', 1_000_000)).allowed).toBe(true)
  })
})

describe('AuthnRequest and certificates', () => {
  test('the redirect carries the deflated request', () => {
    const id = newRequestId()
    const input = { id, ssoUrl: 'https://acme.okta.com/sso?x=1', acsUrl: ACS, issuer: ORG, now: NOW }
    const url = new URL(redirectUrl(input))
    expect(url.searchParams.get('x')).toBe('1')
    const xml = inflateRawSync(
      Buffer.from(url.searchParams.get('SAMLRequest') as string, 'base64'),
    ).toString()
    expect(xml).toBe(authnRequestXml(input))
    expect(parseSamlXml(xml).getAttribute('ID')).toBe(id)
  })
  test('the self-signed certificate builder makes a certificate openssl accepts', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const pem = selfSignedCertificate({
      privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      commonName: 'okta-bridge SP test',
      notBefore: new Date('2030-01-01T00:00:00Z'),
      notAfter: new Date('2055-01-01T00:00:00Z'),
    })
    const certificate = new X509Certificate(pem)
    expect(certificate.subject).toBe('CN=okta-bridge SP test')
    expect(certificate.checkPrivateKey(privateKey)).toBe(true)
    expect(certificate.verify(certificate.publicKey)).toBe(true)
    expect(new Date(certificate.validTo).getUTCFullYear()).toBe(2055)
    const path = join(tmpdir(), `okb-sp-${crypto.randomUUID()}.pem`)
    writeFileSync(path, pem)
    const text = Bun.spawnSync(['openssl', 'x509', '-in', path, '-noout', '-text']).stdout.toString()
    expect(text).toContain('CA:FALSE')
    expect(text).toContain('Key Encipherment')
    expect(Bun.spawnSync(['openssl', 'verify', '-no_check_time', '-CAfile', path, path]).exitCode).toBe(0)
  })
})
