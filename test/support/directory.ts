/**
 * Writes the SCIM directory the way the SCIM API does — the row change and its `directory_changes`
 * entry in one transaction, in the documented shape (kind user|group|membership, op
 * upsert|delete|add|remove, membership: resource = group, related = user). Used by sync tests and
 * benchmarks to push large directories fast; end-to-end tests use the real SCIM HTTP API instead.
 * It goes through the store's directory repository (no SQL here), so it runs on every engine.
 */
import { newId } from '../../src/store/ids.ts'
import type { Repositories, Store } from '../../src/store/index.ts'
import type { ScimUserRow } from '../../src/store/scim.ts'

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
  /** Creates or replaces (by id) a user row: a replace keeps created_at and bumps the version. */
  const writeUser = async (tx: Repositories, input: UserInput, now: number): Promise<string> => {
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
    const existing = await tx.directory.userById(orgId, id)
    const row: ScimUserRow = {
      id,
      org_id: orgId,
      user_name: input.userName,
      user_name_lower: input.userName.toLowerCase(),
      external_id: input.externalId ?? null,
      email_lower: email ? email.toLowerCase() : null,
      display_name: input.displayName ?? null,
      given_name: input.givenName ?? null,
      family_name: input.familyName ?? null,
      active: input.active === false ? 0 : 1,
      resource: JSON.stringify(resource),
      version: existing ? existing.version + 1 : 1,
      created_at: existing ? existing.created_at : now,
      updated_at: now,
    }
    const written = existing ? await tx.directory.updateUser(row) : await tx.directory.insertUser(row)
    if (!written) throw new Error(`directoryWriter: userName ${input.userName} is taken in the org`)
    await tx.directory.appendChange(orgId, 'user', 'upsert', id, null, now)
    return id
  }

  return {
    /** Creates or replaces a user (and appends its change); returns its id. */
    user: (input: UserInput, now = Date.now()): Promise<string> =>
      store.transaction((tx) => writeUser(tx, input, now)),
    /** Many users in one transaction (benchmarks). */
    users: (inputs: UserInput[], now = Date.now()): Promise<string[]> =>
      store.transaction(async (tx) => {
        const ids: string[] = []
        for (const input of inputs) ids.push(await writeUser(tx, input, now))
        return ids
      }),
    deleteUser: (id: string, now = Date.now()): Promise<void> =>
      store.transaction(async (tx) => {
        for (const groupId of await tx.directory.groupIdsOfUser(id))
          await tx.directory.appendChange(orgId, 'membership', 'remove', groupId, id, now)
        await tx.directory.deleteUser(orgId, id)
        await tx.directory.appendChange(orgId, 'user', 'delete', id, null, now)
      }),
    /** Creates or renames (by id) a group; returns its id. */
    async group(displayName: string, id: string = newId(), now = Date.now()): Promise<string> {
      const resource = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], id, displayName }
      await store.transaction(async (tx) => {
        const existing = await tx.directory.groupById(orgId, id)
        const row = {
          id,
          org_id: orgId,
          display_name: displayName,
          display_name_lower: displayName.toLowerCase(),
          external_id: existing ? existing.external_id : null,
          resource: JSON.stringify(resource),
          version: existing ? existing.version + 1 : 1,
          created_at: existing ? existing.created_at : now,
          updated_at: now,
        }
        const written = existing ? await tx.directory.updateGroup(row) : await tx.directory.insertGroup(row)
        if (!written) throw new Error(`directoryWriter: group ${displayName} already exists in the org`)
        await tx.directory.appendChange(orgId, 'group', 'upsert', id, null, now)
      })
      return id
    },
    deleteGroup: (id: string, now = Date.now()): Promise<void> =>
      store.transaction(async (tx) => {
        for (const userId of await tx.directory.memberIds(id))
          await tx.directory.appendChange(orgId, 'membership', 'remove', id, userId, now)
        await tx.directory.deleteGroup(orgId, id)
        await tx.directory.appendChange(orgId, 'group', 'delete', id, null, now)
      }),
    /** Adds memberships (the users must exist); appends a change for each new one, in input order. */
    addMembers: (groupId: string, userIds: string[], now = Date.now()): Promise<void> =>
      store.transaction(async (tx) => {
        const added = await tx.directory.addMembers(orgId, groupId, userIds)
        const ordered = [...new Set(userIds)].filter((userId) => added.has(userId))
        await tx.directory.appendChanges(orgId, 'membership', 'add', groupId, ordered, now)
      }),
    removeMembers: (groupId: string, userIds: string[], now = Date.now()): Promise<void> =>
      store.transaction(async (tx) => {
        const removed = await tx.directory.removeMembers(groupId, userIds)
        const ordered = [...new Set(userIds)].filter((userId) => removed.has(userId))
        await tx.directory.appendChanges(orgId, 'membership', 'remove', groupId, ordered, now)
      }),
  }
}

export type DirectoryWriter = ReturnType<typeof directoryWriter>
