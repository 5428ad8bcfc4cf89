/**
 * Statements of the integration removal on PostgreSQL: the twin of `../removal.ts`. Each operation
 * works on a bounded chunk and deletes it as a set, one statement per kind of row. PostgreSQL has
 * no `DELETE … LIMIT`, so a chunk is named by a subquery with a LIMIT, on the table's own key.
 *
 * Where SQLite names an account chunk to its later statements by key range (`id <= last`, fine
 * under its single writer), the statements here take the chunk's ids as one array parameter
 * (`= ANY(…)`): under READ COMMITTED they then touch exactly the accounts just read, whatever
 * committed in between. Accounts are read in id order byte by byte (`COLLATE "C"`), as SQLite orders
 * them, so both engines remove the same accounts in the same batches.
 *
 * Feed rows are numbered per org here (`(org_id, seq)` is the key), so deleting a chunk of the feed
 * names the org in the outer statement too; another org's rows with the same numbers stay.
 */
import type { SQL } from 'bun'
import type { Repositories } from '../contract.ts'
import type { RemovedAccount } from '../removal.ts'
import { atomic, changed, first, type PgContext, rows } from './executor.ts'

/** A row interface as the executor's helpers take it (they require an index signature). */
type Row<T> = T & Record<string, unknown>

type Chunk = { accounts: RemovedAccount[]; sessionsEnded: number }

/** Ends the chunk's sessions and deletes its SCIM users; answers the sessions ended. */
async function endSessionsAndDeleteUsers(
  tx: SQL,
  orgId: string,
  accounts: RemovedAccount[],
): Promise<number> {
  const ids = accounts.map((account) => account.id)
  const sessionsEnded = await changed(tx`
    DELETE FROM sessions WHERE org_id = ${orgId} AND kind = 'user' AND subject_id = ANY(${ids}::text[])`)
  // Their memberships and duplicate records go with them (ON DELETE CASCADE).
  const scimUserIds = accounts.flatMap((account) =>
    account.scim_user_id === null ? [] : [account.scim_user_id],
  )
  if (scimUserIds.length > 0) {
    await tx`DELETE FROM scim_users WHERE org_id = ${orgId} AND id = ANY(${scimUserIds}::text[])`
  }
  return sessionsEnded
}

export function removalRepository(ctx: PgContext): Repositories['removal'] {
  const { sql } = ctx
  return {
    deleteCreatedAccounts: (orgId, limit) =>
      atomic(ctx, async (tx): Promise<Chunk> => {
        const accounts = await rows<Row<RemovedAccount>>(tx`
          SELECT id, email, scim_user_id FROM accounts WHERE org_id = ${orgId} AND created_via_integration = 1
          ORDER BY id COLLATE "C" LIMIT ${limit}`)
        if (accounts.length === 0) return { accounts, sessionsEnded: 0 }
        const sessionsEnded = await endSessionsAndDeleteUsers(tx, orgId, accounts)
        // Linked identities and OAuth states go with the accounts (ON DELETE CASCADE).
        await tx`DELETE FROM accounts WHERE org_id = ${orgId} AND id = ANY(${accounts.map((a) => a.id)}::text[])`
        return { accounts, sessionsEnded }
      }),
    unlinkMergedAccounts: (orgId, limit, now) =>
      atomic(ctx, async (tx): Promise<Chunk> => {
        const accounts = await rows<Row<RemovedAccount>>(tx`
          SELECT id, email, scim_user_id FROM accounts
          WHERE org_id = ${orgId} AND created_via_integration = 0 AND scim_user_id IS NOT NULL
          ORDER BY id COLLATE "C" LIMIT ${limit}`)
        if (accounts.length === 0) return { accounts, sessionsEnded: 0 }
        const sessionsEnded = await endSessionsAndDeleteUsers(tx, orgId, accounts)
        await tx`
          UPDATE accounts SET scim_user_id = NULL, updated_at = ${now}
          WHERE org_id = ${orgId} AND id = ANY(${accounts.map((a) => a.id)}::text[])`
        return { accounts, sessionsEnded }
      }),
    deleteWaitingDuplicates: (orgId, limit) =>
      changed(sql`
        DELETE FROM scim_users WHERE org_id = ${orgId} AND id IN
          (SELECT scim_user_id FROM duplicates WHERE org_id = ${orgId}
           ORDER BY scim_user_id COLLATE "C" LIMIT ${limit})`),
    // Provisioned users that never became an account and are not waiting as a duplicate: the dry run
    // counts them as deleted users (integrations.countRemovableUsers), so the removal counts them too.
    deleteOrphanUsers: (orgId, limit) =>
      changed(sql`
        DELETE FROM scim_users WHERE org_id = ${orgId} AND id IN
          (SELECT u.id FROM scim_users u WHERE u.org_id = ${orgId}
             AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.scim_user_id = u.id)
             AND NOT EXISTS (SELECT 1 FROM duplicates d WHERE d.scim_user_id = u.id)
           LIMIT ${limit})`),
    groups: async (orgId, limit) =>
      (
        await rows<{ id: string }>(sql`SELECT id FROM scim_groups WHERE org_id = ${orgId} LIMIT ${limit}`)
      ).map((row) => row.id),
    deleteGroupMembers: (groupId, limit) =>
      changed(sql`
        DELETE FROM scim_memberships WHERE group_id = ${groupId} AND user_id IN
          (SELECT user_id FROM scim_memberships WHERE group_id = ${groupId} LIMIT ${limit})`),
    deleteGroup: (orgId, id) => changed(sql`DELETE FROM scim_groups WHERE org_id = ${orgId} AND id = ${id}`),
    deleteChanges: (orgId, limit) =>
      changed(sql`
        DELETE FROM directory_changes WHERE org_id = ${orgId} AND seq IN
          (SELECT seq FROM directory_changes WHERE org_id = ${orgId} ORDER BY seq LIMIT ${limit})`),
    lastSeq: async (orgId) =>
      (
        await first<{ seq: number | null }>(
          sql`SELECT max(seq) AS seq FROM directory_changes WHERE org_id = ${orgId}`,
        )
      )?.seq ?? 0,
  }
}
