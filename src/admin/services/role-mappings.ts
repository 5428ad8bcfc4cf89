/**
 * Role mappings: which SCIM group (by displayName, case-insensitively) gives which role. Replacing
 * them starts a full reconcile of the org, which recomputes every provisioned account's role in
 * bounded batches (highest role wins, default `member`) and emits `account.role_changed` for each
 * change.
 */
import { invalid } from '../../errors.ts'
import type { Repositories, Store } from '../../store/index.ts'
import type { Role } from '../../store/roles.ts'
import { startFullReconcile } from '../../sync/reconcile.ts'

export interface RoleMapping {
  group: string
  role: Role
}

export async function getRoleMappings(
  store: Repositories,
  orgId: string,
): Promise<{ mappings: RoleMapping[] }> {
  return { mappings: (await store.roles.list(orgId)).map((m) => ({ group: m.group_name, role: m.role })) }
}

export async function putRoleMappings(
  store: Store,
  orgId: string,
  mappings: RoleMapping[],
  actor: string,
): Promise<{ mappings: RoleMapping[] }> {
  const seen = new Set<string>()
  const cleaned = mappings.map((m, i) => {
    const group = m.group.trim()
    if (!group) throw invalid(`mappings.${i}.group`, 'group must not be empty')
    const key = group.toLowerCase()
    if (seen.has(key)) throw invalid(`mappings.${i}.group`, `group "${group}" is mapped twice`)
    seen.add(key)
    return { group, role: m.role }
  })
  return store.transaction(async (tx) => {
    const before = (await getRoleMappings(tx, orgId)).mappings
    await tx.roles.replace(orgId, cleaned)
    const reconcileStarted = await startFullReconcile(tx, orgId)
    await tx.audit.record({
      orgId,
      kind: 'admin',
      action: 'role_mappings.updated',
      outcome: 'success',
      actor,
      data: { before, after: cleaned, reconcileStarted },
    })
    return getRoleMappings(tx, orgId)
  })
}
