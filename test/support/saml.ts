/**
 * Okta-shaped SAML responses for tests, signed and encrypted by an independent implementation:
 * Debian's `xmlsec1` (installed by `.ci/run`). `oktaResponse` writes the XML Okta sends (same
 * elements, order, formats and attributes); `signResponse` adds enveloped signatures to the
 * assertion, the response or both; `encryptAssertion` wraps the assertion as Okta does when the
 * app has an encryption certificate. `postAcs` posts the form to the real app.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestApp } from './app.ts'
import type { KeyPair } from './certs.ts'

const dir = mkdtempSync(join(tmpdir(), 'okb-saml-'))
let fileCounter = 0

export const OKTA_ISSUER = 'http://www.okta.com/exk1'
export const OKTA_SSO_URL = 'https://acme.okta.com/app/acme_okta_bridge/exk1/sso/saml'

export interface ResponseOptions {
  /** The org URL: Audience, and the base of the ACS URL (Recipient/Destination). */
  orgUrl: string
  email: string
  issuer?: string
  responseIssuer?: string | null
  audience?: string
  recipient?: string
  destination?: string | null
  inResponseTo?: string
  responseId?: string
  assertionId?: string
  /** Offsets in seconds from `now` (default: valid from 5 s ago for 5 minutes, as Okta does). */
  notBefore?: number
  notOnOrAfter?: number
  /** Offset in seconds of the Assertion's IssueInstant from `now` (default 0). */
  issueInstant?: number
  now?: number
  status?: string
  nameIdFormat?: string
  attributes?: Record<string, string>
}

const iso = (ms: number) => new Date(ms).toISOString()
const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

export function newSamlId(): string {
  return `id${crypto.randomUUID().replace(/-/g, '')}`
}

