/**
 * Writes the SCIM directory the way the SCIM API does — the row change and its `directory_changes`
 * entry in one transaction, in the documented shape (kind user|group|membership, op
 * upsert|delete|add|remove, membership: resource = group, related = user). Used by sync tests and
 * benchmarks to push large directories fast; end-to-end tests use the real SCIM HTTP API instead.
 */
import { newId } from '../../src/store/ids.ts'
import type { Store } from '../../src/store/index.ts'

export interface UserInput {
  id?: string
  userName: string
  email?: string | null
  givenName?: string
  familyName?: string
  displayName?: string
  active?: boolean
  externalId?: string
}

export function directoryWriter(store: Store, orgId: string) {
  const db = store.db
  const change = db.query(
    'INSERT INTO directory_changes (org_id, kind, op, resource_id, related_id, at) VALUES (?, ?, ?, ?, ?, ?)',
  )
  const upsertUser = db.query(
    `INSERT INTO scim_users (id, org_id, user_name, user_name_lower, external_id, email_lower, display_name,
       given_name, family_name, active, resource, version, created_at, updated_at)
     VALUES (?1, ?2, ?3, lower(?3), ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1, ?11, ?11)
     ON CONFLICT (id) DO UPDATE SET user_name = excluded.user_name, user_name_lower = excluded.user_name_lower,
       external_id = excluded.external_id, email_lower = excluded.email_lower, display_name = excluded.display_name,
       given_name = excluded.given_name, family_name = excluded.family_name, active = excluded.active,
       resource = excluded.resource, version = scim_users.version + 1, updated_at = excluded.updated_at`,
  )
  const deleteUser = db.query('DELETE FROM scim_users WHERE org_id = ? AND id = ?')
  const upsertGroup = db.query(
    `INSERT INTO scim_groups (id, org_id, display_name, display_name_lower, external_id, resource, version,
       created_at, updated_at) VALUES (?1, ?2, ?3, lower(?3), NULL, ?4, 1, ?5, ?5)
     ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name,
       display_name_lower = excluded.display_name_lower, resource = excluded.resource,
       version = scim_groups.version + 1, updated_at = excluded.updated_at`,
  )
  const deleteGroup = db.query('DELETE FROM scim_groups WHERE org_id = ? AND id = ?')
  const membersOf = db.query<{ user_id: string }, [string]>(
    'SELECT user_id FROM scim_memberships WHERE group_id = ?',
  )
  const groupsOf = db.query<{ group_id: string }, [string]>(
    'SELECT group_id FROM scim_memberships WHERE user_id = ?',
  )
  const addMember = db.query(
    'INSERT OR IGNORE INTO scim_memberships (org_id, group_id, user_id) VALUES (?, ?, ?)',
  )
  const removeMember = db.query('DELETE FROM scim_memberships WHERE group_id = ? AND user_id = ?')

  const writeUser = (input: UserInput, now: number): string => {
    const id = input.id ?? newId()
    const email = input.email === undefined ? input.userName : input.email
    const resource = {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      id,
      userName: input.userName,
      name: { givenName: input.givenName ?? null, familyName: input.familyName ?? null },
      displayName: input.displayName ?? null,
      emails: email ? [{ value: email, type: 'work', primary: true }] : [],
      active: input.active ?? true,
      externalId: input.externalId ?? null,
    }
    upsertUser.run(
      id,
      orgId,
      input.userName,
      input.externalId ?? null,
      email ? email.toLowerCase() : null,
      input.displayName ?? null,
      input.givenName ?? null,
      input.familyName ?? null,
      input.active === false ? 0 : 1,
      JSON.stringify(resource),
      now,
    )
    change.run(orgId, 'user', 'upsert', id, null, now)
    return id
  }

  return {
    /** Creates or replaces a user (and appends its change); returns its id. */
    user: (input: UserInput, now = Date.now()) => store.transaction(() => writeUser(input, now)),
    /** Many users in one transaction (benchmarks). */
    users: (inputs: UserInput[], now = Date.now()) =>
      store.transaction(() => inputs.map((u) => writeUser(u, now))),
    deleteUser(id: string, now = Date.now()): void {
      store.transaction(() => {
        for (const { group_id } of groupsOf.all(id))
          change.run(orgId, 'membership', 'remove', group_id, id, now)
        deleteUser.run(orgId, id)
        change.run(orgId, 'user', 'delete', id, null, now)
      })
    },
    group(displayName: string, id: string = newId(), now = Date.now()): string {
      const resource = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], id, displayName }
      store.transaction(() => {
        upsertGroup.run(id, orgId, displayName, JSON.stringify(resource), now)
        change.run(orgId, 'group', 'upsert', id, null, now)
      })
      return id
    },
    deleteGroup(id: string, now = Date.now()): void {
      store.transaction(() => {
        for (const { user_id } of membersOf.all(id))
          change.run(orgId, 'membership', 'remove', id, user_id, now)
        deleteGroup.run(orgId, id)
        change.run(orgId, 'group', 'delete', id, null, now)
      })
    },
    addMembers(groupId: string, userIds: string[], now = Date.now()): void {
      store.transaction(() => {
        for (const userId of userIds) {
          if (addMember.run(orgId, groupId, userId).changes > 0)
            change.run(orgId, 'membership', 'add', groupId, userId, now)
        }
      })
    },
    removeMembers(groupId: string, userIds: string[], now = Date.now()): void {
      store.transaction(() => {
        for (const userId of userIds) {
          if (removeMember.run(groupId, userId).changes > 0)
            change.run(orgId, 'membership', 'remove', groupId, userId, now)
        }
      })
    },
  }
}

export type DirectoryWriter = ReturnType<typeof directoryWriter>
