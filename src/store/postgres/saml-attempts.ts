/**
 * The traces of SAML sign-in attempts on PostgreSQL: the twin of `../saml-attempts.ts`. Ids are
 * `COLLATE "C"` (migration 095), so the (at, id) keyset orders as SQLite's BINARY does. Retention
 * takes its batch `FOR UPDATE SKIP LOCKED`, as the audit log's does, so two instances pruning at
 * once take different rows.
 */
import type { Repositories } from '../contract.ts'
import type { SamlAttemptRow } from '../saml-attempts.ts'
import { changed, first, type PgContext, rows } from './executor.ts'

type Row<T> = T & Record<string, unknown>

export function samlAttemptRepository(ctx: PgContext): Repositories['samlAttempts'] {
  const { sql } = ctx
  return {
    async insert(row) {
      await sql`
        INSERT INTO saml_attempts (id, org_id, at, outcome, reason, flow, issuer, name_id, audience, destination,
          in_response_to, signed, attributes, client_address, steps)
        VALUES (${row.id}, ${row.org_id}, ${row.at}, ${row.outcome}, ${row.reason}, ${row.flow}, ${row.issuer},
          ${row.name_id}, ${row.audience}, ${row.destination}, ${row.in_response_to}, ${row.signed},
          ${row.attributes}, ${row.client_address}, ${row.steps})`
    },
    byId: (orgId, id) =>
      first<Row<SamlAttemptRow>>(sql`SELECT * FROM saml_attempts WHERE org_id = ${orgId} AND id = ${id}`),
    list(orgId, query) {
      const at = query.before?.at ?? Number.MAX_SAFE_INTEGER
      const id = query.before?.id ?? ''
      return query.outcome
        ? rows<Row<SamlAttemptRow>>(sql`
            SELECT * FROM saml_attempts
            WHERE org_id = ${orgId} AND outcome = ${query.outcome} AND (at < ${at} OR (at = ${at} AND id < ${id}))
            ORDER BY at DESC, id DESC LIMIT ${query.limit}`)
        : rows<Row<SamlAttemptRow>>(sql`
            SELECT * FROM saml_attempts
            WHERE org_id = ${orgId} AND (at < ${at} OR (at = ${at} AND id < ${id}))
            ORDER BY at DESC, id DESC LIMIT ${query.limit}`)
    },
    prune: (before, limit) =>
      changed(sql`
        DELETE FROM saml_attempts
        WHERE id IN (SELECT id FROM saml_attempts WHERE at < ${before} ORDER BY at, id LIMIT ${limit}
          FOR UPDATE SKIP LOCKED)`),
  }
}
