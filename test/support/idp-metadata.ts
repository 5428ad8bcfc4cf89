/**
 * IdP metadata for tests: `idpMetadataXml` writes an EntityDescriptor shaped like Okta's "Identity
 * Provider metadata" (signing KeyDescriptors, SSO and SLO services in both bindings) around real
 * certificates; `signMetadata` signs it like Entra ID signs its federation metadata, with Debian's
 * `xmlsec1`; `metadataServer` is a plain-http IdP on 127.0.0.1 whose answer each test sets (the app
 * under test runs with ALLOW_PRIVATE_OUTBOUND so that it may fetch from it).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { KeyPair } from './certs.ts'
import { OKTA_ISSUER, OKTA_SSO_URL } from './saml.ts'

const dir = mkdtempSync(join(tmpdir(), 'okb-metadata-'))
let counter = 0

/** The base64 body of the PEM block (openssl ca writes a text dump before it). */
const body = (pem: string) =>
  (/-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem)?.[1] ?? pem).replace(/\s+/g, '')

export interface MetadataOptions {
  certificates: string[]
  entityId?: string
  ssoUrl?: string
  /** Bindings of the SingleSignOnService elements, in order (default: POST then Redirect, as Okta). */
  ssoBindings?: Array<'HTTP-POST' | 'HTTP-Redirect'>
  sloUrl?: string | null
  /** A `use` attribute on every KeyDescriptor (default "signing"; null: none). */
  use?: string | null
  id?: string
}

export function idpMetadataXml(options: MetadataOptions): string {
  const use = options.use === undefined ? 'signing' : options.use
  const keys = options.certificates
    .map(
      (pem) =>
        `<md:KeyDescriptor${use === null ? '' : ` use="${use}"`}><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${body(pem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`,
    )
    .join('')
  const sso = (options.ssoBindings ?? ['HTTP-POST', 'HTTP-Redirect'])
    .map(
      (binding) =>
        `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:${binding}" Location="${options.ssoUrl ?? OKTA_SSO_URL}${binding === 'HTTP-POST' ? '?binding=post' : ''}"/>`,
    )
    .join('')
  const sloUrl = options.sloUrl === undefined ? 'https://acme.okta.com/app/exk1/slo/saml' : options.sloUrl
  const slo = sloUrl
    ? `<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${sloUrl}?binding=post"/><md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${sloUrl}"/>`
    : ''
  return `<?xml version="1.0" encoding="UTF-8"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" ID="${options.id ?? `_m${++counter}`}" entityID="${options.entityId ?? OKTA_ISSUER}"><md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">${keys}<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>${slo}${sso}</md:IDPSSODescriptor></md:EntityDescriptor>`
}

/** Signs the EntityDescriptor (enveloped, exclusive C14N, RSA-SHA256) with xmlsec1. */
export function signMetadata(xml: string, key: KeyPair): string {
  const id = /<md:EntityDescriptor [^>]*?ID="([^"]+)"/.exec(xml)?.[1] as string
  const template = `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#${id}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue></ds:SignatureValue><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>`
  const unsigned = xml.replace(/(<md:EntityDescriptor [^>]*>)/, `$1${template}`)
  const input = join(dir, `${++counter}-unsigned.xml`)
  const output = join(dir, `${counter}-signed.xml`)
  writeFileSync(input, unsigned)
  const result = Bun.spawnSync(
    [
      'xmlsec1',
      '--sign',
      '--privkey-pem',
      `${key.keyPath},${key.certPath}`,
      '--id-attr:ID',
      'urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor',
      '--output',
      output,
      input,
    ],
    { stdout: 'pipe', stderr: 'pipe' },
  )
  if (result.exitCode !== 0) throw new Error(`xmlsec1 --sign failed: ${result.stderr.toString()}`)
  return readFileSync(output, 'utf8')
}

export interface MetadataServer {
  /** `http://127.0.0.1:<port>` + path. */
  url(path?: string): string
  /** What the server answers from now on. */
  answer(handler: (request: Request) => Response | Promise<Response>): void
  /** Serves this XML with 200. */
  serve(xml: string): void
  /** Requests received so far. */
  readonly requests: number
  stop(): void
}

export function metadataServer(): MetadataServer {
  let handler: (request: Request) => Response | Promise<Response> = () =>
    new Response('not set', { status: 404 })
  let requests = 0
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch: (request) => {
      requests++
      return handler(request)
    },
  })
  return {
    url: (path = '/app/exk1/sso/saml/metadata') => `http://127.0.0.1:${server.port}${path}`,
    answer(next) {
      handler = next
    },
    serve(xml) {
      handler = () => new Response(xml, { headers: { 'content-type': 'application/samlmetadata+xml' } })
    },
    get requests() {
      return requests
    },
    stop: () => server.stop(true),
  }
}
