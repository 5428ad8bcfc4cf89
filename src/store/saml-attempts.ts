/**
 * The traces of SAML sign-in attempts (`saml_attempts`, migration 095): one insert per attempt, in
 * the transaction that commits the sign-in or audits its rejection; read newest first per org
 * (optionally by outcome) with a keyset on (at, id); deleted by retention, oldest first, in batches.
 * The values are written already capped by src/saml/attempts.ts; the store keeps them as given.
 */
import type { Db } from './database.ts'

export interface SamlAttemptRow {
  id: string
  org_id: string
  at: number
  outcome: string
  reason: string | null
  flow: string | null
  issuer: string | null
  name_id: string | null
  audience: string | null
  destination: string | null
  in_response_to: string | null
  /** 1 when the values above were read from verified (signed) content. */
  signed: number
  /** JSON object: attribute name → values. */
  attributes: string
  client_address: string | null
  /** JSON array of `{step, ok, detail}`. */
  steps: string
}

export interface SamlAttemptQuery {
  outcome?: string
  /** Exclusive keyset position: rows older than this (at, then id). */
  before?: { at: number; id: string }
  limit: number
}

export function samlAttemptRepository(db: Db) {
  const insert = db.query(
    `INSERT INTO saml_attempts (id, org_id, at, outcome, reason, flow, issuer, name_id, audience, destination,
       in_response_to, signed, attributes, client_address, steps)
     VALUES ($id, $org_id, $at, $outcome, $reason, $flow, $issuer, $name_id, $audience, $destination,
       $in_response_to, $signed, $attributes, $client_address, $steps)`,
  )
  const byId = db.query<SamlAttemptRow, [string, string]>(
    'SELECT * FROM saml_attempts WHERE org_id = ? AND id = ?',
  )
  const page = db.query<SamlAttemptRow, [string, number, number, string, number]>(
    `SELECT * FROM saml_attempts WHERE org_id = ?1 AND (at < ?2 OR (at = ?3 AND id < ?4))
     ORDER BY at DESC, id DESC LIMIT ?5`,
  )
  const pageOfOutcome = db.query<SamlAttemptRow, [string, string, number, number, string, number]>(
    `SELECT * FROM saml_attempts WHERE org_id = ?1 AND outcome = ?2 AND (at < ?3 OR (at = ?4 AND id < ?5))
     ORDER BY at DESC, id DESC LIMIT ?6`,
  )
  const pruneOldest = db.query<never, [number, number]>(
    'DELETE FROM saml_attempts WHERE id IN (SELECT id FROM saml_attempts WHERE at < ? ORDER BY at, id LIMIT ?)',
  )
  return {
    insert(row: SamlAttemptRow): void {
      insert.run(row as unknown as Record<string, string | number | null>)
    },
    byId: (orgId: string, id: string): SamlAttemptRow | null => byId.get(orgId, id),
    /** Newest first (at, then id, both descending). */
    list(orgId: string, query: SamlAttemptQuery): SamlAttemptRow[] {
      const at = query.before?.at ?? Number.MAX_SAFE_INTEGER
      const id = query.before?.id ?? ''
      return query.outcome
        ? pageOfOutcome.all(orgId, query.outcome, at, at, id, query.limit)
        : page.all(orgId, at, at, id, query.limit)
    },
    /** Deletes at most `limit` rows older than `before` (ms), oldest first; returns how many went. */
    prune(before: number, limit: number): number {
      return pruneOldest.run(before, limit).changes
    },
  }
}
