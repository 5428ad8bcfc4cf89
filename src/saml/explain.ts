/**
 * What to change, in words an Okta admin understands: a rejection reason plus the values the trace
 * read (found) and this org's values (expected) become one or two sentences naming Okta's own
 * fields ("the Audience URI in Okta is X, it must be Y"). Plain logic, no HTML: the console escapes
 * it, the API answers it as text. Values found may come from unsigned content (`signed: false`):
 * they are quoted for the admin to compare, never acted on.
 */
import type { RejectionReason } from './rejection.ts'

export interface FoundValues {
  reason: string | null
  issuer: string | null
  nameId: string | null
  audience: string | null
  destination: string | null
  inResponseTo: string | null
}

export interface ExpectedValues {
  /** The org URL: Okta's "Audience URI (SP Entity ID)". */
  audience: string
  /** `{orgURL}/okta/auth`: Okta's "Single sign-on URL". */
  acsUrl: string
  /** The configured "Identity Provider Issuer", null without an integration. */
  issuer: string | null
  /** `{orgURL}/okta/login`, where an SP-initiated sign-in starts. */
  loginUrl: string
}

const SAML_SETTINGS = 'In Okta: Applications → the app → General → SAML Settings → Edit'
const quote = (value: string | null) => (value === null || value === '' ? 'missing' : `"${value}"`)

type Advice = (found: FoundValues, expected: ExpectedValues) => string[]

const NOT_GENUINE: Advice = () => [
  'This was not a well-formed sign-in message from Okta (truncated, edited, or not from Okta). Open the app from Okta again; if it keeps happening, paste the SAMLResponse into the checker.',
]
const TAMPERED: Advice = () => [
  'The response was altered after Okta signed it (signature wrapping or a copied signature). Nothing to change in Okta; treat it as an attack if it was not your own test.',
]
const CLOCKS: Advice = () => [
  'The clocks of Okta and this server disagree, or the response waited too long in the browser. Check that this server keeps time (NTP), or raise clockSkewSeconds in the integration settings, then open the app from Okta again.',
]

