/**
 * Which IdP certificates an integration trusts after its metadata is read again: the rules of an
 * automatic rollover, as plain logic. A certificate that appears in the metadata becomes the next
 * certificate (responses signed with the current or the next one are accepted); one that
 * disappears is retired; when the current one disappears and the next is present, the next becomes
 * current. Certificates compare by their DER bytes (the PEM's base64 body), whatever the line breaks.
 */

export interface CertificatePair {
  current: string
  next: string | null
}

const body = (pem: string) => pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '')

/** True when the two PEM texts hold the same certificate. */
export const sameCertificate = (a: string | null | undefined, b: string | null | undefined): boolean =>
  a != null && b != null && body(a) === body(b)

/**
 * The pair to keep given what the integration has (`existing`, null on first set-up) and the
 * signing certificates the metadata lists (`offered`, in its order, at least one).
 */
export function planCertificates(existing: CertificatePair | null, offered: string[]): CertificatePair {
  const listed = (pem: string | null | undefined) =>
    offered.find((candidate) => sameCertificate(candidate, pem))
  const first = offered[0] as string
  const current = (existing && listed(existing.current)) ?? (existing && listed(existing.next)) ?? first
  const others = offered.filter((candidate) => !sameCertificate(candidate, current))
  const keptNext = existing ? listed(existing.next) : undefined
  const next = keptNext && !sameCertificate(keptNext, current) ? keptNext : (others[0] ?? null)
  return { current, next }
}
