/**
 * Duplicate pairs as the admin API lists them: the pre-existing account (a full user item) and the
 * provisioned SCIM user that matched it. The provisioned side has no account (that is the point),
 * so its `id` and `scimId` are both the SCIM resource id; `externalId` is the IdP's own id.
 */

import type { MatchedOn } from '../../store/duplicates.ts'
import type { Store } from '../../store/index.ts'
import { profileOf } from '../../sync/profile.ts'
import { decodeCursor, encodeCursor, type Page, pageLimit } from './pagination.ts'
import { toUserItem, type UserItem } from './users.ts'

export interface DuplicateItem {
  existing: UserItem
  provisioned: { id: string; email: string; scimId: string; userName: string; externalId: string | null }
  matchedOn: MatchedOn
  detectedAt: string
}

export async function listDuplicates(
  store: Store,
  orgId: string,
  query: { limit?: number; cursor?: string },
): Promise<Page<DuplicateItem>> {
  const limit = pageLimit(query.limit)
  const after = decodeCursor<[string]>(query.cursor, ['string'])
  const rows = await store.duplicates.page(orgId, after?.[0] ?? '', limit + 1)
  const items: DuplicateItem[] = []
  for (const row of rows.slice(0, limit)) {
    const [account, user] = await Promise.all([
      store.accounts.byId(orgId, row.account_id),
      store.directoryRead.user(orgId, row.scim_user_id),
    ])
    if (!account || !user) continue
    items.push({
      existing: await toUserItem(store, account),
      provisioned: {
        id: user.id,
        email: profileOf(user).email,
        scimId: user.id,
        userName: user.user_name,
        externalId: user.external_id,
      },
      matchedOn: row.matched_on,
      detectedAt: new Date(row.detected_at).toISOString(),
    })
  }
  const last = rows.slice(0, limit).at(-1)
  return { items, nextCursor: rows.length > limit && last ? encodeCursor([last.scim_user_id]) : null }
}
