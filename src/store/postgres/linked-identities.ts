/** GitHub / Bitbucket identities linked to an account, on PostgreSQL: the twin of `../linked-identities.ts`. */
import type { Repositories } from '../contract.ts'
import type { LinkedIdentityRow } from '../linked-identities.ts'
import { changed, type PgContext, rows } from './executor.ts'

type Row<T> = T & Record<string, unknown>

export function linkedIdentityRepository(ctx: PgContext): Repositories['linkedIdentities'] {
  const { sql } = ctx
  return {
    async insert(row) {
      await sql`
        INSERT INTO linked_identities (id, org_id, account_id, provider, login, email, email_lower, created_at)
        VALUES (${row.id}, ${row.org_id}, ${row.account_id}, ${row.provider}, ${row.login}, ${row.email},
                ${row.email_lower}, ${row.created_at})`
    },
    ofAccount: (orgId, accountId) =>
      rows<Row<LinkedIdentityRow>>(sql`
        SELECT * FROM linked_identities WHERE org_id = ${orgId} AND account_id = ${accountId} ORDER BY provider`),
    byEmail: (orgId, emailLower) =>
      rows<Row<LinkedIdentityRow>>(sql`
        SELECT * FROM linked_identities WHERE org_id = ${orgId} AND email_lower = ${emailLower}
        ORDER BY created_at, id`),
    byEmails: (orgId, emailLowers) =>
      emailLowers.length === 0
        ? Promise.resolve([])
        : rows<Row<LinkedIdentityRow>>(sql`
            SELECT * FROM linked_identities WHERE org_id = ${orgId} AND email_lower = ANY(${emailLowers}::text[])
            ORDER BY created_at, id`),
    removeOfAccount: (orgId, accountId) =>
      changed(sql`DELETE FROM linked_identities WHERE org_id = ${orgId} AND account_id = ${accountId}`),
  }
}
