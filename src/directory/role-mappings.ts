/**
 * Role mappings: which SCIM group (by displayName, case-insensitively) gives which role. Replacing
 * them starts a full reconcile of the org, which recomputes every provisioned account's role in
 * bounded batches (highest role wins, default `member`) and emits `account.role_changed` for each
 * change.
 */
import { invalid } from '../errors.ts'
import type { Store } from '../store/index.ts'
import type { Role } from '../store/roles.ts'
import { startFullReconcile } from '../sync/reconcile.ts'

export interface RoleMapping {
  group: string
  role: Role
}

export function getRoleMappings(store: Store, orgId: string): { mappings: RoleMapping[] } {
  return { mappings: store.roles.list(orgId).map((m) => ({ group: m.group_name, role: m.role })) }
}

export function putRoleMappings(
  store: Store,
  orgId: string,
  mappings: RoleMapping[],
  actor: string,
): { mappings: RoleMapping[] } {
  const seen = new Set<string>()
  const cleaned = mappings.map((m, i) => {
    const group = m.group.trim()
    if (!group) throw invalid(`mappings.${i}.group`, 'group must not be empty')
    const key = group.toLowerCase()
    if (seen.has(key)) throw invalid(`mappings.${i}.group`, `group "${group}" is mapped twice`)
    seen.add(key)
    return { group, role: m.role }
  })
  return store.transaction(() => {
    const before = getRoleMappings(store, orgId).mappings
    store.roles.replace(orgId, cleaned)
    const reconcileStarted = startFullReconcile(store, orgId)
    store.audit.record({
      orgId,
      kind: 'admin',
      action: 'role_mappings.updated',
      outcome: 'success',
      actor,
      data: { before, after: cleaned, reconcileStarted },
    })
    return getRoleMappings(store, orgId)
  })
}
