/**
 * The groups the sync scheduler has already announced (`sync_groups`, migration 030): it tells a
 * group's creation from its rename, keeps the old name for role mappings, and lets the full
 * reconcile find groups deleted behind the feed's back. Written only by the scheduler, in the same
 * transaction as the events it emits.
 */
import type { Db } from './database.ts'

export interface MirrorGroupRow {
  org_id: string
  group_id: string
  display_name: string
  display_name_lower: string
  applied_at: number
}

export function syncMirrorRepository(db: Db) {
  const group = db.query<MirrorGroupRow, [string, string]>(
    'SELECT * FROM sync_groups WHERE org_id = ? AND group_id = ?',
  )
  const groupsByIds = db.query<MirrorGroupRow, [string, string]>(
    'SELECT * FROM sync_groups WHERE org_id = ? AND group_id IN (SELECT value FROM json_each(?))',
  )
  const upsertGroup = db.query(
    `INSERT INTO sync_groups (org_id, group_id, display_name, display_name_lower, applied_at)
     VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (org_id, group_id) DO UPDATE SET display_name = excluded.display_name,
       display_name_lower = excluded.display_name_lower, applied_at = excluded.applied_at`,
  )
  const removeGroup = db.query('DELETE FROM sync_groups WHERE org_id = ? AND group_id = ?')
  const groupsPage = db.query<MirrorGroupRow, [string, string, number]>(
    'SELECT * FROM sync_groups WHERE org_id = ? AND group_id > ? ORDER BY group_id LIMIT ?',
  )
  const countGroups = db.query<{ n: number }, [string]>(
    'SELECT count(*) AS n FROM sync_groups WHERE org_id = ?',
  )
  const clearGroups = db.query('DELETE FROM sync_groups WHERE org_id = ?')
  return {
    group: (orgId: string, groupId: string) => group.get(orgId, groupId),
    /** The announced groups among `groupIds`, in no particular order. */
    groupsByIds: (orgId: string, groupIds: string[]): MirrorGroupRow[] =>
      groupIds.length === 0 ? [] : groupsByIds.all(orgId, JSON.stringify(groupIds)),
    putGroup: (orgId: string, groupId: string, displayName: string, at: number) =>
      void upsertGroup.run(orgId, groupId, displayName, displayName.toLowerCase(), at),
    removeGroup: (orgId: string, groupId: string) => void removeGroup.run(orgId, groupId),
    groupsPage: (orgId: string, after: string, limit: number) => groupsPage.all(orgId, after, limit),
    countGroups: (orgId: string) => countGroups.get(orgId)?.n ?? 0,
    clearGroups: (orgId: string) => clearGroups.run(orgId).changes,
  }
}
