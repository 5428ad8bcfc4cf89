/**
 * Group commit for SCIM writes. On the SQLite file a commit costs far more than the row changes in
 * it (measured here: ~400 µs alone, ~80 µs per user when eight share one), and an IdP push arrives
 * as many concurrent requests. So each write is queued, and once per event-loop turn the queued
 * writes run in ONE transaction, each inside its own savepoint: a write that fails rolls back alone
 * and its request gets its error, the others commit together. Every request is answered only after
 * the commit that holds its write, so a 2xx is as durable as before; each write's row change, feed
 * entries and audit entries still commit or vanish together.
 */
import type { Store } from '../store/index.ts'

interface Job {
  work: () => unknown
  resolve(value: unknown): void
  reject(error: unknown): void
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown }

export interface WriteBatcher {
  /** Runs `work` in a transaction (shared with other queued writes) and resolves after the commit. */
  run<T>(work: () => T): Promise<T>
}

export function createWriteBatcher(store: Store, maxJobs = 256): WriteBatcher {
  let queue: Job[] = []
  let scheduled = false

  function flush(): void {
    scheduled = false
    const jobs = queue.slice(0, maxJobs)
    queue = queue.slice(jobs.length)
    if (queue.length > 0) schedule()
    const outcomes: Outcome[] = []
    try {
      store.transaction(() => {
        for (const job of jobs) {
          try {
            // Nested: a savepoint inside the batch's transaction.
            outcomes.push({ ok: true, value: store.transaction(job.work) })
          } catch (error) {
            outcomes.push({ ok: false, error })
          }
        }
      })
    } catch (error) {
      // The batch did not commit: none of its writes happened.
      for (const job of jobs) job.reject(error)
      return
    }
    jobs.forEach((job, index) => {
      const outcome = outcomes[index] as Outcome
      if (outcome.ok) job.resolve(outcome.value)
      else job.reject(outcome.error)
    })
  }

  function schedule(): void {
    scheduled = true
    setImmediate(flush)
  }

  return {
    run<T>(work: () => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ work, resolve: resolve as (value: unknown) => void, reject })
        if (!scheduled) schedule()
      })
    },
  }
}
