/**
 * The directory repository: what the identity provider pushed over SCIM (`scim_users`,
 * `scim_groups`, `scim_memberships`) and the ordered per-org `directory_changes` feed the sync
 * scheduler consumes. Every statement is prepared once; filtered lists take the parsed SCIM filter,
 * compile it for SQLite (`filter/sqlite.ts`, which rejects what cannot be filtered before any SQL
 * runs) and keep their statements in a small bounded cache (filters from the wire must not grow
 * memory without limit). Callers wrap writes in `store.transaction` so a row change and its feed
 * entry commit together.
 */
import type { Statement } from 'bun:sqlite'
import type { FilterNode } from '../scim/filter.ts'
import type { Db } from './database.ts'
import type { SqlFilter } from './filter/render.ts'
import { sqliteFilter } from './filter/sqlite.ts'

export interface ScimUserRow {
  id: string
  org_id: string
  user_name: string
  user_name_lower: string
  external_id: string | null
  email_lower: string | null
  display_name: string | null
  given_name: string | null
  family_name: string | null
  active: number
  resource: string
  version: number
  created_at: number
  updated_at: number
}

export interface ScimGroupRow {
  id: string
  org_id: string
  display_name: string
  display_name_lower: string
  external_id: string | null
  resource: string
  version: number
  created_at: number
  updated_at: number
}

export interface MemberRow {
  id: string
  user_name: string
  display_name: string | null
}

export interface GroupRefRow {
  id: string
  display_name: string
}

export type ChangeKind = 'user' | 'group' | 'membership'
export type ChangeOp = 'upsert' | 'delete' | 'add' | 'remove'

export interface Page<T> {
  rows: T[]
  total: number
}

type Bindings = Array<string | number | null>

const bindings = (row: ScimUserRow | ScimGroupRow) => row as unknown as Record<string, string | number | null>

/**
 * Runs a write that may hit a UNIQUE index (userName or group displayName per org): the index is
 * the check, so a uniqueness test costs no extra query and cannot race.
 */
function unlessDuplicate(write: () => unknown): boolean {
  try {
    write()
    return true
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') return false
    throw error
  }
}
const FILTER_CACHE_SIZE = 128

