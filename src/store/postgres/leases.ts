/**
 * Leases on PostgreSQL: the twin of `../leases.ts`. `tryAcquire` is one upsert whose update only
 * happens when the row is ours or expired: two instances racing for a free name both reach the
 * unique key, the second waits for the first's commit and then finds a live lease that is not its
 * own, so exactly one of them holds it.
 */
import type { Repositories } from '../contract.ts'
import { changed, first, type PgContext } from './executor.ts'

export function leaseRepository(ctx: PgContext): Repositories['leases'] {
  const { sql } = ctx
  return {
    tryAcquire: async (name, holder, now, ttlMs) =>
      (await changed(sql`
        INSERT INTO leases (name, holder, expires_at) VALUES (${name}, ${holder}, ${now + ttlMs})
        ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
        WHERE leases.holder = excluded.holder OR leases.expires_at <= ${now}`)) > 0,
    release: async (name, holder) =>
      (await changed(sql`DELETE FROM leases WHERE name = ${name} AND holder = ${holder}`)) > 0,
    get: (name) =>
      first<{ name: string; holder: string; expires_at: number }>(
        sql`SELECT name, holder, expires_at FROM leases WHERE name = ${name}`,
      ),
  }
}
