/**
 * Throttle state: one row per (throttle name, key) holding an algorithm's small JSON state and the
 * time after which that state says nothing a missing row would not (`src/http/throttle.ts` owns the
 * algorithms; the store only keeps their state). The one operation that matters is `step`, a
 * read-modify-write of one row: it must be atomic against every other instance on the database, or
 * two instances counting the same failure at once would record one. Here that is the caller's
 * `store.transaction` (BEGIN IMMEDIATE: no other connection writes in between); the PostgreSQL twin
 * locks the row. An expired row reads as absent, so `purgeExpired` may delete it at any time.
 */
import type { Db } from './database.ts'
import { StoreMisuse } from './errors.ts'

/** What `step`'s update answers: the state to keep (null: forget the key) and when it expires. */
export interface ThrottleUpdate {
  state: string | null
  expiresAt: number
}

/**
 * Names and keys are the caller's identifiers, never request input: the throttles hash what a client
 * sends (an invented email may be any size). Refusing anything longer keeps every row small.
 */
export const MAX_THROTTLE_NAME = 64
export const MAX_THROTTLE_KEY = 128

export function checkThrottleKey(name: string, key: string): void {
  if (name.length > MAX_THROTTLE_NAME || key.length > MAX_THROTTLE_KEY) {
    throw new StoreMisuse(
      `throttle names and keys are at most ${MAX_THROTTLE_NAME}/${MAX_THROTTLE_KEY} characters`,
    )
  }
}

export function throttleRepository(db: Db) {
  const get = db.query<{ state: string; expires_at: number }, [string, string]>(
    'SELECT state, expires_at FROM throttle_state WHERE name = ? AND key = ?',
  )
  const put = db.query(
    `INSERT INTO throttle_state (name, key, state, expires_at) VALUES (?1, ?2, ?3, ?4)
     ON CONFLICT (name, key) DO UPDATE SET state = excluded.state, expires_at = excluded.expires_at`,
  )
  const remove = db.query('DELETE FROM throttle_state WHERE name = ? AND key = ?')
  const purge = db.query(
    `DELETE FROM throttle_state
     WHERE (name, key) IN (SELECT name, key FROM throttle_state WHERE expires_at <= ?1 LIMIT ?2)`,
  )
  return {
    /**
     * Hands `update` the key's live state (null when there is none or it has expired at `now`) and
     * stores what it answers; returns the stored state. `update` must be pure: on PostgreSQL it may
     * run more than once (a lost insert race, a retried transaction). Atomic only inside
     * `store.transaction` on this engine.
     */
    step(
      name: string,
      key: string,
      now: number,
      update: (state: string | null) => ThrottleUpdate,
    ): string | null {
      checkThrottleKey(name, key)
      const row = get.get(name, key)
      const next = update(row && row.expires_at > now ? row.state : null)
      if (next.state === null) {
        if (row) remove.run(name, key)
      } else put.run(name, key, next.state, next.expiresAt)
      return next.state
    },
    /** Deletes up to `limit` rows expired at `now`; returns how many (fewer than `limit`: done). */
    purgeExpired: (now: number, limit: number) => purge.run(now, limit).changes,
  }
}
