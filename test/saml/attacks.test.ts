/**
 * The attack suite: each forged, tampered, replayed or misdirected response is refused through
 * the real ACS with a readable HTML page (never the reason, never a session cookie), and the audit
 * log holds the real reason. Mallory has an account and a genuine Okta response for it; the goal
 * of most attacks is to become Boss, another account of the same org.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import type { TestApp } from '../support/app.ts'
import { selfSigned } from '../support/certs.ts'
import { oktaResponse, postAcs, type ResponseOptions, signResponse, toBase64 } from '../support/saml.ts'
import { createSamlApp, idpKey, insertAccount, lastSamlReason, type SamlOrg, seedSamlOrg } from './fixture.ts'
import * as wrap from './wrapping.ts'

let app: TestApp
let org: SamlOrg
const MALLORY = 'mallory@acme.example'
const BOSS = 'boss@acme.example'

beforeAll(async () => {
  app = createSamlApp()
  org = await seedSamlOrg(app, 'acme', { email: BOSS })
  await insertAccount(app, org.orgId, MALLORY, { name: 'Mallory' })
})

const genuine = (
  what: 'assertion' | 'response' | 'both' = 'assertion',
  options: Partial<ResponseOptions> = {},
) => signResponse(oktaResponse({ orgUrl: org.orgUrl, email: MALLORY, ...options }), idpKey(), what)

/** Posts, expects a refusal page without a session, and returns the audited reason. */
async function refused(xml: string, options: Parameters<typeof postAcs>[3] = {}): Promise<string | null> {
  const response = await postAcs(app, org.orgUrl, xml, options)
  expect(response.status).toBeGreaterThanOrEqual(400)
  expect(response.status).toBeLessThan(500)
  expect(response.headers.get('content-type')).toContain('text/html')
  expect(response.headers.getSetCookie().some((c) => c.startsWith('okb_session='))).toBe(false)
  const html = await response.text()
  expect(html).toContain('<h1>')
  expect(html).not.toMatch(/signature|xml|assertion|stack/i)
  return lastSamlReason(app, org.orgId)
}

describe('signature wrapping (XSW 1–8) is refused', () => {
  test('XSW1: original response inside the Signature, evil root', async () => {
    expect(await refused(wrap.xsw1(genuine('response'), BOSS))).toBe('assertion_count')
  })
  test('XSW2: original response as a detached sibling before the Signature', async () => {
    expect(await refused(wrap.xsw2(genuine('response'), BOSS))).toBe('assertion_count')
  })
  test('XSW3: evil assertion prepended to the signed one', async () => {
    expect(await refused(wrap.xsw3(genuine(), BOSS))).toBe('assertion_count')
  })
  test('XSW4: signed assertion wrapped inside the evil one', async () => {
    expect(await refused(wrap.xsw4(genuine(), BOSS))).toBe('assertion_count')
  })
  test('XSW5: signed assertion edited, unsigned original appended', async () => {
    expect(await refused(wrap.xsw5(genuine(), BOSS))).toBe('duplicate_id')
  })
  test('XSW6: signed assertion edited, original hidden inside its Signature', async () => {
    expect(await refused(wrap.xsw6(genuine(), BOSS))).toBe('duplicate_id')
  })
  test('XSW7: original in Extensions, evil copy with the same ID in its place', async () => {
    expect(await refused(wrap.xsw7(genuine(), BOSS))).toBe('duplicate_id')
  })
  test('XSW8: signed assertion edited, original inside a ds:Object', async () => {
    expect(await refused(wrap.xsw8(genuine(), BOSS))).toBe('duplicate_id')
  })
})