/** `<!--RESPONSE_SIGNATURE-->` and `<!--ASSERTION_SIGNATURE-->` mark where signatures go. */
export function oktaResponse(options: ResponseOptions): string {
  const now = options.now ?? Date.now()
  const issuer = options.issuer ?? OKTA_ISSUER
  const acs = `${options.orgUrl}/okta/auth`
  const responseId = options.responseId ?? newSamlId()
  const assertionId = options.assertionId ?? newSamlId()
  const notBefore = iso(now + (options.notBefore ?? -5) * 1000)
  const notOnOrAfter = iso(now + (options.notOnOrAfter ?? 300) * 1000)
  const assertionIssued = iso(now + (options.issueInstant ?? 0) * 1000)
  const inResponseTo = options.inResponseTo ? ` InResponseTo="${escapeXml(options.inResponseTo)}"` : ''
  const destination =
    options.destination === null ? '' : ` Destination="${escapeXml(options.destination ?? acs)}"`
  const responseIssuer = options.responseIssuer === null ? '' : (options.responseIssuer ?? issuer)
  const attributes = options.attributes ?? { email: options.email, firstName: 'Ada', lastName: 'Lovelace' }
  const attributeXml = Object.entries(attributes)
    .map(
      ([name, value]) =>
        `<saml2:Attribute Name="${escapeXml(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified"><saml2:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">${escapeXml(value)}</saml2:AttributeValue></saml2:Attribute>`,
    )
    .join('')
  return `<?xml version="1.0" encoding="UTF-8"?><saml2p:Response xmlns:saml2p="urn:oasis:names:tc:SAML:2.0:protocol"${destination} ID="${responseId}"${inResponseTo} IssueInstant="${iso(now)}" Version="2.0">${
    responseIssuer
      ? `<saml2:Issuer xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">${escapeXml(responseIssuer)}</saml2:Issuer>`
      : ''
  }<!--RESPONSE_SIGNATURE--><saml2p:Status><saml2p:StatusCode Value="${options.status ?? 'urn:oasis:names:tc:SAML:2.0:status:Success'}"/></saml2p:Status><saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" ID="${assertionId}" IssueInstant="${assertionIssued}" Version="2.0"><saml2:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">${escapeXml(issuer)}</saml2:Issuer><!--ASSERTION_SIGNATURE--><saml2:Subject><saml2:NameID Format="${options.nameIdFormat ?? 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'}">${escapeXml(options.email)}</saml2:NameID><saml2:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml2:SubjectConfirmationData${inResponseTo} NotOnOrAfter="${notOnOrAfter}" Recipient="${escapeXml(options.recipient ?? acs)}"/></saml2:SubjectConfirmation></saml2:Subject><saml2:Conditions NotBefore="${notBefore}" NotOnOrAfter="${notOnOrAfter}"><saml2:AudienceRestriction><saml2:Audience>${escapeXml(options.audience ?? options.orgUrl)}</saml2:Audience></saml2:AudienceRestriction></saml2:Conditions><saml2:AuthnStatement AuthnInstant="${iso(now - 1000)}" SessionIndex="${responseId}"><saml2:AuthnContext><saml2:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml2:AuthnContextClassRef></saml2:AuthnContext></saml2:AuthnStatement><saml2:AttributeStatement>${attributeXml}</saml2:AttributeStatement></saml2:Assertion></saml2p:Response>`
}

export type Digest = 'sha256' | 'sha384' | 'sha1'

const SIGNATURE_METHODS: Record<Digest, string> = {
  sha1: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
  sha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  sha384: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384',
}
const DIGEST_METHODS: Record<Digest, string> = {
  sha1: 'http://www.w3.org/2000/09/xmldsig#sha1',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  sha384: 'http://www.w3.org/2001/04/xmldsig-more#sha384',
}

export function signatureTemplate(id: string, digest: Digest): string {
  const signatureMethod = SIGNATURE_METHODS[digest]
  const digestMethod = DIGEST_METHODS[digest]
  return `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="${signatureMethod}"/><ds:Reference URI="#${id}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"><ec:InclusiveNamespaces xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="xs"/></ds:Transform></ds:Transforms><ds:DigestMethod Algorithm="${digestMethod}"/><ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue></ds:SignatureValue><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>`
}

function tempFile(name: string, content?: string): string {
  const path = join(dir, `${++fileCounter}-${name}`)
  if (content !== undefined) writeFileSync(path, content)
  return path
}

function xmlsec(args: string[]): void {
  const result = Bun.spawnSync(['xmlsec1', ...args], { stdout: 'pipe', stderr: 'pipe' })
  if (result.exitCode !== 0) throw new Error(`xmlsec1 ${args[0]} failed: ${result.stderr.toString()}`)
}

/** Signs the first unsigned signature template in `xml` with xmlsec1 (IDs of Response, Assertion, logout messages). */
export function signFirstTemplate(xml: string, key: KeyPair): string {
  const input = tempFile('unsigned.xml', xml)
  const output = tempFile('signed.xml')
  xmlsec([
    '--sign',
    '--privkey-pem',
    `${key.keyPath},${key.certPath}`,
    '--id-attr:ID',
    'urn:oasis:names:tc:SAML:2.0:assertion:Assertion',
    '--id-attr:ID',
    'urn:oasis:names:tc:SAML:2.0:protocol:Response',
    '--id-attr:ID',
    'urn:oasis:names:tc:SAML:2.0:protocol:LogoutRequest',
    '--id-attr:ID',
    'urn:oasis:names:tc:SAML:2.0:protocol:LogoutResponse',
    '--output',
    output,
    input,
  ])
  return readFileSync(output, 'utf8')
}

const idOf = (xml: string, element: 'Response' | 'Assertion') =>
  new RegExp(`<saml2p?:${element} [^>]*?ID="([^"]+)"`).exec(xml)?.[1] as string

/**
 * Signs like Okta: the assertion, the response, or both (assertion first, then the response over
 * it). With `encryptFor`, the (signed) assertion is encrypted before the response is signed, which
 * is Okta's order.
 */
export function signResponse(
  xml: string,
  key: KeyPair,
  what: 'assertion' | 'response' | 'both' = 'assertion',
  digest: Digest = 'sha256',
  encryptFor?: EncryptFor,
): string {
  let out = xml
  if (what === 'assertion' || what === 'both') {
    out = out.replace('<!--ASSERTION_SIGNATURE-->', signatureTemplate(idOf(out, 'Assertion'), digest))
    out = signFirstTemplate(out, key)
  }
  if (encryptFor) out = encryptAssertion(out, encryptFor)
  if (what === 'response' || what === 'both') {
    out = out.replace('<!--ASSERTION_SIGNATURE-->', '')
    out = out.replace('<!--RESPONSE_SIGNATURE-->', signatureTemplate(idOf(out, 'Response'), digest))
    out = signFirstTemplate(out, key)
  }
  return out.replace('<!--ASSERTION_SIGNATURE-->', '').replace('<!--RESPONSE_SIGNATURE-->', '')
}

