/**
 * `verifySamlResponse`: the ACS validation pipeline, one small step per check (see `steps/`), run in
 * an order where each step only reads what an earlier one verified:
 *
 *   hardened parse → structure (one assertion, unique IDs, signature positions)
 *   → the outermost signature with the configured certificate(s) (the Response's when present,
 *   else the Assertion's) → [decrypt, verify the signature inside] → from here on only the signed
 *   canonical XML is read: status, destination, issuer, audience, time window, bearer
 *   confirmation, validity window, request binding (InResponseTo from signed content only), identity.
 *
 * It is pure (no store, no clock of its own): replay and request consumption happen when the
 * sign-in is committed, in one transaction (see `service.ts`). Each step runs through the trace
 * (`trace.ts`), which records its name, outcome and a short detail for the attempt's record.
 */
import type { SamlSubject } from '../sessions/service.ts'
import { SamlRejection } from './rejection.ts'
import { checkAudience } from './steps/audience.ts'
import { checkConditionsTime } from './steps/conditions.ts'
import { decryptAssertion } from './steps/decrypt.ts'
import { checkDestination } from './steps/destination.ts'
import { readIdentity, type SignedInIdentity } from './steps/identity.ts'
import { expectedRequestId } from './steps/in-response-to.ts'
import { checkIssuer } from './steps/issuer.ts'
import { readSessionSubject } from './steps/session-subject.ts'
import { verifySignature } from './steps/signature.ts'
import { checkStatus } from './steps/status.ts'
import { assertionChild, checkStructure, type ResponseShape } from './steps/structure.ts'
import { checkBearerConfirmation } from './steps/subject-confirmation.ts'
import { checkValidityWindow, DEFAULT_MAX_ASSERTION_VALIDITY_MS } from './steps/validity-window.ts'
import { SamlTrace } from './trace.ts'
import { attribute, is, NS, onlyChild, parseSamlXml, type XmlElement } from './xml.ts'

export interface SamlExpectations {
  /** Okta's "Identity Provider Issuer". */
  issuer: string
  /** The current IdP certificate, then the next one during a rollover. */
  certificates: string[]
  acsUrl: string
  /** The org URL (SP entity ID). */
  audience: string
  allowIdpInitiated: boolean
  allowSha1: boolean
  clockSkewSeconds: number
  /** Longest accepted NotOnOrAfter − IssueInstant (`SAML_MAX_ASSERTION_VALIDITY`); default 24 h. */
  maxAssertionValidityMs?: number
  emailAttribute: string | null
  /** PEM of the SP encryption key, when the org has one. */
  spPrivateKey: string | null
  now: number
  /** Collects the steps and the values read (see trace.ts); a throwaway one when absent. */
  trace?: SamlTrace
}

export interface VerifiedResponse {
  assertionId: string
  /** Keep the assertion ID in the replay cache until then. */
  replayUntil: number
  /** The signed Assertion's IssueInstant (ms): by the IdP's clock, for `okta-bridge doctor`'s skew check. */
  issuedAt: number
  /** The AuthnRequest this answers, or null for an IdP-initiated sign-in. */
  requestId: string | null
  identity: SignedInIdentity
  /** NameID, Format and SessionIndex for the session (single logout); null without a NameID. */
  subject: SamlSubject | null
  signed: { response: boolean; assertion: boolean; encrypted: boolean }
}

function verifiedCanonical(canonicalXml: string): XmlElement {
  return parseSamlXml(canonicalXml, 'signed part')
}

const iso = (ms: number) => new Date(ms).toISOString()

/** The signature steps: which signature covers the assertion, verified, and the assertion it covers. */
function verifiedAssertion(
  shape: ResponseShape,
  response: XmlElement,
  expect: SamlExpectations,
  trace: SamlTrace,
): { assertion: XmlElement; assertionSigned: boolean } {
  const policy = { certificates: expect.certificates, allowSha1: expect.allowSha1 }
  if (shape.encryptedAssertion) {
    const decrypted = trace.step(
      'decrypt',
      () => {
        const encrypted = shape.responseSignature
          ? onlyChild(response, NS.assertion, 'EncryptedAssertion')
          : shape.encryptedAssertion
        if (!encrypted)
          throw new SamlRejection('assertion_count', 'the signed Response lost its EncryptedAssertion')
        return decryptAssertion(encrypted, expect.spPrivateKey, shape.responseSignature !== null)
      },
      (d) =>
        `EncryptedAssertion opened with the SP key; the assertion inside is ${d.signature ? 'signed' : 'unsigned'}`,
    )
    if (decrypted.signature) {
      const signature = decrypted.signature
      const assertion = trace.step(
        'signature',
        () => verifiedCanonical(verifySignature(signature, decrypted.assertion, policy)),
        () => 'decrypted Assertion signature verified with a configured certificate',
      )
      return { assertion, assertionSigned: true }
    }
    if (shape.responseSignature) return { assertion: decrypted.assertion, assertionSigned: false }
    trace.fail('signature', 'neither the Response nor the encrypted Assertion is signed')
    throw new SamlRejection('signature_missing', 'neither the Response nor the encrypted Assertion is signed')
  }
  if (shape.responseSignature) {
    // The verified Response signature covers the assertion, its own signature included, byte for
    // byte as the IdP made it: checking that inner signature again would prove nothing new.
    return { assertion: assertionChild(response), assertionSigned: shape.assertionSignature !== null }
  }
  const signature = shape.assertionSignature
  const plain = shape.assertion
  if (signature && plain) {
    const assertion = trace.step(
      'signature',
      () => verifiedCanonical(verifySignature(signature, plain, policy)),
      () => 'Assertion signature verified with a configured certificate (the Response is not signed)',
    )
    return { assertion, assertionSigned: true }
  }
  trace.fail('signature', 'neither the Response nor the Assertion is signed')
  throw new SamlRejection('signature_missing', 'neither the Response nor the Assertion is signed')
}

