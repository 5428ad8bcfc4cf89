/**
 * The catalogue of reasons a SAML sign-in is refused. Each reason is a stable snake_case code that
 * goes into the audit log and the metrics together with a precise detail for admins; the person in
 * the browser only ever sees the friendly text of the reason's `audience` group, never the detail.
 */
export const REASONS = {
  // Cheap checks before any XML work.
  rate_limited: 'busy',
  form_invalid: 'broken',
  response_too_large: 'broken',
  response_not_base64: 'broken',
  // XML.
  xml_dtd_forbidden: 'broken',
  xml_malformed: 'broken',
  xml_too_complex: 'broken',
  xml_unexpected_structure: 'broken',
  // Structure and signature.
  not_a_response: 'broken',
  assertion_count: 'broken',
  duplicate_id: 'broken',
  signature_missing: 'broken',
  signature_misplaced: 'broken',
  signature_reference: 'broken',
  signature_algorithm: 'broken',
  signature_invalid: 'broken',
  encrypted_assertion_unexpected: 'broken',
  decryption_failed: 'broken',
  // Content of the verified assertion.
  status_not_success: 'idp_refused',
  issuer_mismatch: 'broken',
  audience_mismatch: 'broken',
  destination_mismatch: 'broken',
  recipient_mismatch: 'broken',
  subject_confirmation_invalid: 'broken',
  expired: 'stale',
  not_yet_valid: 'stale',
  time_invalid: 'broken',
  validity_too_long: 'broken',
  in_response_to_unknown: 'stale',
  idp_initiated_disabled: 'sp_only',
  replayed: 'stale',
  email_missing: 'broken',
  // Single logout messages (LogoutRequest / LogoutResponse at {orgURL}/okta/slo).
  not_a_logout_message: 'broken',
  name_id_missing: 'broken',
  logout_failed: 'broken',
  // The person.
  user_not_provisioned: 'not_provisioned',
  user_inactive: 'not_provisioned',
  // Console sign-in ({orgURL}/admin/sso) by an account that is not mapped to the admin role.
  not_console_admin: 'not_admin',
  // The org.
  integration_missing: 'not_configured',
} as const

export type RejectionReason = keyof typeof REASONS
export type Audience = (typeof REASONS)[RejectionReason]

export class SamlRejection extends Error {
  constructor(
    readonly reason: RejectionReason,
    /** For the audit log and admins: what exactly was wrong. Never shown to the person. */
    readonly detail: string,
    /** Who tried, when known (the email from a verified assertion). */
    public subject: string | null = null,
  ) {
    super(`${reason}: ${detail}`)
    this.name = 'SamlRejection'
  }
}

/** What the person reads for each group of reasons: a title and one or two plain sentences. */
export const PERSON_MESSAGES: Record<Audience, { status: number; title: string; message: string }> = {
  busy: {
    status: 429,
    title: 'Too many sign-in attempts',
    message: 'Please wait a minute, then open the app from Okta again.',
  },
  broken: {
    status: 400,
    title: 'We could not sign you in',
    message:
      'The sign-in message from your identity provider could not be accepted. Please open the app from Okta again; if this keeps happening, give your administrator the reference below.',
  },
  idp_refused: {
    status: 403,
    title: 'Sign-in was not completed',
    message: 'Your identity provider did not complete the sign-in. Please try again from Okta.',
  },
  stale: {
    status: 400,
    title: 'This sign-in link has expired',
    message:
      'The sign-in was already used or is too old. Please start again from Okta or from the sign-in page.',
  },
  sp_only: {
    status: 403,
    title: 'Please start signing in here',
    message:
      'This organization only accepts sign-ins that start at this service. Use the sign-in link below.',
  },
  not_provisioned: {
    status: 403,
    title: 'Your account is not provisioned yet',
    message:
      'Your account is not provisioned yet — it can take a few minutes after you are assigned in Okta. Please try again shortly; if it persists, ask your administrator to check your assignment.',
  },
  not_admin: {
    status: 403,
    title: 'This account cannot open the admin console',
    message:
      'Okta signed you in, but your account is not in a group that gives the admin role in this organization, so the console stays closed. Ask an administrator to add you to an admin group in Okta.',
  },
  not_configured: {
    status: 404,
    title: 'Single sign-on is not set up',
    message: 'This organization has not set up single sign-on with Okta yet. Please ask your administrator.',
  },
}