/**
 * How the assertion is encrypted. Okta offers AES-CBC/GCM with RSA-OAEP; 3DES and RSA 1.5 exist
 * only so that the attack suite can show they are refused.
 */
export interface EncryptFor {
  certificate: string
  content?: 'aes256-cbc' | 'aes256-gcm' | 'tripledes-cbc'
  keyTransport?: 'rsa-oaep-mgf1p' | 'rsa-1_5'
}

const CONTENT_ALGORITHMS = {
  'aes256-cbc': { uri: 'http://www.w3.org/2001/04/xmlenc#aes256-cbc', sessionKey: 'aes-256' },
  'aes256-gcm': { uri: 'http://www.w3.org/2009/xmlenc11#aes256-gcm', sessionKey: 'aes-256' },
  'tripledes-cbc': { uri: 'http://www.w3.org/2001/04/xmlenc#tripledes-cbc', sessionKey: 'des-192' },
} as const

/** Replaces the (signed) assertion with an EncryptedAssertion for the SP certificate, made by xmlsec1. */
function encryptAssertion(xml: string, options: EncryptFor): string {
  const content = CONTENT_ALGORITHMS[options.content ?? 'aes256-cbc']
  // Okta names the OAEP digest explicitly (SHA-1, the default); RSA 1.5 has none.
  const keyMethod =
    options.keyTransport === 'rsa-1_5'
      ? '<xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-1_5"/>'
      : '<xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"><ds:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/></xenc:EncryptionMethod>'
  const template = `<xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Type="http://www.w3.org/2001/04/xmlenc#Element"><xenc:EncryptionMethod Algorithm="${content.uri}"/><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><xenc:EncryptedKey>${keyMethod}<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo><xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedData>`
  const wrapped = xml.replace(
    /(<saml2:Assertion[\s\S]*<\/saml2:Assertion>)/,
    '<saml2:EncryptedAssertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion">$1</saml2:EncryptedAssertion>',
  )
  const data = tempFile('data.xml', wrapped)
  const templatePath = tempFile('template.xml', template)
  const certPath = tempFile('sp.crt', options.certificate)
  const output = tempFile('encrypted.xml')
  xmlsec([
    '--encrypt',
    '--pubkey-cert-pem',
    certPath,
    '--session-key',
    content.sessionKey,
    '--xml-data',
    data,
    '--node-xpath',
    "/*/*[local-name()='EncryptedAssertion']/*[local-name()='Assertion']",
    '--output',
    output,
    templatePath,
  ])
  return readFileSync(output, 'utf8')
}

export const toBase64 = (xml: string) => Buffer.from(xml, 'utf8').toString('base64')

export interface PostOptions {
  relayState?: string
  cookie?: string
  /** Client address (the test app trusts X-Forwarded-For); one per test keeps rate limits apart. */
  client?: string
  /** A raw form body instead of SAMLResponse=<base64 of xml>. */
  rawBody?: string
  contentType?: string
}

/** POSTs the HTTP-POST binding form to `{orgURL}/okta/auth` of the in-process app. */
export function postAcs(
  app: TestApp,
  orgUrl: string,
  xml: string,
  options: PostOptions = {},
): Promise<Response> {
  const form = new URLSearchParams({ SAMLResponse: toBase64(xml) })
  if (options.relayState !== undefined) form.set('RelayState', options.relayState)
  const headers: Record<string, string> = {
    'content-type': options.contentType ?? 'application/x-www-form-urlencoded',
    accept: 'text/html',
    'x-forwarded-for':
      options.client ??
      `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`,
  }
  if (options.cookie) headers.cookie = options.cookie
  return app.request(`${orgUrl}/okta/auth`, {
    method: 'POST',
    body: options.rawBody ?? form.toString(),
    headers,
  })
}
