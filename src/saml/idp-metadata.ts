/**
 * Reading an identity provider's SAML 2.0 metadata (Okta's "Identity Provider metadata", Entra ID's
 * federation metadata): the one IdP entity it describes, its SingleSignOnService (HTTP-Redirect
 * preferred, as our AuthnRequest uses that binding, else HTTP-POST), its SingleLogoutService (same
 * preference) and its signing certificates. Framework-free; the integration service decides what
 * to do with the result.
 *
 * The text goes through the hardened parser (`parseSamlXml`: no DTD, depth and node bounds) after a
 * size check. A signature on the metadata is verified only against certificates the org already
 * trusts (`trustedCertificates`): a signature checked with a certificate taken from the same
 * document proves nothing, so metadata without a trusted certificate to check it with (the first
 * set-up) is only required to be well-formed, and its authenticity rests on the https fetch from
 * the URL the admin gave (or on the admin pasting it).
 */
import { X509Certificate } from 'node:crypto'
import { SamlRejection } from './rejection.ts'
import { verifySignature } from './steps/signature.ts'
import { attribute, children, descendants, is, NS, parseSamlXml, textOf, type XmlElement } from './xml.ts'

/** Largest metadata document accepted, fetched or pasted. */
export const MAX_METADATA_BYTES = 1024 * 1024
/** Signing certificates read from one IDPSSODescriptor, at most. */
const MAX_CERTIFICATES = 8

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata'
const SAML2_PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol'
const BINDINGS = {
  'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect': 'HTTP-Redirect',
  'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST': 'HTTP-POST',
} as const

export type SamlBinding = (typeof BINDINGS)[keyof typeof BINDINGS]

export interface Endpoint {
  url: string
  binding: SamlBinding
}

export interface IdpMetadata {
  entityId: string
  sso: Endpoint
  slo: Endpoint | null
  /** Signing certificates as PEM, in document order, distinct, none expired at `now`. */
  certificates: string[]
  /** True when the metadata carried a signature and it verified with a trusted certificate. */
  signatureVerified: boolean
}

/** Metadata we cannot use; `message` says why, for the admin. */
export class MetadataRefusal extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'MetadataRefusal'
  }
}

const toPem = (body: string) =>
  `-----BEGIN CERTIFICATE-----\n${(body.match(/.{1,64}/g) ?? []).join('\n')}\n-----END CERTIFICATE-----\n`

/** The endpoint of the preferred binding among `elements` (Redirect first, then POST), or null. */
function preferred(elements: XmlElement[]): Endpoint | null {
  for (const binding of ['HTTP-Redirect', 'HTTP-POST'] as const) {
    for (const element of elements) {
      const named = BINDINGS[(attribute(element, 'Binding') ?? '') as keyof typeof BINDINGS]
      const url = (attribute(element, 'Location') ?? '').trim()
      if (named === binding && url) return { url: url.slice(0, 2048), binding }
    }
  }
  return null
}

function signingCertificates(idp: XmlElement, now: number): string[] {
  const found: string[] = []
  const seen = new Set<string>()
  let expired = 0
  for (const descriptor of children(idp, MD, 'KeyDescriptor')) {
    const use = attribute(descriptor, 'use')
    if (use !== null && use !== 'signing') continue
    for (const keyInfo of children(descriptor, NS.dsig, 'KeyInfo')) {
      for (const data of children(keyInfo, NS.dsig, 'X509Data')) {
        for (const element of children(data, NS.dsig, 'X509Certificate')) {
          const body = textOf(element).replace(/\s+/g, '')
          if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || seen.has(body)) continue
          seen.add(body)
          let certificate: X509Certificate
          try {
            certificate = new X509Certificate(toPem(body))
          } catch {
            throw new MetadataRefusal('a signing X509Certificate in the metadata could not be parsed')
          }
          if (Date.parse(certificate.validTo) <= now) expired++
          else if (found.length < MAX_CERTIFICATES) found.push(toPem(body))
        }
      }
    }
  }
  if (found.length === 0) {
    throw new MetadataRefusal(
      expired > 0
        ? 'every signing certificate in the metadata has expired'
        : 'the metadata has no signing certificate (a KeyDescriptor use="signing" with an X509Certificate)',
    )
  }
  return found
}

