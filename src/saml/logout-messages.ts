/**
 * Single logout messages, framework-free and without a store: the LogoutRequest and LogoutResponse
 * we send (built as text, values escaped), and the checks of the ones the IdP sends to
 * `{orgURL}/okta/slo`, in the order of the ACS pipeline — hardened parse (same DTD ban and XML
 * bounds) → shape (the root is the message, unique IDs, a Signature only as the root's child) →
 * signature with the configured IdP certificate(s) → from then on only what the signature covers
 * is read: Issuer, Destination, IssueInstant window, NameID and SessionIndexes, or InResponseTo and
 * Status.
 *
 * A LogoutRequest must be signed: over the query (Redirect binding, checked before this module by
 * `redirect-binding.ts`) or as an enveloped XML signature (POST binding, checked here with the ACS's
 * signature step). A LogoutResponse only undoes nothing (the local session is gone already), so its
 * signature is checked when present.
 */
import { SamlRejection } from './rejection.ts'
import { issuerOf } from './steps/issuer.ts'
import { type SignaturePolicy, verifySignature } from './steps/signature.ts'
import { parseInstant } from './steps/time.ts'
import {
  attribute,
  children,
  descendants,
  is,
  NS,
  onlyChild,
  parseSamlXml,
  textOf,
  type XmlElement,
} from './xml.ts'

export const STATUS = {
  success: 'urn:oasis:names:tc:SAML:2.0:status:Success',
  requester: 'urn:oasis:names:tc:SAML:2.0:status:Requester',
  responder: 'urn:oasis:names:tc:SAML:2.0:status:Responder',
  partialLogout: 'urn:oasis:names:tc:SAML:2.0:status:PartialLogout',
} as const

/** How old an IdP's logout message may be (its IssueInstant), beyond the clock skew. */
export const LOGOUT_MESSAGE_MAX_AGE_MS = 10 * 60_000
/** SessionIndex elements one LogoutRequest may name. */
const SESSION_INDEX_MAX = 32

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
const iso = (ms: number) => new Date(ms).toISOString()

export interface LogoutRequestInput {
  id: string
  /** The IdP's Single Logout URL. */
  destination: string
  /** Our entity ID (the org URL). */
  issuer: string
  nameId: string
  nameIdFormat: string | null
  sessionIndex: string | null
  now: number
}

export function logoutRequestXml(input: LogoutRequestInput): string {
  const format = input.nameIdFormat ? ` Format="${escapeXml(input.nameIdFormat)}"` : ''
  const sessionIndex = input.sessionIndex
    ? `<samlp:SessionIndex>${escapeXml(input.sessionIndex)}</samlp:SessionIndex>`
    : ''
  return `<samlp:LogoutRequest xmlns:samlp="${NS.protocol}" xmlns:saml="${NS.assertion}" ID="${input.id}" Version="2.0" IssueInstant="${iso(input.now)}" Destination="${escapeXml(input.destination)}" NotOnOrAfter="${iso(input.now + LOGOUT_MESSAGE_MAX_AGE_MS)}"><saml:Issuer>${escapeXml(input.issuer)}</saml:Issuer><saml:NameID${format}>${escapeXml(input.nameId)}</saml:NameID>${sessionIndex}</samlp:LogoutRequest>`
}

export type LogoutStatus = 'success' | 'partial' | 'requester'

export interface LogoutResponseInput {
  id: string
  inResponseTo: string
  destination: string
  issuer: string
  status: LogoutStatus
  /** For a Requester error: what was wrong, in a few words (no internal detail). */
  message?: string
  now: number
}

