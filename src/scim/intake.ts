/**
 * Backpressure on an org's SCIM writes while its change feed is behind, for a store without a write
 * gate (PostgreSQL). On SQLite the gate does it already: a scheduler a second behind stops letting
 * SCIM writes go first (src/store/sqlite/pacing.ts), so the writes wait for its batches. On
 * PostgreSQL nothing made them wait, and a large group push wrote ~10,000 changes a second while the
 * scheduler, sharing the same cores, applied ~4,500: the directory the org's apps read fell a minute
 * behind Okta (docs/benchmarks.md, "PostgreSQL").
 *
 * So a SCIM write of an org whose oldest unapplied change is `maxLagSeconds` old waits — up to
 * `maxWaitMs`, then it goes ahead anyway — until the feed is back under that age. Reads never wait.
 * The lag comes from the store (the scheduler may run on another instance), read at most once per
 * `pollMs` per org and instance however many requests wait: memory caches it, the store decides.
 * The wait trades push throughput for lag, and only while the org is behind.
 */
import type { Repositories } from '../store/index.ts'

export interface IntakeOptions {
  /** Writes wait while the org's oldest unapplied change is at least this old. */
  maxLagSeconds: number
  /** A write waits at most this long, then goes ahead. */
  maxWaitMs: number
  /** How often a waiting org's lag is read again. */
  pollMs: number
  now?: () => number
}

export const INTAKE_DEFAULTS: IntakeOptions = { maxLagSeconds: 1, maxWaitMs: 5_000, pollMs: 50 }

export interface IntakePacing {
  /** Resolves when the org's write may go ahead: the milliseconds it waited (0: it did not). */
  admit(orgId: string): Promise<number>
}

type Store = Pick<Repositories, 'syncState'>

export function feedIntake(store: Store, options: IntakeOptions = INTAKE_DEFAULTS): IntakePacing {
  const now = options.now ?? Date.now
  // Per org: its lag as last read and when, or the read in flight.
  const known = new Map<string, { lagSeconds: number; readAt: number }>()
  const reading = new Map<string, Promise<number>>()

  const lagOf = (orgId: string): number | Promise<number> => {
    const last = known.get(orgId)
    if (last && now() - last.readAt < options.pollMs) return last.lagSeconds
    const inFlight = reading.get(orgId)
    if (inFlight) return inFlight
    const read = store.syncState
      .oldestPendingAt(orgId)
      .then((oldestAt) => {
        const at = now()
        const lagSeconds = oldestAt === null ? 0 : Math.max(0, (at - oldestAt) / 1000)
        known.set(orgId, { lagSeconds, readAt: at })
        return lagSeconds
      })
      .finally(() => reading.delete(orgId))
    reading.set(orgId, read)
    return read
  }

  return {
    async admit(orgId: string): Promise<number> {
      const started = now()
      if (known.size > 10_000) known.clear()
      if ((await lagOf(orgId)) < options.maxLagSeconds) return 0
      for (;;) {
        const left = started + options.maxWaitMs - now()
        if (left <= 0) break
        await Bun.sleep(Math.min(options.pollMs, left))
        if ((await lagOf(orgId)) < options.maxLagSeconds) break
      }
      return Math.max(1, now() - started)
    },
  }
}
