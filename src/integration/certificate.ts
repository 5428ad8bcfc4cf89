/**
 * Reading the IdP's X.509 signing certificate as an admin pastes it from Okta: a PEM block, or just
 * its base64 body (as shown in IdP metadata). Gives the facts the settings page and API show.
 */
import { X509Certificate } from 'node:crypto'
import { invalid } from '../errors.ts'
import type { CertificateInfo } from './model.ts'

const PEM = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/

/** Normalizes pasted text to one PEM certificate, or throws a 400 naming `field`. */
export function normalizeCertificatePem(text: string, field: string): string {
  const trimmed = text.trim()
  if (!trimmed) throw invalid(field, `${field} is empty: paste the X.509 certificate from Okta`)
  const match = PEM.exec(trimmed)
  const body = (match ? (match[1] as string) : trimmed).replace(/\s+/g, '')
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) {
    throw invalid(field, `${field} is not a PEM certificate (expected -----BEGIN CERTIFICATE----- …)`)
  }
  const lines = body.match(/.{1,64}/g) ?? []
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`
}

export function parseCertificate(pem: string, field: string): X509Certificate {
  try {
    return new X509Certificate(pem)
  } catch {
    throw invalid(field, `${field} could not be parsed as an X.509 certificate`)
  }
}

export function describeCertificate(cert: X509Certificate, now = Date.now()): CertificateInfo {
  const notAfter = new Date(cert.validTo)
  return {
    subject: cert.subject.replace(/\n/g, ', '),
    issuer: cert.issuer.replace(/\n/g, ', '),
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: notAfter.toISOString(),
    fingerprintSha256: cert.fingerprint256,
    expiresInDays: Math.floor((notAfter.getTime() - now) / 86_400_000),
  }
}

/** Parses, rejects expired certificates, and returns the normalized PEM with its description. */
export function acceptCertificate(
  text: string,
  field: string,
  now = Date.now(),
): { pem: string; info: CertificateInfo } {
  const pem = normalizeCertificatePem(text, field)
  const cert = parseCertificate(pem, field)
  const info = describeCertificate(cert, now)
  if (Date.parse(info.notAfter) <= now) {
    throw invalid(field, `${field} expired on ${info.notAfter}: download the current certificate from Okta`)
  }
  return { pem, info }
}
