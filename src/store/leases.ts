/**
 * Leases: a named row held by one worker until it expires. The sync scheduler takes `sync:<org id>`
 * inside each batch's IMMEDIATE transaction, so "I hold the lease" and "I applied this batch" commit
 * together, and two processes sharing the store never work on the same org at once.
 */
import type { Db } from './database.ts'

export function leaseRepository(db: Db) {
  // Takes a free or expired lease, or renews our own; changes = 0 means someone else holds it.
  const acquire = db.query(
    `INSERT INTO leases (name, holder, expires_at) VALUES (?1, ?2, ?3)
     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
     WHERE leases.holder = excluded.holder OR leases.expires_at <= ?4`,
  )
  const release = db.query('DELETE FROM leases WHERE name = ? AND holder = ?')
  const get = db.query<{ name: string; holder: string; expires_at: number }, [string]>(
    'SELECT * FROM leases WHERE name = ?',
  )
  return {
    tryAcquire: (name: string, holder: string, now: number, ttlMs: number) =>
      acquire.run(name, holder, now + ttlMs, now).changes > 0,
    release: (name: string, holder: string) => release.run(name, holder).changes > 0,
    get: (name: string) => get.get(name),
  }
}
