/**
 * An assertion valid for years (NotOnOrAfter far ahead) used to be accepted and would stay
 * replayable from any browser history or log for that long. NotOnOrAfter may now lie at most
 * `SAML_MAX_ASSERTION_VALIDITY` minutes (default 24 h) after the Assertion's IssueInstant, and
 * IssueInstant may not lie in the future. Real IdP-signed responses through the real ACS.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { ConfigError, loadConfig } from '../../src/config/index.ts'
import { SamlRejection } from '../../src/saml/rejection.ts'
import { checkValidityWindow } from '../../src/saml/steps/validity-window.ts'
import { parseSamlXml } from '../../src/saml/xml.ts'
import { createTestApp, type TestApp } from '../support/app.ts'
import { oktaResponse, postAcs, type ResponseOptions, signResponse } from '../support/saml.ts'
import { createSamlApp, idpKey, lastSamlReason, type SamlOrg, seedSamlOrg } from './fixture.ts'

let app: TestApp
let org: SamlOrg
const YEAR = 365 * 24 * 3600

beforeAll(async () => {
  app = createSamlApp()
  org = await seedSamlOrg(app)
})

const signed = (
  target: SamlOrg,
  options: Partial<ResponseOptions>,
  what: 'assertion' | 'both' = 'assertion',
) => signResponse(oktaResponse({ orgUrl: target.orgUrl, email: target.email, ...options }), idpKey(), what)

describe('the validity window is capped (default 24 h after IssueInstant)', () => {
  test('NotOnOrAfter three years ahead is refused', async () => {
    const response = await postAcs(app, org.orgUrl, signed(org, { notOnOrAfter: 3 * YEAR }))
    expect(response.status).toBe(400)
    expect(response.headers.getSetCookie().some((c) => c.includes('okb_session'))).toBe(false)
    expect(await lastSamlReason(app, org.orgId)).toBe('validity_too_long')
  })
  test('also when the Response is signed too', async () => {
    expect((await postAcs(app, org.orgUrl, signed(org, { notOnOrAfter: 25 * 3600 }, 'both'))).status).toBe(
      400,
    )
    expect(await lastSamlReason(app, org.orgId)).toBe('validity_too_long')
  })
  test('an IssueInstant in the future cannot stretch the window', async () => {
    const response = await postAcs(
      app,
      org.orgUrl,
      signed(org, { issueInstant: YEAR, notOnOrAfter: YEAR + 60 }),
    )
    expect(response.status).toBe(400)
    expect(await lastSamlReason(app, org.orgId)).toBe('not_yet_valid')
  })
  test('an 8-hour window (long, but inside the cap) is accepted', async () => {
    expect((await postAcs(app, org.orgUrl, signed(org, { notOnOrAfter: 8 * 3600 }))).status).toBe(303)
  })
})

describe('SAML_MAX_ASSERTION_VALIDITY', () => {
  test('is read in minutes, defaults to 1440 and refuses nonsense', () => {
    expect(loadConfig(new Map(), {}).samlMaxAssertionValidityMinutes).toBe(1440)
    expect(loadConfig(new Map(), { SAML_MAX_ASSERTION_VALIDITY: '30' }).samlMaxAssertionValidityMinutes).toBe(
      30,
    )
    expect(
      loadConfig(new Map([['saml-max-assertion-validity', '90']]), {}).samlMaxAssertionValidityMinutes,
    ).toBe(90)
    for (const bad of ['0', '99999', '1h']) {
      expect(() => loadConfig(new Map(), { SAML_MAX_ASSERTION_VALIDITY: bad })).toThrow(ConfigError)
    }
    expect(() => loadConfig(new Map(), { SAML_MAX_ASSERTION_VALIDITY: '0' })).toThrow(
      /SAML_MAX_ASSERTION_VALIDITY/,
    )
  })
  test('reaches the ACS: with 10 minutes, a 15-minute assertion is refused and a 5-minute one accepted', async () => {
    const strict = createTestApp({ trustProxy: { hops: 1 }, samlMaxAssertionValidityMinutes: 10 })
    const strictOrg = await seedSamlOrg(strict, 'strict')
    expect(
      (await postAcs(strict, strictOrg.orgUrl, signed(strictOrg, { notOnOrAfter: 15 * 60 }))).status,
    ).toBe(400)
    expect(await lastSamlReason(strict, strictOrg.orgId)).toBe('validity_too_long')
    expect(
      (await postAcs(strict, strictOrg.orgUrl, signed(strictOrg, { notOnOrAfter: 5 * 60 }))).status,
    ).toBe(303)
  })
})

describe('checkValidityWindow at its boundaries', () => {
  const NOW = Date.parse('2030-01-01T12:00:00Z')
  const policy = { now: NOW, skewMs: 60_000, maxValidityMs: 3_600_000 }
  const assertionIssuedAt = (offsetMs: number | null) =>
    parseSamlXml(
      `<saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" ID="a1"${offsetMs === null ? '' : ` IssueInstant="${new Date(NOW + offsetMs).toISOString()}"`}/>`,
    )
  const reasonOf = (work: () => void) => {
    try {
      work()
      return 'accepted'
    } catch (error) {
      if (error instanceof SamlRejection) return error.reason
      throw error
    }
  }
  test('exactly the maximum is accepted, one millisecond more is not; the latest NotOnOrAfter counts', () => {
    const a = assertionIssuedAt(0)
    expect(reasonOf(() => checkValidityWindow(a, [NOW + 60_000, NOW + 3_600_000], policy))).toBe('accepted')
    expect(reasonOf(() => checkValidityWindow(a, [NOW + 3_600_001, NOW + 60_000], policy))).toBe(
      'validity_too_long',
    )
  })
  test('IssueInstant within the skew ahead is accepted, beyond it not; missing is refused', () => {
    expect(reasonOf(() => checkValidityWindow(assertionIssuedAt(60_000), [NOW + 120_000], policy))).toBe(
      'accepted',
    )
    expect(reasonOf(() => checkValidityWindow(assertionIssuedAt(60_001), [NOW + 120_000], policy))).toBe(
      'not_yet_valid',
    )
    expect(reasonOf(() => checkValidityWindow(assertionIssuedAt(null), [NOW + 120_000], policy))).toBe(
      'time_invalid',
    )
  })
})