describe('copies and extra assertions are refused', () => {
  test('signed original in Extensions, evil assertion with a fresh ID', async () => {
    expect(await refused(wrap.inExtensions(genuine(), BOSS))).toBe('assertion_count')
  })
  test('signed original in the evil assertion’s Advice', async () => {
    expect(await refused(wrap.inAdvice(genuine(), BOSS))).toBe('assertion_count')
  })
  test('signed original in a ds:Object of the moved signature', async () => {
    expect(await refused(wrap.inObject(genuine(), BOSS))).toBe('assertion_count')
  })
  test('evil assertion prepended', async () => {
    expect(await refused(wrap.prependAssertion(genuine('both'), BOSS))).toBe('assertion_count')
  })
  test('evil assertion appended', async () => {
    expect(await refused(wrap.appendAssertion(genuine('both'), BOSS))).toBe('assertion_count')
  })
  test('two genuinely signed assertions in one response', async () => {
    const second = genuine('assertion', { email: BOSS })
    const secondAssertion = /<saml2:Assertion[\s\S]*<\/saml2:Assertion>/.exec(second)?.[0] as string
    const doubled = genuine().replace('</saml2p:Response>', `${secondAssertion}</saml2p:Response>`)
    expect(await refused(doubled)).toBe('assertion_count')
  })
  test('the assertion signature moved onto an evil assertion is bound to the wrong ID', async () => {
    expect(await refused(wrap.signatureOnEvilAssertion(genuine(), BOSS))).toBe('signature_reference')
  })
})

describe('NameID comment injection reads the whole signed value', () => {
  test('boss@acme.example<!---->.evil.test does not become boss@acme.example', async () => {
    const signed = signResponse(
      oktaResponse({ orgUrl: org.orgUrl, email: `${BOSS}.evil.test`, attributes: {} }),
      idpKey(),
    )
    const injected = wrap.commentInNameId(signed, BOSS)
    expect(injected).toContain(`${BOSS}<!---->.evil.test`)
    expect(await refused(injected)).toBe('user_not_provisioned')
    expect((await app.store.audit.list(org.orgId, { kind: 'saml', limit: 1 }))[0]?.subject).toBe(
      `${BOSS}.evil.test`,
    )
  })
})

describe('signatures and keys', () => {
  test('unsigned response', async () => {
    const unsigned = oktaResponse({ orgUrl: org.orgUrl, email: BOSS })
      .replace('<!--ASSERTION_SIGNATURE-->', '')
      .replace('<!--RESPONSE_SIGNATURE-->', '')
    expect(await refused(unsigned)).toBe('signature_missing')
  })
  test('signed with a key whose certificate is not configured, claiming the IdP’s certificate', async () => {
    const forged = signResponse(oktaResponse({ orgUrl: org.orgUrl, email: BOSS }), selfSigned('attacker'))
    const idpBody = idpKey().certificate.replace(/-----[^-]+-----|\s/g, '')
    const claimed = forged.replace(
      /<ds:X509Certificate>[^<]+<\/ds:X509Certificate>/,
      `<ds:X509Certificate>${idpBody}</ds:X509Certificate>`,
    )
    expect(claimed).toContain(idpBody)
    expect(await refused(claimed)).toBe('signature_invalid')
  })
  test('signed by an attacker who embeds their own certificate in KeyInfo', async () => {
    const forged = signResponse(
      oktaResponse({ orgUrl: org.orgUrl, email: BOSS }),
      selfSigned('attacker'),
      'both',
    )
    expect(forged).toContain('<ds:X509Certificate>')
    expect(await refused(forged)).toBe('signature_invalid')
  })
  test('a signed value changed after signing', async () => {
    expect(await refused(genuine().replace(MALLORY, BOSS))).toBe('signature_invalid')
  })
  test('RSA-SHA1 is refused by default', async () => {
    const sha1 = signResponse(
      oktaResponse({ orgUrl: org.orgUrl, email: MALLORY }),
      idpKey(),
      'assertion',
      'sha1',
    )
    expect(await refused(sha1)).toBe('signature_algorithm')
  })
})

