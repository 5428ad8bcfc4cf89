/**
 * Okta-shaped single logout messages for tests, signed by implementations other than ours: the
 * XML signature (HTTP-POST binding) by Debian's `xmlsec1` (`signFirstTemplate`), the query
 * signature (HTTP-Redirect binding) by the `openssl dgst` command over the exact query bytes. And
 * the reading side of what we send: a Redirect URL split into its raw parts, its message inflated,
 * its Signature verified with node:crypto against a certificate.
 */
import { createVerify } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deflateRawSync, inflateRawSync } from 'node:zlib'
import type { KeyPair } from './certs.ts'
import { newSamlId, OKTA_ISSUER, signatureTemplate, signFirstTemplate } from './saml.ts'

export const OKTA_SLO_URL = 'https://acme.okta.com/app/acme_okta_bridge/exk1/slo/saml'
export const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256'
export const RSA_SHA1 = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1'
const EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'
const dir = mkdtempSync(join(tmpdir(), 'okb-slo-'))
let fileCounter = 0

const iso = (ms: number) => new Date(ms).toISOString()
const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

export interface LogoutRequestOptions {
  orgUrl: string
  nameId: string
  sessionIndexes?: string[]
  id?: string
  issuer?: string
  /** Seconds from now (default 0). */
  issueInstant?: number
  destination?: string | null
}

/** `<!--SIGNATURE-->` marks where an XML signature goes (after the Issuer, as Okta puts it). */
export function oktaLogoutRequest(options: LogoutRequestOptions): string {
  const destination =
    options.destination === null
      ? ''
      : ` Destination="${escapeXml(options.destination ?? `${options.orgUrl}/okta/slo`)}"`
  const indexes = (options.sessionIndexes ?? [])
    .map((index) => `<saml2p:SessionIndex>${escapeXml(index)}</saml2p:SessionIndex>`)
    .join('')
  return `<?xml version="1.0" encoding="UTF-8"?><saml2p:LogoutRequest xmlns:saml2p="urn:oasis:names:tc:SAML:2.0:protocol"${destination} ID="${options.id ?? newSamlId()}" IssueInstant="${iso(Date.now() + (options.issueInstant ?? 0) * 1000)}" Version="2.0"><saml2:Issuer xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion">${escapeXml(options.issuer ?? OKTA_ISSUER)}</saml2:Issuer><!--SIGNATURE--><saml2:NameID xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" Format="${EMAIL}">${escapeXml(options.nameId)}</saml2:NameID>${indexes}</saml2p:LogoutRequest>`
}

export interface LogoutResponseOptions {
  orgUrl: string
  inResponseTo: string
  status?: string
  issuer?: string
}

export function oktaLogoutResponse(options: LogoutResponseOptions): string {
  return `<?xml version="1.0" encoding="UTF-8"?><saml2p:LogoutResponse xmlns:saml2p="urn:oasis:names:tc:SAML:2.0:protocol" Destination="${escapeXml(`${options.orgUrl}/okta/slo`)}" ID="${newSamlId()}" InResponseTo="${escapeXml(options.inResponseTo)}" IssueInstant="${iso(Date.now())}" Version="2.0"><saml2:Issuer xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion">${escapeXml(options.issuer ?? OKTA_ISSUER)}</saml2:Issuer><!--SIGNATURE--><saml2p:Status><saml2p:StatusCode Value="${options.status ?? 'urn:oasis:names:tc:SAML:2.0:status:Success'}"/></saml2p:Status></saml2p:LogoutResponse>`
}

/** The message with an enveloped XML signature by xmlsec1 (or without one: the marker removed). */
export function signedXml(xml: string, key: KeyPair | null): string {
  if (!key) return xml.replace('<!--SIGNATURE-->', '')
  const id = /<saml2p:Logout(?:Request|Response) [^>]*?ID="([^"]+)"/.exec(xml)?.[1] as string
  return signFirstTemplate(xml.replace('<!--SIGNATURE-->', signatureTemplate(id, 'sha256')), key)
}

/** RSA signature of `data` by the openssl command, base64. */
function opensslSign(data: string, key: KeyPair, digest: 'sha256' | 'sha1'): string {
  const input = join(dir, `${++fileCounter}-data.txt`)
  const output = join(dir, `${fileCounter}-sig.bin`)
  writeFileSync(input, data)
  const result = Bun.spawnSync(
    ['openssl', 'dgst', `-${digest}`, '-sign', key.keyPath, '-out', output, input],
    {
      stderr: 'pipe',
    },
  )
  if (result.exitCode !== 0) throw new Error(`openssl dgst failed: ${result.stderr.toString()}`)
  return readFileSync(output).toString('base64')
}

export interface QueryOptions {
  relayState?: string
  /** Signing key; null: unsigned. */
  key: KeyPair | null
  digest?: 'sha256' | 'sha1'
}

/** The HTTP-Redirect binding query for `xml` (deflated, base64, URL-encoded), signed by openssl. */
export function redirectQuery(
  param: 'SAMLRequest' | 'SAMLResponse',
  xml: string,
  options: QueryOptions,
): string {
  const encoded = deflateRawSync(Buffer.from(xml.replace('<!--SIGNATURE-->', ''), 'utf8')).toString('base64')
  let query = `${param}=${encodeURIComponent(encoded)}`
  if (options.relayState !== undefined) query += `&RelayState=${encodeURIComponent(options.relayState)}`
  if (!options.key) return query
  const digest = options.digest ?? 'sha256'
  query += `&SigAlg=${encodeURIComponent(digest === 'sha1' ? RSA_SHA1 : RSA_SHA256)}`
  return `${query}&Signature=${encodeURIComponent(opensslSign(query, options.key, digest))}`
}

/** A Redirect-binding URL we sent, read back: raw parts, the inflated message, what the signature covers. */
export function readRedirect(location: string) {
  const url = new URL(location)
  const raw = url.search.slice(1)
  const parts = new Map(raw.split('&').map((pair) => pair.split('=') as [string, string]))
  const param = parts.has('SAMLRequest') ? 'SAMLRequest' : 'SAMLResponse'
  const xml = inflateRawSync(Buffer.from(decodeURIComponent(parts.get(param) as string), 'base64')).toString(
    'utf8',
  )
  const signatureAt = raw.indexOf('&Signature=')
  return {
    endpoint: `${url.origin}${url.pathname}`,
    param,
    xml,
    relayState: parts.has('RelayState') ? decodeURIComponent(parts.get('RelayState') as string) : null,
    sigAlg: parts.has('SigAlg') ? decodeURIComponent(parts.get('SigAlg') as string) : null,
    signedBytes: signatureAt < 0 ? null : raw.slice(0, signatureAt),
    signature: parts.has('Signature') ? decodeURIComponent(parts.get('Signature') as string) : null,
  }
}

/**
 * Whether the Redirect URL's Signature verifies, with node:crypto, for this certificate, over the
 * query bytes before `&Signature=` exactly as they are in the URL.
 */
export function redirectSignatureVerifies(location: string, certificate: string): boolean {
  const raw = new URL(location).search.slice(1)
  const at = raw.indexOf('&Signature=')
  if (at < 0 || !raw.includes(`&SigAlg=${encodeURIComponent(RSA_SHA256)}`)) return false
  const signature = decodeURIComponent(raw.slice(at + '&Signature='.length))
  return createVerify('RSA-SHA256').update(raw.slice(0, at)).verify(certificate, signature, 'base64')
}

/** The value of an attribute or element text in XML we sent (tests read our own simple output). */
export function xmlValue(xml: string, pattern: RegExp): string | null {
  return pattern.exec(xml)?.[1] ?? null
}