/** The one EntityDescriptor with an IDPSSODescriptor, and that descriptor. */
function idpEntity(root: XmlElement): { entity: XmlElement; idp: XmlElement } {
  const entities = is(root, MD, 'EntityDescriptor')
    ? [root]
    : is(root, MD, 'EntitiesDescriptor')
      ? [...descendants(root)].filter((element) => is(element, MD, 'EntityDescriptor'))
      : null
  if (entities === null) {
    throw new MetadataRefusal(
      `the document is not SAML 2.0 metadata (its root is ${String(root.localName).slice(0, 60)}, not EntityDescriptor)`,
    )
  }
  const withIdp = entities
    .map((entity) => ({ entity, descriptors: children(entity, MD, 'IDPSSODescriptor') }))
    .filter((candidate) => candidate.descriptors.length > 0)
  if (withIdp.length !== 1) {
    throw new MetadataRefusal(
      withIdp.length === 0
        ? 'the metadata describes no identity provider (no IDPSSODescriptor)'
        : `the metadata describes ${withIdp.length} identity providers; give the metadata of exactly one`,
    )
  }
  const [{ entity, descriptors }] = withIdp as [{ entity: XmlElement; descriptors: XmlElement[] }]
  if (descriptors.length !== 1)
    throw new MetadataRefusal('the identity provider has more than one IDPSSODescriptor')
  return { entity, idp: descriptors[0] as XmlElement }
}

/** Verifies the signature over the IdP's entity (on it or on the document root) with trusted certificates. */
function checkSignature(root: XmlElement, entity: XmlElement, trusted: string[]): boolean {
  const signedElement = [entity, root].find((element) => children(element, NS.dsig, 'Signature').length > 0)
  if (!signedElement || trusted.length === 0) return false
  const signatures = children(signedElement, NS.dsig, 'Signature')
  if (signatures.length !== 1) throw new MetadataRefusal('the metadata carries more than one signature')
  try {
    verifySignature(signatures[0] as XmlElement, signedElement, { certificates: trusted, allowSha1: false })
  } catch (error) {
    const detail = error instanceof SamlRejection ? error.detail : String(error)
    throw new MetadataRefusal(
      `the metadata is signed, but not by the IdP certificate this integration trusts (${detail.slice(0, 200)})`,
    )
  }
  return true
}

/**
 * Reads metadata text. Throws `MetadataRefusal` for anything unusable: too large, not XML, not one
 * IdP, no SingleSignOnService with a supported binding, no unexpired signing certificate, past its
 * `validUntil`, or signed but not by a trusted certificate.
 */
export function parseIdpMetadata(
  text: string,
  options: { now: number; trustedCertificates: string[] },
): IdpMetadata {
  if (Buffer.byteLength(text, 'utf8') > MAX_METADATA_BYTES)
    throw new MetadataRefusal('the metadata is larger than 1 MB')
  let root: XmlElement
  try {
    root = parseSamlXml(text.replace(/^\uFEFF/, ''), 'metadata')
  } catch (error) {
    if (error instanceof SamlRejection) throw new MetadataRefusal(error.detail)
    throw error
  }
  const validUntil = attribute(root, 'validUntil')
  if (validUntil !== null && Date.parse(validUntil) <= options.now)
    throw new MetadataRefusal(`the metadata expired (validUntil ${validUntil.slice(0, 40)})`)
  const { entity, idp } = idpEntity(root)
  const entityId = (attribute(entity, 'entityID') ?? '').trim()
  if (!entityId || entityId.length > 1024)
    throw new MetadataRefusal('the EntityDescriptor has no entityID (or one over 1024 characters)')
  const protocols = (attribute(idp, 'protocolSupportEnumeration') ?? '').split(/\s+/)
  if (!protocols.includes(SAML2_PROTOCOL))
    throw new MetadataRefusal('the IDPSSODescriptor does not support the SAML 2.0 protocol')
  const sso = preferred(children(idp, MD, 'SingleSignOnService'))
  if (!sso) {
    throw new MetadataRefusal(
      'the identity provider has no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding',
    )
  }
  const certificates = signingCertificates(idp, options.now)
  const signatureVerified = checkSignature(root, entity, options.trustedCertificates)
  return {
    entityId,
    sso,
    slo: preferred(children(idp, MD, 'SingleLogoutService')),
    certificates,
    signatureVerified,
  }
}