const ADVICE: Record<RejectionReason, Advice> = {
  rate_limited: () => [
    'One client sent more than 20 sign-ins in a burst. Wait a minute; if it is a proxy for many people, set TRUST_PROXY so each person is counted on their own.',
  ],
  form_invalid: NOT_GENUINE,
  response_too_large: () => [
    'The response is larger than 256 KiB, usually because of a very large groups attribute. Filter the groups attribute statement in Okta (SAML Settings → Group Attribute Statements → Filter).',
  ],
  response_not_base64: NOT_GENUINE,
  xml_dtd_forbidden: NOT_GENUINE,
  xml_malformed: NOT_GENUINE,
  xml_too_complex: NOT_GENUINE,
  xml_unexpected_structure: NOT_GENUINE,
  not_a_response: NOT_GENUINE,
  assertion_count: TAMPERED,
  duplicate_id: TAMPERED,
  signature_misplaced: TAMPERED,
  signature_reference: TAMPERED,
  signature_missing: () => [
    `Okta sent the response unsigned. ${SAML_SETTINGS} → Show Advanced Settings: set Response (or Assertion Signature) to Signed.`,
  ],
  signature_algorithm: () => [
    `Okta signs with an algorithm that is not accepted (SHA-1). ${SAML_SETTINGS} → Show Advanced Settings: set Signature Algorithm to RSA-SHA256 and Digest Algorithm to SHA256.`,
  ],
  signature_invalid: () => [
    "The response is signed with a certificate this integration does not know. In Okta, open the app's Sign On tab → SAML Signing Certificates, download the active certificate and paste it into the Okta integration here (as the next certificate during a rollover).",
  ],
  encrypted_assertion_unexpected: () => [
    'Okta encrypts the assertion but no encryption key is set up here. Either turn Assertion Encryption off in Okta (SAML Settings → Show Advanced Settings), or generate the SP key here and paste its certificate into Okta.',
  ],
  decryption_failed: () => [
    'The encrypted assertion could not be opened: the Encryption Certificate in Okta must be the one shown here (SP keys), with AES256-GCM (or AES256-CBC with a signed Response) and RSA-OAEP.',
  ],
  status_not_success: () => [
    'Okta itself refused the sign-in (the status is in the failing step). Check the person’s assignment and Okta’s System Log for this time.',
  ],
  issuer_mismatch: (found, expected) => [
    `The Identity Provider Issuer in Okta is ${quote(found.issuer)}; this integration expects ${quote(expected.issuer)}. Copy "Identity Provider Issuer" from Okta (Sign On tab → View SAML setup instructions) into the integration here.`,
  ],
  audience_mismatch: (found, expected) => [
    `The Audience URI (SP Entity ID) in Okta is ${quote(found.audience)}; it must be "${expected.audience}". ${SAML_SETTINGS} → Audience URI (SP Entity ID).`,
  ],
  destination_mismatch: (found, expected) => [
    `The Single sign-on URL (Destination) in Okta is ${quote(found.destination)}; it must be "${expected.acsUrl}". ${SAML_SETTINGS} → Single sign-on URL (and keep "Use this for Recipient URL and Destination URL" checked).`,
  ],
  recipient_mismatch: (_found, expected) => [
    `The Recipient URL in Okta must be "${expected.acsUrl}" (the failing step shows what it is). ${SAML_SETTINGS} → Single sign-on URL, with "Use this for Recipient URL and Destination URL" checked.`,
  ],
  subject_confirmation_invalid: NOT_GENUINE,
  expired: CLOCKS,
  not_yet_valid: CLOCKS,
  time_invalid: NOT_GENUINE,
  validity_too_long: () => [
    'The assertion stays valid longer than this server accepts (SAML_MAX_ASSERTION_VALIDITY, 24 hours by default). Lower the assertion lifetime at the identity provider, or raise the setting.',
  ],
  in_response_to_unknown: (_found, expected) => [
    `This answers a sign-in that was started in another browser, used already, or more than 10 minutes ago (or the browser dropped the okb_saml_request cookie: use https). Start again at ${expected.loginUrl}.`,
  ],
  idp_initiated_disabled: (_found, expected) => [
    `The sign-in came from the Okta tile, but this org accepts only sign-ins started here. Start at ${expected.loginUrl}, or turn on allowIdpInitiated in the integration settings.`,
  ],
  replayed: () => [
    'This response was used already (back button, a double submit, or a replay). Nothing to change: open the app from Okta again.',
  ],
  email_missing: (found) => [
    `No email address could be read (the NameID is ${quote(found.nameId)}). ${SAML_SETTINGS}: set Name ID format to EmailAddress and Application username to Email, or name the attribute holding the email in emailAttribute.`,
  ],
  user_not_provisioned: (found) => [
    `There is no account for ${quote(found.nameId)} in this org. Assign the person to the app in Okta and let provisioning push them (it can take a minute), or turn on justInTimeProvisioning.`,
  ],
  user_inactive: (found) => [
    `The account for ${quote(found.nameId)} is deactivated (unassigned in Okta). Assign the person to the app again.`,
  ],
  integration_missing: () => [
    'The Okta integration of this org is not set up: set it up on the Okta integration page.',
  ],
  not_console_admin: () => [
    "This person signed in to the admin console with Okta, but their account's role is not admin. In Okta, add them to a group whose role mapping is admin (console: Groups and roles), or let them use the app's tile to open their account instead.",
  ],
  // Single logout's reasons (its messages are not sign-ins, so no attempt carries them; listed for
  // completeness).
  not_a_logout_message: NOT_GENUINE,
  name_id_missing: () => [
    "The sign-out request named nobody (no NameID). Check the app's Single Logout settings in Okta.",
  ],
  logout_failed: () => [
    'Single logout did not complete. Check the Single Logout URL and the Signature Certificate in Okta (SAML Settings → Show Advanced Settings).',
  ],
}

const isReason = (reason: string): reason is RejectionReason => Object.hasOwn(ADVICE, reason)

/** The advice for an attempt: nothing to change when it was accepted. */
export function explainAttempt(found: FoundValues, expected: ExpectedValues): string[] {
  if (found.reason === null) return ['Nothing to change: this sign-in was accepted.']
  if (!isReason(found.reason)) return [`Rejected (${found.reason}); see docs/saml.md for this reason.`]
  return ADVICE[found.reason](found, expected)
}
