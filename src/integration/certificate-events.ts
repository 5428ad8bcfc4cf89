/**
 * The integration's entries in the org's change feed (`events`, so webhooks carry them too):
 * `integration.certificate_rotated` when the IdP certificate that signs sign-ins changes (by a
 * metadata refresh, a PUT, or the retire call), and `integration.certificate_expiring` 30, 7 and 1
 * days before a trusted certificate's notAfter, each threshold once per certificate. Written in the
 * transaction of the change they describe; appended last in it, as the feed's numbering wants.
 */
import { X509Certificate } from 'node:crypto'
import type { Repositories } from '../store/index.ts'
import type { EventType } from '../sync/context.ts'

const DAY_MS = 86_400_000
/** Days before notAfter at which an expiring certificate is announced. */
export const EXPIRY_THRESHOLDS_DAYS = [30, 7, 1] as const

/** Who changed the certificate. */
export type RotationVia = 'metadata' | 'admin'

const ROTATED: EventType = 'integration.certificate_rotated'
const EXPIRING: EventType = 'integration.certificate_expiring'

const facts = (pem: string) => {
  const certificate = new X509Certificate(pem)
  return { fingerprint: certificate.fingerprint256, notAfter: new Date(certificate.validTo).toISOString() }
}

/** Appends `integration.certificate_rotated` when `current` differs from `previous` (none on first set-up). */
export async function recordRotation(
  tx: Repositories,
  orgId: string,
  previous: string | null,
  current: string,
  via: RotationVia,
  at: number,
): Promise<boolean> {
  if (previous === null) return false
  const before = facts(previous)
  const after = facts(current)
  if (before.fingerprint === after.fingerprint) return false
  await tx.events.append(
    orgId,
    {
      type: ROTATED,
      data: {
        fingerprint: after.fingerprint,
        notAfter: after.notAfter,
        previousFingerprint: before.fingerprint,
        via,
      },
    },
    at,
  )
  return true
}

/**
 * The threshold a certificate has reached at `now` (the smallest one passed), with every larger one
 * it passed on the way; null while it is further than 30 days away, or once it has expired.
 */
export function expiryThreshold(
  notAfterMs: number,
  now: number,
): { announce: number; passed: number[] } | null {
  const left = notAfterMs - now
  if (left <= 0) return null
  const passed = EXPIRY_THRESHOLDS_DAYS.filter((days) => left <= days * DAY_MS)
  const announce = passed.at(-1)
  return announce === undefined ? null : { announce, passed: [...passed] }
}

/**
 * Announces the threshold `pem` has reached, once: the notices of thresholds passed together are
 * kept (so 5 days before notAfter gives one 7-day event, not a 30-day one too). True when an event
 * was written.
 */
export async function announceExpiry(
  tx: Repositories,
  orgId: string,
  pem: string,
  which: 'current' | 'next',
  now: number,
): Promise<boolean> {
  const { fingerprint, notAfter } = facts(pem)
  const reached = expiryThreshold(Date.parse(notAfter), now)
  if (!reached) return false
  let fresh = false
  for (const days of reached.passed) {
    const noted = await tx.idpMetadata.noteExpiry(orgId, fingerprint, days, now)
    if (days === reached.announce) fresh = noted
  }
  if (!fresh) return false
  await tx.events.append(
    orgId,
    {
      type: EXPIRING,
      data: {
        fingerprint,
        notAfter,
        certificate: which,
        daysBefore: reached.announce,
        expiresInDays: Math.floor((Date.parse(notAfter) - now) / DAY_MS),
      },
    },
    now,
  )
  return true
}
