/**
 * The refresh loop: every org whose integration was set up from a metadata URL has it fetched again
 * every METADATA_REFRESH_INTERVAL (±10 %; sooner after a failure), and every integration's IdP
 * certificates are checked for expiry. Like webhook delivery and housekeeping it runs on the main
 * thread off the request path, started and stopped by the composition root (`src/main.ts`).
 *
 * One org at a time, under the store lease `metadata:<org id>`, so that several instances on one
 * database do not all fetch the same URL: the row is read again under the lease and skipped when
 * another instance refreshed it meanwhile. A failing org never stops the others.
 */
import { hostname } from 'node:os'
import type { Config } from '../config/index.ts'
import type { Logger } from '../observability/log.ts'
import type { Metrics } from '../observability/metrics.ts'
import { newId } from '../store/ids.ts'
import type { Store } from '../store/index.ts'
import { checkCertificateExpiry, registerCertificateMetrics } from './certificate-expiry.ts'
import {
  METADATA_LEASE_MS,
  type MetadataDeps,
  metadataDepsOf,
  metadataLeaseName,
  refreshMetadata,
} from './metadata.ts'

/** Orgs looked at per pass, at most; the rest are due on the next pass. */
const DUE_PAGE = 100
/** How often the certificates' expiry is checked. */
const EXPIRY_CHECK_EVERY_MS = 15 * 60_000

export interface MetadataRefreshDeps {
  store: Store
  log: Logger
  metrics: Metrics
  config: Pick<Config, 'allowPrivateOutbound' | 'metadataRefreshIntervalSeconds'>
  /** Lease holder name; unique per process by default. */
  holder?: string
  /** Overrides for tests (the fetch timeout, the jitter). */
  metadata?: Partial<MetadataDeps>
  timing?: { firstRunMs: number; pollMs: number }
}

export interface PassResult {
  refreshed: number
  failed: number
  expiringAnnounced: number
}

export interface MetadataRefreshLoop {
  /** One pass at `now`: due refreshes, then the expiry check when due (always with `checkExpiry`). */
  runOnce(now?: number, options?: { checkExpiry?: boolean }): Promise<PassResult>
  /** Stops the timer and waits for a pass in progress (it ends after its current org). */
  stop(): Promise<void>
}

export function createMetadataRefresh(deps: MetadataRefreshDeps): MetadataRefreshLoop & { start(): void } {
  const { store, log } = deps
  const holder = deps.holder ?? `${hostname()}:${process.pid}:${newId().slice(-8)}`
  const metadata: MetadataDeps = { ...metadataDepsOf(deps.config, deps.metrics), ...deps.metadata }
  let stopped = false
  // Passes run one after another, never two at once (a manual runOnce waits for the timer's).
  let chain: Promise<unknown> = Promise.resolve()
  let timer: ReturnType<typeof setTimeout> | null = null
  let lastExpiryCheck = Number.NEGATIVE_INFINITY

  /** Refreshes one org if it is still due under its lease; null when it was not ours to do. */
  const refreshOne = async (orgId: string, now: number): Promise<boolean | null> => {
    const lease = metadataLeaseName(orgId)
    if (!(await store.leases.tryAcquire(lease, holder, now, METADATA_LEASE_MS))) return null
    try {
      const row = await store.idpMetadata.get(orgId)
      if (!row?.url || row.next_refresh_at === null || row.next_refresh_at > now) return null
      const outcome = await refreshMetadata(store, orgId, metadata, now)
      if (outcome.ok === false) log.warn('IdP metadata refresh failed', { orgId, error: outcome.error })
      else if (outcome.ok && outcome.changed.length > 0)
        log.info('IdP metadata changed', { orgId, changed: outcome.changed })
      return outcome.ok
    } finally {
      await store.leases.release(lease, holder).catch(() => false)
    }
  }

  const pass = async (now: number, checkExpiry: boolean): Promise<PassResult> => {
    const result: PassResult = { refreshed: 0, failed: 0, expiringAnnounced: 0 }
    for (const row of await store.idpMetadata.due(now, DUE_PAGE)) {
      if (stopped) break
      try {
        const ok = await refreshOne(row.org_id, now)
        if (ok === true) result.refreshed++
        else if (ok === false) result.failed++
      } catch (error) {
        result.failed++
        log.error('IdP metadata refresh', {
          orgId: row.org_id,
          error: error instanceof Error ? error.message : String(error),
        })
      }
    }
    if (!stopped && (checkExpiry || now - lastExpiryCheck >= EXPIRY_CHECK_EVERY_MS)) {
      lastExpiryCheck = now
      try {
        result.expiringAnnounced = await checkCertificateExpiry(store, now, () => !stopped)
      } catch (error) {
        log.error('IdP certificate expiry check', {
          error: error instanceof Error ? error.message : String(error),
        })
      }
    }
    return result
  }

  const runOnce = (now = Date.now(), options: { checkExpiry?: boolean } = {}): Promise<PassResult> => {
    const next = chain.then(() => pass(now, options.checkExpiry ?? false))
    chain = next.catch(() => undefined)
    return next
  }

  const schedule = (delay: number) => {
    if (stopped) return
    timer = setTimeout(() => {
      void runOnce()
        .catch(() => undefined)
        .then(() => schedule(deps.timing?.pollMs ?? 60_000))
    }, delay)
    timer.unref?.()
  }

  return {
    start() {
      registerCertificateMetrics(deps.metrics.registry, store)
      schedule(deps.timing?.firstRunMs ?? 5_000)
    },
    runOnce,
    async stop() {
      stopped = true
      if (timer) clearTimeout(timer)
      await chain
    },
  }
}

export function startMetadataRefresh(deps: MetadataRefreshDeps): MetadataRefreshLoop {
  const loop = createMetadataRefresh(deps)
  loop.start()
  return loop
}