export function logoutResponseXml(input: LogoutResponseInput): string {
  const code =
    input.status === 'success'
      ? `<samlp:StatusCode Value="${STATUS.success}"/>`
      : input.status === 'partial'
        ? `<samlp:StatusCode Value="${STATUS.success}"><samlp:StatusCode Value="${STATUS.partialLogout}"/></samlp:StatusCode>`
        : `<samlp:StatusCode Value="${STATUS.requester}"/>`
  const message = input.message
    ? `<samlp:StatusMessage>${escapeXml(input.message)}</samlp:StatusMessage>`
    : ''
  return `<samlp:LogoutResponse xmlns:samlp="${NS.protocol}" xmlns:saml="${NS.assertion}" ID="${input.id}" Version="2.0" IssueInstant="${iso(input.now)}" Destination="${escapeXml(input.destination)}" InResponseTo="${escapeXml(input.inResponseTo)}"><saml:Issuer>${escapeXml(input.issuer)}</saml:Issuer><samlp:Status>${code}${message}</samlp:Status></samlp:LogoutResponse>`
}

export type LogoutMessageName = 'LogoutRequest' | 'LogoutResponse'

export interface LogoutShape {
  root: XmlElement
  /** The root's enveloped ds:Signature, when it has one. */
  signature: XmlElement | null
}

/** Parses a logout message and checks its shape before any signature is trusted. */
export function readLogoutShape(xml: string, name: LogoutMessageName): LogoutShape {
  const root = parseSamlXml(xml, name)
  if (!is(root, NS.protocol, name)) {
    throw new SamlRejection(
      'not_a_logout_message',
      `root element is {${root.namespaceURI}}${root.localName}, not ${name}`,
    )
  }
  if (attribute(root, 'Version') !== '2.0')
    throw new SamlRejection('not_a_logout_message', `${name} Version is not 2.0`)
  if (!attribute(root, 'ID')) throw new SamlRejection('not_a_logout_message', `${name} has no ID`)
  const ids = new Set<string>()
  for (const element of descendants(root)) {
    for (const idName of ['ID', 'Id', 'id']) {
      const value = attribute(element, idName)
      if (value === null) continue
      if (ids.has(value))
        throw new SamlRejection('duplicate_id', `ID "${value.slice(0, 80)}" appears more than once`)
      ids.add(value)
    }
    if (
      element.localName === 'Signature' &&
      (element.parentNode !== root || element.namespaceURI !== NS.dsig)
    ) {
      throw new SamlRejection(
        'signature_misplaced',
        `a Signature sits inside ${(element.parentNode as XmlElement | null)?.localName ?? 'nothing'}`,
      )
    }
  }
  return { root, signature: onlyChild(root, NS.dsig, 'Signature') }
}

/** The enveloped XML signature (POST binding) verified: what it covers, re-parsed, replaces the message. */
export function verifiedByXmlSignature(
  shape: LogoutShape,
  policy: SignaturePolicy,
  name: LogoutMessageName,
): XmlElement {
  if (!shape.signature) throw new SamlRejection('signature_missing', `the ${name} has no XML signature`)
  return parseSamlXml(verifySignature(shape.signature, shape.root, policy), 'signed part')
}

export interface LogoutExpectations {
  /** The configured IdP issuer. */
  issuer: string
  /** `{orgURL}/okta/slo`: a Destination, when given, must be it. */
  sloUrl: string
  clockSkewSeconds: number
  now: number
}

/** Issuer, Destination and the IssueInstant window; answers the IssueInstant. */
function checkEnvelope(root: XmlElement, expect: LogoutExpectations, name: LogoutMessageName): number {
  const issuer = issuerOf(root)
  if (issuer !== expect.issuer) {
    throw new SamlRejection(
      'issuer_mismatch',
      `${name} issuer "${(issuer ?? 'missing').slice(0, 200)}" is not the configured issuer`,
    )
  }
  const destination = attribute(root, 'Destination')
  if (destination !== null && destination !== expect.sloUrl) {
    throw new SamlRejection(
      'destination_mismatch',
      `${name} Destination "${destination.slice(0, 200)}" is not ${expect.sloUrl}`,
    )
  }
  const skewMs = expect.clockSkewSeconds * 1000
  const issued = parseInstant(attribute(root, 'IssueInstant'), `${name} IssueInstant`)
  if (issued === null) throw new SamlRejection('time_invalid', `${name} has no IssueInstant`)
  if (issued > expect.now + skewMs)
    throw new SamlRejection('not_yet_valid', `${name} IssueInstant is in the future`)
  if (issued + LOGOUT_MESSAGE_MAX_AGE_MS + skewMs <= expect.now) {
    throw new SamlRejection(
      'expired',
      `${name} was issued more than ${LOGOUT_MESSAGE_MAX_AGE_MS / 60_000} minutes ago`,
    )
  }
  return issued
}

