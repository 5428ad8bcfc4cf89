/**
 * Throttle state on PostgreSQL: the twin of `../throttles.ts`. `step` reads the key's row under a
 * row lock (`SELECT … FOR UPDATE`) and writes it in the same transaction, so instances hitting one
 * key at once take turns on that row and every count lands. A key without a row is inserted with
 * `ON CONFLICT DO NOTHING`: if another instance inserted it first, the insert waits for that
 * commit, changes nothing, and the step reads again, now under the lock of the committed row. The
 * same loop covers a row deleted (a reset, a purge) while we waited for its lock: the SELECT then
 * finds nothing. No placeholder row is written for a key that stays empty (a check of a clean key
 * is one SELECT), which is the common case of every sign-in.
 *
 * `purgeExpired` repeats `expires_at <= now` outside its subquery: a row a step revived while the
 * purge waited for its lock is then checked again in its new version and kept (under READ
 * COMMITTED the subquery alone would still name it, and the revived count would be lost).
 */
import type { SQL } from 'bun'
import type { Repositories } from '../contract.ts'
import { StoreError } from '../errors.ts'
import { checkThrottleKey } from '../throttles.ts'
import { atomic, changed, first, type PgContext } from './executor.ts'

/** A lost insert race repeats the step; more than a few in a row means something is wrong. */
const STEP_ATTEMPTS = 5

export function throttleRepository(ctx: PgContext): Repositories['throttles'] {
  const stepOn = async (
    sql: SQL,
    name: string,
    key: string,
    now: number,
    update: Parameters<Repositories['throttles']['step']>[3],
  ): Promise<string | null> => {
    for (let attempt = 0; attempt < STEP_ATTEMPTS; attempt++) {
      const row = await first<{ state: string; expires_at: number }>(sql`
        SELECT state, expires_at FROM throttle_state WHERE name = ${name} AND key = ${key} FOR UPDATE`)
      const next = update(row && row.expires_at > now ? row.state : null)
      if (row) {
        if (next.state === null) await sql`DELETE FROM throttle_state WHERE name = ${name} AND key = ${key}`
        else {
          await sql`
            UPDATE throttle_state SET state = ${next.state}, expires_at = ${next.expiresAt}
            WHERE name = ${name} AND key = ${key}`
        }
        return next.state
      }
      if (next.state === null) return null
      const inserted = await changed(sql`
        INSERT INTO throttle_state (name, key, state, expires_at)
        VALUES (${name}, ${key}, ${next.state}, ${next.expiresAt})
        ON CONFLICT (name, key) DO NOTHING`)
      if (inserted > 0) return next.state
    }
    throw new StoreError(`throttle ${name}: the row kept changing under the step`)
  }

  return {
    step: (name, key, now, update) => {
      checkThrottleKey(name, key)
      return atomic(ctx, (sql) => stepOn(sql, name, key, now, update))
    },
    purgeExpired: (now, limit) =>
      changed(ctx.sql`
        DELETE FROM throttle_state
        WHERE (name, key) IN (SELECT name, key FROM throttle_state WHERE expires_at <= ${now} LIMIT ${limit})
          AND expires_at <= ${now}`),
  }
}