export function verifySamlResponse(xml: string, expect: SamlExpectations): VerifiedResponse {
  const trace = expect.trace ?? new SamlTrace()
  const policy = { certificates: expect.certificates, allowSha1: expect.allowSha1 }
  const root = trace.step(
    'parse',
    () => parseSamlXml(xml),
    () => `well-formed XML of ${xml.length} characters, no DTD, within the size bounds`,
  )
  // Unsigned values, for display only: the signature has not been checked yet.
  trace.observe(root, null, false)
  const shape = trace.step(
    'structure',
    () => checkStructure(root),
    (s) =>
      `one ${s.encryptedAssertion ? 'EncryptedAssertion' : 'Assertion'}; signed: ${
        [s.responseSignature ? 'Response' : null, s.assertionSignature ? 'Assertion' : null]
          .filter(Boolean)
          .join(' and ') || 'nothing visible'
      }`,
  )

  // What the Response signature covers replaces the document for every later read.
  const responseSignature = shape.responseSignature
  const response = responseSignature
    ? trace.step(
        'signature',
        () => verifiedCanonical(verifySignature(responseSignature, shape.response, policy)),
        () => 'Response signature verified with a configured certificate',
      )
    : shape.response
  const { assertion, assertionSigned } = verifiedAssertion(shape, response, expect, trace)
  const assertionId = attribute(assertion, 'ID')
  if (!is(assertion, NS.assertion, 'Assertion') || !assertionId) {
    trace.fail('signature', 'the signed part is not an Assertion with an ID')
    throw new SamlRejection('not_a_response', 'the signed part is not an Assertion with an ID')
  }
  trace.observe(response, assertion, true, responseSignature !== null)

  const time = { now: expect.now, skewMs: expect.clockSkewSeconds * 1000 }
  trace.step(
    'status',
    () => checkStatus(response),
    () => 'Success',
  )
  trace.step(
    'destination',
    () => checkDestination(response, expect.acsUrl),
    () =>
      attribute(response, 'Destination') === null
        ? 'no Destination (allowed)'
        : `Destination is ${expect.acsUrl}`,
  )
  trace.step(
    'issuer',
    () => checkIssuer(response, assertion, expect.issuer),
    () => `Issuer is the configured ${expect.issuer}`,
  )
  trace.step(
    'audience',
    () => checkAudience(assertion, expect.audience),
    () => `Audience includes the org URL ${expect.audience}`,
  )
  const notOnOrAfter = trace.step(
    'conditions',
    () => checkConditionsTime(assertion, time),
    (until) => `valid until ${iso(until)} (now ${iso(expect.now)}, skew ${expect.clockSkewSeconds} s)`,
  )
  const bearer = trace.step(
    'subject_confirmation',
    () => checkBearerConfirmation(assertion, expect.acsUrl, time),
    (b) => `bearer, Recipient ${expect.acsUrl}, valid until ${iso(b.notOnOrAfter)}`,
  )
  const maxValidityMs = expect.maxAssertionValidityMs ?? DEFAULT_MAX_ASSERTION_VALIDITY_MS
  const issuedAt = trace.step(
    'validity_window',
    () => checkValidityWindow(assertion, [notOnOrAfter, bearer.notOnOrAfter], { ...time, maxValidityMs }),
    (issued) => `issued ${iso(issued)}, at most ${Math.round(maxValidityMs / 60_000)} minutes of validity`,
  )
  const requestId = trace.step(
    'in_response_to',
    () =>
      expectedRequestId(responseSignature ? response : null, bearer.inResponseTo, expect.allowIdpInitiated),
    (id) => (id === null ? 'IdP-initiated (no signed InResponseTo)' : `answers the request ${id}`),
  )
  trace.settleInResponseTo(requestId)
  const identity = trace.step(
    'identity',
    () => readIdentity(assertion, expect.emailAttribute),
    (who) =>
      `email ${who.email} (from ${expect.emailAttribute ? `attribute ${expect.emailAttribute}` : 'the NameID'})`,
  )
  return {
    assertionId,
    replayUntil: Math.max(notOnOrAfter, bearer.notOnOrAfter) + time.skewMs,
    issuedAt,
    requestId,
    identity,
    subject: readSessionSubject(assertion),
    signed: {
      response: responseSignature !== null,
      assertion: assertionSigned,
      encrypted: shape.encryptedAssertion !== null,
    },
  }
}