export interface VerifiedLogoutRequest {
  id: string
  nameId: string
  nameIdFormat: string | null
  /** The sessions it names; null: every session of the NameID. */
  sessionIndexes: string[] | null
  /** Keep the ID in the replay cache until then. */
  replayUntil: number
}

/** The content of a LogoutRequest whose signature was verified (`root` is the signed part). */
export function readLogoutRequest(root: XmlElement, expect: LogoutExpectations): VerifiedLogoutRequest {
  const id = attribute(root, 'ID') as string
  const issued = checkEnvelope(root, expect, 'LogoutRequest')
  const skewMs = expect.clockSkewSeconds * 1000
  const notOnOrAfter = parseInstant(attribute(root, 'NotOnOrAfter'), 'LogoutRequest NotOnOrAfter')
  if (notOnOrAfter !== null && notOnOrAfter + skewMs <= expect.now) {
    throw new SamlRejection('expired', 'the LogoutRequest is past its NotOnOrAfter')
  }
  const nameIdElement = onlyChild(root, NS.assertion, 'NameID')
  if (!nameIdElement) {
    const other = children(root).find(
      (child) => child.localName === 'EncryptedID' || child.localName === 'BaseID',
    )
    throw new SamlRejection(
      'name_id_missing',
      other
        ? `the LogoutRequest names the person by ${other.localName}, which is not supported`
        : 'the LogoutRequest has no NameID',
    )
  }
  const nameId = textOf(nameIdElement)
  if (!nameId || nameId.length > 1024)
    throw new SamlRejection('name_id_missing', 'the NameID is empty or too long')
  const indexes = children(root, NS.protocol, 'SessionIndex').map(textOf)
  if (indexes.length > SESSION_INDEX_MAX) {
    throw new SamlRejection(
      'xml_unexpected_structure',
      `the LogoutRequest names ${indexes.length} SessionIndexes (at most ${SESSION_INDEX_MAX})`,
    )
  }
  return {
    id,
    nameId,
    nameIdFormat: attribute(nameIdElement, 'Format'),
    sessionIndexes: indexes.length > 0 ? indexes : null,
    replayUntil: issued + LOGOUT_MESSAGE_MAX_AGE_MS + skewMs,
  }
}

export interface ReadLogoutResponse {
  id: string
  inResponseTo: string
  /** The top-level StatusCode (and the second-level one, when there is one). */
  status: string
  success: boolean
}

/** The content of a LogoutResponse (`root` is the signed part when it was signed). */
export function readLogoutResponse(root: XmlElement, expect: LogoutExpectations): ReadLogoutResponse {
  checkEnvelope(root, expect, 'LogoutResponse')
  const inResponseTo = attribute(root, 'InResponseTo')
  if (!inResponseTo)
    throw new SamlRejection('in_response_to_unknown', 'the LogoutResponse has no InResponseTo')
  const status = onlyChild(root, NS.protocol, 'Status')
  const code = status ? onlyChild(status, NS.protocol, 'StatusCode') : null
  const value = code ? attribute(code, 'Value') : null
  const inner = code ? onlyChild(code, NS.protocol, 'StatusCode') : null
  const innerValue = inner ? attribute(inner, 'Value') : null
  return {
    id: attribute(root, 'ID') as string,
    inResponseTo,
    status: [value ?? 'missing', innerValue].filter(Boolean).join(' / '),
    success: value === STATUS.success && innerValue !== STATUS.partialLogout,
  }
}
