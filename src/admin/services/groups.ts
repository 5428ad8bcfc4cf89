/** The org's groups (single-sourced in the SCIM directory) with member counts and mapped roles. */
import type { Store } from '../../store/index.ts'
import { decodeCursor, encodeCursor, type Page, pageLimit } from './pagination.ts'

export interface GroupItem {
  id: string
  displayName: string
  externalId: string | null
  memberCount: number
  /** The role a membership gives (from the role mappings), or null when the group is not mapped. */
  role: 'admin' | 'member' | null
  createdAt: string
}

export async function listGroups(
  store: Store,
  orgId: string,
  query: { limit?: number; cursor?: string },
): Promise<Page<GroupItem>> {
  const limit = pageLimit(query.limit)
  const after = decodeCursor<[number, string]>(query.cursor, ['number', 'string'])
  const rows = await store.directoryRead.groupsPage(
    orgId,
    after ? { createdAt: after[0], id: after[1] } : null,
    limit + 1,
  )
  const items = rows.slice(0, limit)
  const last = items.at(-1)
  return {
    items: await Promise.all(
      items.map(async (g) => ({
        id: g.id,
        displayName: g.display_name,
        externalId: g.external_id,
        memberCount: await store.directoryRead.memberCount(g.id),
        role: await store.roles.roleOfGroup(orgId, g.display_name_lower),
        createdAt: new Date(g.created_at).toISOString(),
      })),
    ),
    nextCursor: rows.length > limit && last ? encodeCursor([last.created_at, last.id]) : null,
  }
}
