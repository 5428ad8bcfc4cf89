/**
 * Step: which flow this is. A response answering our AuthnRequest carries InResponseTo (on the
 * Response and/or the bearer confirmation, equal when both); one without it is IdP-initiated (the
 * Okta tile), accepted only while the org allows it. Matching the ID against this browser's
 * outstanding requests happens when the sign-in is committed (it consumes the request).
 */
import { SamlRejection } from '../rejection.ts'
import { attribute, type XmlElement } from '../xml.ts'

export function expectedRequestId(
  response: XmlElement,
  confirmationInResponseTo: string | null,
  allowIdpInitiated: boolean,
): string | null {
  const fromResponse = attribute(response, 'InResponseTo')
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
      'IdP-initiated sign-in is turned off for this organization',
    )
  }
  return requestId
}