describe('misdirected or stale responses', () => {
  test('wrong issuer', async () => {
    expect(
      await refused(genuine('assertion', { issuer: 'http://www.okta.com/exkOTHER', responseIssuer: null })),
    ).toBe('issuer_mismatch')
  })
  test('wrong audience', async () => {
    expect(await refused(genuine('both', { audience: 'https://other.example/' }))).toBe('audience_mismatch')
  })
  test('wrong recipient', async () => {
    expect(await refused(genuine('both', { recipient: 'https://other.example/acs' }))).toBe(
      'recipient_mismatch',
    )
  })
  test('wrong destination', async () => {
    expect(await refused(genuine('both', { destination: 'https://other.example/acs' }))).toBe(
      'destination_mismatch',
    )
  })
  test('expired (beyond the clock skew)', async () => {
    expect(await refused(genuine('assertion', { notBefore: -900, notOnOrAfter: -120 }))).toBe('expired')
  })
  test('not yet valid (beyond the clock skew)', async () => {
    expect(await refused(genuine('assertion', { notBefore: 300, notOnOrAfter: 900 }))).toBe('not_yet_valid')
  })
  test('within the clock skew is accepted', async () => {
    const response = await postAcs(
      app,
      org.orgUrl,
      genuine('assertion', { notBefore: 30, notOnOrAfter: 600 }),
    )
    expect(response.status).toBe(303)
  })
  test('replayed', async () => {
    const once = genuine()
    expect((await postAcs(app, org.orgUrl, once)).status).toBe(303)
    expect(await refused(once)).toBe('replayed')
  })
  test('InResponseTo that this browser never sent', async () => {
    expect(await refused(genuine('assertion', { inResponseTo: '_0123456789abcdef' }))).toBe(
      'in_response_to_unknown',
    )
  })
  test('status other than Success', async () => {
    expect(
      await refused(genuine('response', { status: 'urn:oasis:names:tc:SAML:2.0:status:Responder' })),
    ).toBe('status_not_success')
  })
})

describe('hostile or junk input is refused before or during parsing', () => {
  test('XXE: an external entity', async () => {
    const xxe = genuine()
      .replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
      )
      .replace(MALLORY, '&x;')
    expect(await refused(xxe)).toBe('xml_dtd_forbidden')
  })
  test('entity expansion (billion laughs)', async () => {
    const lol = `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><saml2p:Response xmlns:saml2p="urn:oasis:names:tc:SAML:2.0:protocol">&c;</saml2p:Response>`
    expect(await refused(lol)).toBe('xml_dtd_forbidden')
  })
  test('oversized form', async () => {
    const big = `SAMLResponse=${'A'.repeat(300 * 1024)}`
    expect(await refused('', { rawBody: big })).toBe('response_too_large')
  })
  test('not base64', async () => {
    expect(await refused('', { rawBody: 'SAMLResponse=%3Cnot%20base64%3E' })).toBe('response_not_base64')
  })
  test('unexpected form fields', async () => {
    expect(
      await refused('', { rawBody: `SAMLResponse=${encodeURIComponent(toBase64('<a/>'))}&SAMLRequest=x` }),
    ).toBe('form_invalid')
  })
  test('not a form post', async () => {
    expect(await refused(genuine(), { contentType: 'application/json' })).toBe('form_invalid')
  })
  test('malformed XML', async () => {
    expect(
      await refused('<saml2p:Response xmlns:saml2p="urn:oasis:names:tc:SAML:2.0:protocol"><unclosed>'),
    ).toBe('xml_malformed')
  })
  test('some other XML document', async () => {
    expect(await refused('<html><body>hello</body></html>')).toBe('not_a_response')
  })
})

describe('RelayState cannot redirect anywhere else', () => {
  for (const relayState of [
    'https://evil.example/phish',
    '//evil.example/phish',
    '/\\evil.example/phish',
    '/orgs/other/account',
    '/orgs/acme/../other/account',
    'javascript:alert(1)',
    '/orgs/acme%2f..%2fother',
  ]) {
    test(`${relayState} is ignored: sign-in lands on the account page`, async () => {
      const response = await postAcs(app, org.orgUrl, genuine(), { relayState })
      expect(response.status).toBe(303)
      expect(response.headers.get('location')).toBe(`${org.orgUrl}/account`)
      const audit = (await app.store.audit.list(org.orgId, { kind: 'saml', limit: 1 }))[0]
      expect(audit?.outcome).toBe('success')
      expect(JSON.parse(audit?.data ?? '{}').relayStateIgnored).toBe(true)
    })
  }
})