export function directoryRepository(db: Db) {
  const userById = db.query<ScimUserRow, [string, string]>(
    'SELECT * FROM scim_users WHERE id = ? AND org_id = ?',
  )
  const userIdByName = db.query<{ id: string }, [string, string]>(
    'SELECT id FROM scim_users WHERE org_id = ? AND user_name_lower = ?',
  )
  const userExists = db.query<{ id: string }, [string, string]>(
    'SELECT id FROM scim_users WHERE id = ? AND org_id = ?',
  )
  const insertUser = db.query(
    `INSERT INTO scim_users (id, org_id, user_name, user_name_lower, external_id, email_lower, display_name,
       given_name, family_name, active, resource, version, created_at, updated_at)
     VALUES ($id, $org_id, $user_name, $user_name_lower, $external_id, $email_lower, $display_name,
       $given_name, $family_name, $active, $resource, $version, $created_at, $updated_at)`,
  )
  const updateUser = db.query(
    `UPDATE scim_users SET user_name = $user_name, user_name_lower = $user_name_lower, external_id = $external_id,
       email_lower = $email_lower, display_name = $display_name, given_name = $given_name,
       family_name = $family_name, active = $active, resource = $resource, version = $version,
       updated_at = $updated_at
     WHERE id = $id AND org_id = $org_id`,
  )
  const deleteUser = db.query('DELETE FROM scim_users WHERE id = ? AND org_id = ?')

  const groupById = db.query<ScimGroupRow, [string, string]>(
    'SELECT * FROM scim_groups WHERE id = ? AND org_id = ?',
  )
  const groupIdByName = db.query<{ id: string }, [string, string]>(
    'SELECT id FROM scim_groups WHERE org_id = ? AND display_name_lower = ?',
  )
  const insertGroup = db.query(
    `INSERT INTO scim_groups (id, org_id, display_name, display_name_lower, external_id, resource, version,
       created_at, updated_at)
     VALUES ($id, $org_id, $display_name, $display_name_lower, $external_id, $resource, $version,
       $created_at, $updated_at)`,
  )
  const updateGroup = db.query(
    `UPDATE scim_groups SET display_name = $display_name, display_name_lower = $display_name_lower,
       external_id = $external_id, resource = $resource, version = $version, updated_at = $updated_at
     WHERE id = $id AND org_id = $org_id`,
  )
  const deleteGroup = db.query('DELETE FROM scim_groups WHERE id = ? AND org_id = ?')

  const members = db.query<MemberRow, [string]>(
    `SELECT u.id, u.user_name, u.display_name FROM scim_memberships m JOIN scim_users u ON u.id = m.user_id
     WHERE m.group_id = ? ORDER BY u.created_at, u.id`,
  )
  const memberIds = db.query<{ user_id: string }, [string]>(
    'SELECT user_id FROM scim_memberships WHERE group_id = ?',
  )
  const groupsOfUser = db.query<GroupRefRow, [string]>(
    `SELECT g.id, g.display_name FROM scim_memberships m JOIN scim_groups g ON g.id = m.group_id
     WHERE m.user_id = ? ORDER BY g.display_name_lower`,
  )
  const groupIdsOfUser = db.query<{ group_id: string }, [string]>(
    'SELECT group_id FROM scim_memberships WHERE user_id = ?',
  )
  // Member lists are handled as sets, one statement per step, with the ids as a JSON array.
  const existingUsers = db.query<{ id: string }, [string, string]>(
    // `+org_id`: look the ids up by primary key, never by scanning the org.
    'SELECT id FROM scim_users WHERE +org_id = ? AND id IN (SELECT value FROM json_each(?))',
  )
  const usersByIds = db.query<MemberRow, [string, string]>(
    'SELECT id, user_name, display_name FROM scim_users WHERE +org_id = ? AND id IN (SELECT value FROM json_each(?))',
  )
  const addMembers = db.query<{ user_id: string }, [string, string, string]>(
    `INSERT OR IGNORE INTO scim_memberships (org_id, group_id, user_id)
     SELECT ?, ?, value FROM json_each(?) RETURNING user_id`,
  )
  const removeMembers = db.query<{ user_id: string }, [string, string]>(
    'DELETE FROM scim_memberships WHERE group_id = ? AND user_id IN (SELECT value FROM json_each(?)) RETURNING user_id',
  )
  const appendChange = db.query(
    'INSERT INTO directory_changes (org_id, kind, op, resource_id, related_id, at) VALUES (?, ?, ?, ?, ?, ?)',
  )
  const appendChanges = db.query(
    `INSERT INTO directory_changes (org_id, kind, op, resource_id, related_id, at)
     SELECT ?, ?, ?, ?, value, ? FROM json_each(?) ORDER BY key`,
  )

  // Bounded cache of statements for filtered lists, keyed by their SQL text.
  const filtered = new Map<string, Statement>()
  function statement(sql: string): Statement {
    let prepared = filtered.get(sql)
    if (prepared) {
      filtered.delete(sql)
      filtered.set(sql, prepared)
      return prepared
    }
    prepared = db.prepare(sql)
    filtered.set(sql, prepared)
    if (filtered.size > FILTER_CACHE_SIZE) {
      const oldest = filtered.keys().next().value as string
      filtered.get(oldest)?.finalize()
      filtered.delete(oldest)
    }
    return prepared
  }

  function pageSql(
    table: string,
    alias: string,
    filter: SqlFilter | null,
  ): { select: string; count: string } {
    const where = `${alias}.org_id = ?${filter ? ` AND (${filter.where})` : ''}`
    // Unfiltered, the (org_id, created_at, id) index gives the order. Filtered, `+` keeps the
    // planner from walking that index over the whole org instead of using the filter's index
    // (userName, email, externalId): the few matches are sorted instead.
    const order = filter ? `+${alias}.created_at, +${alias}.id` : `${alias}.created_at, ${alias}.id`
    return {
      select: `SELECT ${alias}.* FROM ${table} ${alias} WHERE ${where} ORDER BY ${order} LIMIT ? OFFSET ?`,
      count: `SELECT count(*) AS n FROM ${table} ${alias} WHERE ${where}`,
    }
  }

  /** One page in stable creation order; the count query runs only when the page cannot tell. */
  function page<T>(
    table: string,
    alias: string,
    orgId: string,
    filter: SqlFilter | null,
    offset: number,
    limit: number,
  ): Page<T> {
    const sql = pageSql(table, alias, filter)
    const params: Bindings = [orgId, ...(filter?.params ?? [])]
    let rows: T[] = []
    if (limit > 0) {
      rows = statement(sql.select).all(...params, limit, offset) as T[]
      if (offset === 0 && rows.length < limit) return { rows, total: rows.length }
    }
    const counted = statement(sql.count).get(...params) as { n: number }
    return { rows, total: counted.n }
  }

  return {
    userById: (orgId: string, id: string) => userById.get(id, orgId),
    userIdByUserName: (orgId: string, userNameLower: string) =>
      userIdByName.get(orgId, userNameLower)?.id ?? null,
    userExists: (orgId: string, id: string) => userExists.get(id, orgId) !== null,
    /** False when the org already has a user with this userName (the unique index says so). */
    insertUser: (row: ScimUserRow) => unlessDuplicate(() => insertUser.run(bindings(row))),
    /**
     * Inserts the user and its `user upsert` change, at `created_at`, atomically on any handle (the
     * root store runs it as a transaction of its own); false, and nothing written, when the org
     * already has a user with this userName.
     */
    createUser(row: ScimUserRow): boolean {
      if (!unlessDuplicate(() => insertUser.run(bindings(row)))) return false
      appendChange.run(row.org_id, 'user', 'upsert', row.id, null, row.created_at)
      return true
    },
    /** False when another user of the org has this userName. */
    updateUser: (row: ScimUserRow) => unlessDuplicate(() => updateUser.run(bindings(row))),
    deleteUser: (orgId: string, id: string) => deleteUser.run(id, orgId).changes > 0,
    listUsers: (orgId: string, filter: FilterNode | null, offset: number, limit: number) =>
      page<ScimUserRow>('scim_users', 'u', orgId, filter && sqliteFilter('users', filter), offset, limit),
    /** The engine's plan for a filtered user list (diagnostics, and tests that filters use an index). */
    explainListUsers: (filter: FilterNode | null) => {
      const compiled = filter && sqliteFilter('users', filter)
      return db
        .query<{ detail: string }, Bindings>(
          `EXPLAIN QUERY PLAN ${pageSql('scim_users', 'u', compiled).select}`,
        )
        .all('', ...(compiled?.params ?? []), 1, 0)
        .map((row) => row.detail)
    },

    groupById: (orgId: string, id: string) => groupById.get(id, orgId),
    groupIdByDisplayName: (orgId: string, displayNameLower: string) =>
      groupIdByName.get(orgId, displayNameLower)?.id ?? null,
    /** False when the org already has a group with this displayName. */
    insertGroup: (row: ScimGroupRow) => unlessDuplicate(() => insertGroup.run(bindings(row))),
    /** False when another group of the org has this displayName. */
    updateGroup: (row: ScimGroupRow) => unlessDuplicate(() => updateGroup.run(bindings(row))),
    deleteGroup: (orgId: string, id: string) => deleteGroup.run(id, orgId).changes > 0,
    listGroups: (orgId: string, filter: FilterNode | null, offset: number, limit: number) =>
      page<ScimGroupRow>('scim_groups', 'g', orgId, filter && sqliteFilter('groups', filter), offset, limit),

    members: (groupId: string) => members.all(groupId),
    memberIds: (groupId: string) => memberIds.all(groupId).map((row) => row.user_id),
    groupsOfUser: (userId: string) => groupsOfUser.all(userId),
    groupIdsOfUser: (userId: string) => groupIdsOfUser.all(userId).map((row) => row.group_id),
    /** Which of `ids` are users of the org. */
    existingUserIds: (orgId: string, ids: string[]) =>
      new Set(existingUsers.all(orgId, JSON.stringify(ids)).map((row) => row.id)),
    /** The users of the org among `ids`, with the names a member filter compares (one statement). */
    usersByIds: (orgId: string, ids: string[]) => usersByIds.all(orgId, JSON.stringify(ids)),
    /** Adds memberships (the users must exist); returns the ids that were not members yet. */
    addMembers: (orgId: string, groupId: string, userIds: string[]) =>
      new Set(addMembers.all(orgId, groupId, JSON.stringify(userIds)).map((row) => row.user_id)),
    /** Removes memberships; returns the ids that were members. */
    removeMembers: (groupId: string, userIds: string[]) =>
      new Set(removeMembers.all(groupId, JSON.stringify(userIds)).map((row) => row.user_id)),

    appendChange(
      orgId: string,
      kind: ChangeKind,
      op: ChangeOp,
      resourceId: string,
      relatedId: string | null,
      at: number,
    ): void {
      appendChange.run(orgId, kind, op, resourceId, relatedId, at)
    },
    /** One entry per related id, in the given order (membership deltas of one group). */
    appendChanges(
      orgId: string,
      kind: ChangeKind,
      op: ChangeOp,
      resourceId: string,
      relatedIds: string[],
      at: number,
    ): void {
      if (relatedIds.length > 0)
        appendChanges.run(orgId, kind, op, resourceId, at, JSON.stringify(relatedIds))
    },
  }
}

export type DirectoryRepository = ReturnType<typeof directoryRepository>
