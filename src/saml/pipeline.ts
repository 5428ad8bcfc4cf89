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
 * sign-in is committed, in one transaction (see `service.ts`).
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
import { assertionChild, checkStructure } from './steps/structure.ts'
import { checkBearerConfirmation } from './steps/subject-confirmation.ts'
import { checkValidityWindow, DEFAULT_MAX_ASSERTION_VALIDITY_MS } from './steps/validity-window.ts'
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

export function verifySamlResponse(xml: string, expect: SamlExpectations): VerifiedResponse {
  const policy = { certificates: expect.certificates, allowSha1: expect.allowSha1 }
  const shape = checkStructure(parseSamlXml(xml))

  // What the Response signature covers replaces the document for every later read.
  const response = shape.responseSignature
    ? verifiedCanonical(verifySignature(shape.responseSignature, shape.response, policy))
    : shape.response

  let assertion: XmlElement
  let assertionSigned = false
  if (shape.encryptedAssertion) {
    const encrypted = shape.responseSignature
      ? onlyChild(response, NS.assertion, 'EncryptedAssertion')
      : shape.encryptedAssertion
    if (!encrypted)
      throw new SamlRejection('assertion_count', 'the signed Response lost its EncryptedAssertion')
    const decrypted = decryptAssertion(encrypted, expect.spPrivateKey, shape.responseSignature !== null)
    if (decrypted.signature) {
      assertion = verifiedCanonical(verifySignature(decrypted.signature, decrypted.assertion, policy))
      assertionSigned = true
    } else if (shape.responseSignature) assertion = decrypted.assertion
    else
      throw new SamlRejection(
        'signature_missing',
        'neither the Response nor the encrypted Assertion is signed',
      )
  } else if (shape.responseSignature) {
    // The verified Response signature covers the assertion, its own signature included, byte for
    // byte as the IdP made it: checking that inner signature again would prove nothing new.
    assertion = assertionChild(response)
    assertionSigned = shape.assertionSignature !== null
  } else if (shape.assertionSignature && shape.assertion) {
    assertion = verifiedCanonical(verifySignature(shape.assertionSignature, shape.assertion, policy))
    assertionSigned = true
  } else {
    throw new SamlRejection('signature_missing', 'neither the Response nor the Assertion is signed')
  }
  const assertionId = attribute(assertion, 'ID')
  if (!is(assertion, NS.assertion, 'Assertion') || !assertionId) {
    throw new SamlRejection('not_a_response', 'the signed part is not an Assertion with an ID')
  }

  const time = { now: expect.now, skewMs: expect.clockSkewSeconds * 1000 }
  checkStatus(response)
  checkDestination(response, expect.acsUrl)
  checkIssuer(response, assertion, expect.issuer)
  checkAudience(assertion, expect.audience)
  const notOnOrAfter = checkConditionsTime(assertion, time)
  const bearer = checkBearerConfirmation(assertion, expect.acsUrl, time)
  const issuedAt = checkValidityWindow(assertion, [notOnOrAfter, bearer.notOnOrAfter], {
    ...time,
    maxValidityMs: expect.maxAssertionValidityMs ?? DEFAULT_MAX_ASSERTION_VALIDITY_MS,
  })
  const requestId = expectedRequestId(
    shape.responseSignature ? response : null,
    bearer.inResponseTo,
    expect.allowIdpInitiated,
  )
  const identity = readIdentity(assertion, expect.emailAttribute)
  return {
    assertionId,
    replayUntil: Math.max(notOnOrAfter, bearer.notOnOrAfter) + time.skewMs,
    issuedAt,
    requestId,
    identity,
    subject: readSessionSubject(assertion),
    signed: {
      response: shape.responseSignature !== null,
      assertion: assertionSigned,
      encrypted: shape.encryptedAssertion !== null,
    },
  }
}
