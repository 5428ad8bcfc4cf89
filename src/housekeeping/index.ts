/**
 * Housekeeping the server does on a timer, never on a request's path: deleting audit rows older
 * than AUDIT_RETENTION_DAYS, SAML sign-in attempts older than SAML_ATTEMPT_RETENTION_DAYS (30), and
 * throttle rows whose state has expired (they already read as
 * absent; deleting them keeps the table as small as the current traffic). Rows go in small
 * batches with a pause between them, so a large backlog (the first start after upgrading, a long
 * retention cut short) never holds the event loop or the store's write lock for long; what one run
 * leaves over, the next one takes. Started and stopped by the composition root (`src/main.ts`).
 */
import type { Config } from '../config/index.ts'
import type { Logger } from '../observability/log.ts'
import type { Store } from '../store/index.ts'

const DAY_MS = 24 * 60 * 60_000

export interface PruneLimits {
  /** Rows per DELETE. */
  batchSize: number
  /** Batches per run; the rest waits for the next run. */
  maxBatches: number
  /** Pause between batches, for other writers. */
  pauseMs: number
}

export const DEFAULT_PRUNE_LIMITS: PruneLimits = { batchSize: 1000, maxBatches: 100, pauseMs: 20 }

/** Rows older than `retentionDays` (0 keeps everything), deleted by `prune(before, limit)` in batches. */
function pruneOlderThan(
  prune: (before: number, limit: number) => Promise<number>,
  retentionDays: number,
  now: number,
  limits: PruneLimits,
  keepGoing: () => boolean,
): Promise<number> {
  if (retentionDays <= 0) return Promise.resolve(0)
  const before = now - retentionDays * DAY_MS
  return inBatches((limit) => prune(before, limit), limits, keepGoing)
}

/** Deletes audit rows older than the retention; 0 days keeps everything. Returns the rows deleted. */
export function pruneAuditLog(
  store: Pick<Store, 'audit'>,
  retentionDays: number,
  now = Date.now(),
  limits: PruneLimits = DEFAULT_PRUNE_LIMITS,
  keepGoing: () => boolean = () => true,
): Promise<number> {
  return pruneOlderThan(
    (before, limit) => store.audit.prune(before, limit),
    retentionDays,
    now,
    limits,
    keepGoing,
  )
}

/** Deletes SAML sign-in attempts older than the retention, in the same batches. Returns the rows deleted. */
export function pruneSamlAttempts(
  store: Pick<Store, 'samlAttempts'>,
  retentionDays: number,
  now = Date.now(),
  limits: PruneLimits = DEFAULT_PRUNE_LIMITS,
  keepGoing: () => boolean = () => true,
): Promise<number> {
  return pruneOlderThan(
    (before, limit) => store.samlAttempts.prune(before, limit),
    retentionDays,
    now,
    limits,
    keepGoing,
  )
}

/** Deletes expired throttle rows, in the same batches as the audit log. Returns the rows deleted. */
export async function pruneThrottles(
  store: Pick<Store, 'throttles'>,
  now = Date.now(),
  limits: PruneLimits = DEFAULT_PRUNE_LIMITS,
  keepGoing: () => boolean = () => true,
): Promise<number> {
  return inBatches((limit) => store.throttles.purgeExpired(now, limit), limits, keepGoing)
}

async function inBatches(
  deleteBatch: (limit: number) => Promise<number>,
  limits: PruneLimits,
  keepGoing: () => boolean,
): Promise<number> {
  let deleted = 0
  for (let batch = 0; batch < limits.maxBatches; batch++) {
    const count = await deleteBatch(limits.batchSize)
    deleted += count
    if (count < limits.batchSize) break
    await Bun.sleep(limits.pauseMs)
    if (!keepGoing()) break
  }
  return deleted
}

export interface Housekeeping {
  /** One run now (also what the timer does); resolves with the audit rows deleted. */
  runNow(): Promise<number>
  /** Stops the timer and waits for a run in progress (it ends after its current batch). */
  stop(): Promise<void>
}

export function startHousekeeping(
  deps: {
    store: Store
    config: Pick<Config, 'auditRetentionDays'> & Partial<Pick<Config, 'samlAttemptRetentionDays'>>
    log: Logger
  },
  timing: { firstRunMs: number; intervalMs: number } = { firstRunMs: 60_000, intervalMs: 60 * 60_000 },
): Housekeeping {
  let running: Promise<number> | null = null
  let stopped = false
  let timer: ReturnType<typeof setTimeout> | null = null
  const warned = (what: string) => (error: unknown) => {
    deps.log.warn(`${what} failed`, { error: error instanceof Error ? error.message : String(error) })
    return 0
  }

  // Each job on its own: a failing audit prune must not keep expired throttle rows, nor the reverse.
  const pruneThrottleRows = () =>
    stopped
      ? 0
      : pruneThrottles(deps.store, Date.now(), DEFAULT_PRUNE_LIMITS, () => !stopped).catch(
          warned('throttle pruning'),
        )

  const pruneAttemptRows = () =>
    stopped
      ? 0
      : pruneSamlAttempts(
          deps.store,
          deps.config.samlAttemptRetentionDays ?? 30,
          Date.now(),
          DEFAULT_PRUNE_LIMITS,
          () => !stopped,
        ).catch(warned('sign-in attempt pruning'))

  const runNow = (): Promise<number> => {
    running ??= pruneAuditLog(
      deps.store,
      deps.config.auditRetentionDays,
      Date.now(),
      DEFAULT_PRUNE_LIMITS,
      () => !stopped,
    )
      .then((deleted) => {
        if (deleted > 0)
          deps.log.info('pruned the audit log', { deleted, retentionDays: deps.config.auditRetentionDays })
        return deleted
      })
      .catch(warned('audit log pruning'))
      .then(async (deleted) => {
        await pruneThrottleRows()
        await pruneAttemptRows()
        return deleted
      })
      .finally(() => {
        running = null
      })
    return running
  }

  const schedule = (delay: number) => {
    if (stopped) return
    timer = setTimeout(() => {
      void runNow().then(() => schedule(timing.intervalMs))
    }, delay)
    timer.unref?.()
  }
  schedule(timing.firstRunMs)

  return {
    runNow,
    async stop() {
      stopped = true
      if (timer) clearTimeout(timer)
      await running
    },
  }
}
