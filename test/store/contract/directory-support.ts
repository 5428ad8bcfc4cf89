/**
 * What the directory contract tests share: an org to write into, the org's feed as the scheduler
 * reads it, rows shaped as the SCIM layer writes them, and a SCIM context over any store so the
 * real SCIM operations (`scim/users.ts`, `scim/groups.ts`) run on both engines.
 *
 * `addOrg` and `feedOf` go through the store's `orgs` and `syncState` repositories.
 */

import type { ScimContext } from '../../../src/scim/context.ts'
import { DEFAULT_LIMITS } from '../../../src/scim/service.ts'
import type { Store } from '../../../src/store/index.ts'
import type { ScimGroupRow, ScimUserRow } from '../../../src/store/scim.ts'

export interface FeedRow {
  seq: number
  kind: string
  op: string
  resource_id: string
  related_id: string | null
}

export async function addOrg(store: Store, id: string): Promise<void> {
  await store.orgs.insert({ id, slug: id, name: `${id} Inc`, url: null, settings: '{}', created_at: 1 })
}

/** The org's feed after `cursor`, in order, as the scheduler reads it. */
export async function feedAfter(
  store: Store,
  orgId: string,
  cursor: number,
  limit = 1000,
): Promise<FeedRow[]> {
  const found = await store.syncState.changesAfter(orgId, cursor, limit)
  return found.map(({ seq, kind, op, resource_id, related_id }) => ({
    seq,
    kind,
    op,
    resource_id,
    related_id,
  }))
}

/** The org's whole feed, in order. */
export const feedOf = (store: Store, orgId: string) => feedAfter(store, orgId, 0, Number.MAX_SAFE_INTEGER)

export function userRow(orgId: string, id: string, userName: string, extra: Partial<ScimUserRow> = {}) {
  const row: ScimUserRow = {
    id,
    org_id: orgId,
    user_name: userName,
    user_name_lower: userName.toLowerCase(),
    external_id: null,
    email_lower: null,
    display_name: null,
    given_name: null,
    family_name: null,
    active: 1,
    resource: JSON.stringify({ userName }),
    version: 1,
    created_at: 1_000,
    updated_at: 1_000,
    ...extra,
  }
  return row
}

export function groupRow(orgId: string, id: string, displayName: string, extra: Partial<ScimGroupRow> = {}) {
  const row: ScimGroupRow = {
    id,
    org_id: orgId,
    display_name: displayName,
    display_name_lower: displayName.toLowerCase(),
    external_id: null,
    resource: JSON.stringify({ displayName }),
    version: 1,
    created_at: 1_000,
    updated_at: 1_000,
    ...extra,
  }
  return row
}

/** What a SCIM request of `orgId` hands the SCIM operations. */
export function scimContext(store: Store, orgId: string, now = Date.now()): ScimContext {
  return {
    store,
    orgId,
    base: `https://sso.example/orgs/${orgId}/okta/scim`,
    limits: { ...DEFAULT_LIMITS, maxBodyBytes: 1_000_000 },
    now,
  }
}

/**
 * Ids that order differently by bytes than by a language's collation (case, `_`, `-`, digits), all
 * created in the same millisecond, so only the id decides their order.
 */
export const TRICKY_IDS = ['B-2', 'a_1', 'A_1', 'a-1', '_z', 'Z9', 'z10', 'b2', 'a1', '10', '9', 'ä1', 'A1']

/** Sorted by UTF-8 bytes, as SQLite compares TEXT. */
export function bytewise(values: string[]): string[] {
  const encoder = new TextEncoder()
  return [...values].sort((a, b) => Buffer.compare(encoder.encode(a), encoder.encode(b)))
}
