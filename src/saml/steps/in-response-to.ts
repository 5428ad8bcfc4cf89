/**
 * Step: which flow this is. A response answering our AuthnRequest carries InResponseTo (on the
 * Response and/or the bearer confirmation, equal when both); one without it is IdP-initiated (the
 * Okta tile), accepted only while the org allows it. Only signed content counts: the bearer
 * confirmation of the (always signed) assertion, and the Response's attribute only when the
 * Response itself is signed. An InResponseTo added to an unsigned Response around an IdP-initiated
 * assertion must not turn it into an SP-initiated sign-in. Matching the ID against this browser's
 * outstanding requests happens when the sign-in is committed (it consumes the request).
 */
import { SamlRejection } from '../rejection.ts'
import { attribute, type XmlElement } from '../xml.ts'

/** `signedResponse`: the verified Response, or null when only the assertion is signed. */
export function expectedRequestId(
  signedResponse: XmlElement | null,
  confirmationInResponseTo: string | null,
  allowIdpInitiated: boolean,
): string | null {
  const fromResponse = signedResponse ? attribute(signedResponse, 'InResponseTo') : null
  if (
    fromResponse !== null &&
    confirmationInResponseTo !== null &&
    fromResponse !== confirmationInResponseTo
  ) {
    throw new SamlRejection(
      'in_response_to_unknown',
      'Response and SubjectConfirmationData InResponseTo differ',
    )
  }
  const requestId = fromResponse ?? confirmationInResponseTo
  if (requestId === null && !allowIdpInitiated) {
    throw new SamlRejection(
      'idp_initiated_disabled',
      'IdP-initiated sign-in is turned off for this organization (no signed InResponseTo)',
    )
  }
  return requestId
}
