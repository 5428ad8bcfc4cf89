/**
 * The IdP certificates' expiry, off the request path: `checkCertificateExpiry` walks every
 * integration and announces, once per certificate, the 30-, 7- and 1-day thresholds before each
 * trusted certificate's notAfter (`integration.certificate_expiring` in the change feed); and
 * `okta_bridge_idp_certificate_expiry_seconds{org, certificate}` tells /metrics how long each one
 * has left (labelled by org slug, like the sync series). Both take `now`, so tests pick the moment.
 */
import { X509Certificate } from 'node:crypto'
import type { Registry } from '../observability/metrics.ts'
import type { Store } from '../store/index.ts'
import { announceExpiry, expiryThreshold } from './certificate-events.ts'

const PAGE = 500
/** Integrations read per scrape, at most. */
const SCRAPE_LIMIT = 1000

/** notAfter in ms of a PEM, remembered (the same few certificates are read again and again). */
const notAfterCache = new Map<string, number>()
function notAfterOf(pem: string): number | null {
  const known = notAfterCache.get(pem)
  if (known !== undefined) return known
  let at: number
  try {
    at = Date.parse(new X509Certificate(pem).validTo)
  } catch {
    return null
  }
  if (notAfterCache.size > 10_000) notAfterCache.clear()
  notAfterCache.set(pem, at)
  return at
}

/** Announces every threshold reached at `now`; returns how many events were written. */
export async function checkCertificateExpiry(
  store: Store,
  now = Date.now(),
  keepGoing: () => boolean = () => true,
): Promise<number> {
  let written = 0
  let after = ''
  while (keepGoing()) {
    const page = await store.idpMetadata.integrationCertificates(after, PAGE)
    for (const row of page) {
      const due = (
        [
          ['current', row.certificate],
          ['next', row.next_certificate],
        ] as const
      ).filter((entry): entry is ['current' | 'next', string] => {
        const notAfter = entry[1] ? notAfterOf(entry[1]) : null
        return notAfter !== null && expiryThreshold(notAfter, now) !== null
      })
      if (due.length === 0) continue
      written += await store.transaction(async (tx) => {
        let count = 0
        for (const [which, pem] of due) if (await announceExpiry(tx, row.org_id, pem, which, now)) count++
        return count
      })
    }
    if (page.length < PAGE) break
    after = (page.at(-1) as { org_id: string }).org_id
  }
  return written
}

export function registerCertificateMetrics(registry: Registry, store: Store, now: () => number = Date.now) {
  const expiry = registry.gauge(
    'okta_bridge_idp_certificate_expiry_seconds',
    'Seconds until the IdP signing certificate expires (negative: expired), by org and certificate (current, next)',
  )
  registry.onCollect(async () => {
    const rows = await store.idpMetadata.integrationCertificates('', SCRAPE_LIMIT)
    const at = now()
    expiry.reset()
    for (const row of rows) {
      for (const [which, pem] of [
        ['current', row.certificate],
        ['next', row.next_certificate],
      ] as const) {
        const notAfter = pem ? notAfterOf(pem) : null
        if (notAfter !== null)
          expiry.set({ org: row.slug, certificate: which }, Math.round((notAfter - at) / 1000))
      }
    }
  })
}
