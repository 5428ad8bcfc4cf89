/**
 * Users, Groups and roles, Duplicates and Audit log pages, over the same admin and sync services
 * as the admin API (`src/admin/services/*`, `src/sync/resync.ts`). Forms are translated into
 * the services' inputs; every rule (validation, merging, role computation) stays in the services.
 */
import { Elysia, t } from 'elysia'
import { listAudit } from '../admin/services/audit.ts'
import { listDuplicates } from '../admin/services/duplicates.ts'
import { listGroups } from '../admin/services/groups.ts'
import { getRoleMappings, putRoleMappings, type RoleMapping } from '../admin/services/role-mappings.ts'
import { listUsers } from '../admin/services/users.ts'
import { ServiceError } from '../errors.ts'
import type { AppDeps } from '../http/context.ts'
import { redirect } from '../pages/shell.ts'
import type { AuditKind } from '../store/audit.ts'
import { type ResyncResult, resync } from '../sync/resync.ts'
import { type ConsoleContext, consolePage, consolePages } from './console.ts'
import { formatCount } from './format.ts'
import type { Flash } from './layout.ts'
import { CONSOLE_FORM, CONSOLE_PAGE, pageDoc } from './openapi.ts'
import { AUDIT_KINDS, auditPage } from './views/audit.ts'
import { duplicatesPage } from './views/duplicates.ts'
import { groupsPage } from './views/groups.ts'
import { usersPage } from './views/users.ts'

const PAGE_SIZE = 50
const SlugParams = t.Object({ slug: t.String() })
// Page queries tolerate unknown parameters (a bookmarked URL should still open).
const query = <P extends Record<string, ReturnType<typeof t.Optional>>>(props: P) =>
  t.Object(props, { additionalProperties: true })
const Text = (max = 500) => t.Optional(t.String({ maxLength: max }))

const UsersQuery = query({ q: Text(200), source: Text(10), active: Text(10), cursor: Text() })
const CursorQuery = query({ cursor: Text(), saved: Text(10), merged: Text(10) })
const AuditQuery = query({ kind: Text(10), cursor: Text() })
// The mapping form has one group/role pair per row: group-0, role-0, group-1, …
const MappingsForm = t.Object(
  { _csrf: t.String({ maxLength: 200 }) },
  { additionalProperties: t.String({ maxLength: 300 }), maxProperties: 2100 },
)
const CsrfForm = t.Object({ _csrf: t.String({ maxLength: 200 }) })

function isRole(value: string | undefined): value is RoleMapping['role'] {
  return value === 'admin' || value === 'member'
}

/** The full mapping list after the form: rows change their group's role ('' removes it). */
export function mappingsFromForm(current: RoleMapping[], form: Record<string, string>): RoleMapping[] {
  const byGroup = new Map(current.map((m) => [m.group.toLowerCase(), m]))
  for (const [key, group] of Object.entries(form)) {
    const match = /^group-(\d{1,4})$/.exec(key)
    if (!match) continue
    const role = form[`role-${match[1]}`]
    if (isRole(role)) byGroup.set(group.trim().toLowerCase(), { group: group.trim(), role })
    else byGroup.delete(group.trim().toLowerCase())
  }
  const extra = form.newGroup?.trim()
  if (extra && isRole(form.newRole)) byGroup.set(extra.toLowerCase(), { group: extra, role: form.newRole })
  return [...byGroup.values()]
}

export function directoryPageRoutes(deps: AppDeps) {
  const { store } = deps

  const groups = async (
    context: ConsoleContext,
    cursor: string | undefined,
    flashes: Flash[],
    status = 200,
  ): Promise<Response> => {
    const [page, { mappings }] = await Promise.all([
      listGroups(store, context.org.id, { limit: PAGE_SIZE, cursor }),
      getRoleMappings(store, context.org.id),
    ])
    const body = groupsPage({
      basePath: context.basePath,
      csrfToken: context.admin.csrfToken,
      groups: page.items,
      mappings,
      cursor,
      nextCursor: page.nextCursor,
    })
    return consolePage(context, 'Groups and roles', 'groups', body, { flashes, status })
  }

  return new Elysia({ prefix: '/orgs/:slug/admin', normalize: false })
    .use(consolePages(deps))
    .get(
      '/users',
      async (context) => {
        const { query } = context
        const source = query.source === 'okta' || query.source === 'local' ? query.source : undefined
        const active = query.active === 'true' || query.active === 'false' ? query.active : undefined
        const q = query.q?.trim() || undefined
        const page = await listUsers(store, context.org.id, {
          q,
          source,
          active,
          cursor: query.cursor,
          limit: PAGE_SIZE,
        })
        const body = usersPage({
          basePath: context.basePath,
          filters: { q, source, active, cursor: query.cursor },
          users: page.items,
          nextCursor: page.nextCursor,
        })
        return consolePage(context, 'Users', 'users', body)
      },
      {
        params: SlugParams,
        query: UsersQuery,
        admin: true,
        detail: pageDoc('Console', 'Users', { 200: 'The users page', ...CONSOLE_PAGE }),
      },
    )
    .get(
      '/groups',
      (context) =>
        groups(
          context,
          context.query.cursor,
          context.query.saved
            ? [{ kind: 'ok', text: 'Role mappings saved; a full reconcile applies them.' }]
            : [],
        ),
      {
        params: SlugParams,
        query: CursorQuery,
        admin: true,
        detail: pageDoc('Console', 'Groups and role mappings', { 200: 'The groups page', ...CONSOLE_PAGE }),
      },
    )
    .post(
      '/groups/mappings',
      async (context) => {
        const current = (await getRoleMappings(store, context.org.id)).mappings
        const form = context.body as Record<string, string>
        try {
          await putRoleMappings(store, context.org.id, mappingsFromForm(current, form), context.actor)
        } catch (error) {
          if (error instanceof ServiceError && error.status < 500) {
            return groups(context, undefined, [{ kind: 'error', text: error.message }], error.status)
          }
          throw error
        }
        return redirect(`${context.basePath}/admin/groups?saved=1`)
      },
      {
        params: SlugParams,
        body: MappingsForm,
        parse: ['urlencoded', 'formdata'],
        admin: { form: '/admin/groups' },
        detail: pageDoc('Console', 'Save the group → role mappings (form post)', {
          303: 'Saved: back to the groups page',
          ...CONSOLE_FORM,
        }),
      },
    )
    .get(
      '/duplicates',
      async (context) => {
        const { query } = context
        const page = await listDuplicates(store, context.org.id, { limit: PAGE_SIZE, cursor: query.cursor })
        let preview: ResyncResult | null = null
        let notConfigured = false
        try {
          preview = await resync(store, context.org, { dryRun: true, actor: context.actor })
        } catch (error) {
          if (!(error instanceof ServiceError) || error.status >= 500) throw error
          notConfigured = error.code === 'NOT_CONFIGURED'
        }
        const merged = Number(query.merged)
        const flashes: Flash[] =
          Number.isInteger(merged) && query.merged !== undefined
            ? [{ kind: 'ok', text: `${formatCount(merged, 'pair')} merged; a full reconcile is running.` }]
            : []
        const body = duplicatesPage({
          basePath: context.basePath,
          csrfToken: context.admin.csrfToken,
          pairs: page.items,
          preview,
          notConfigured,
          cursor: query.cursor,
          nextCursor: page.nextCursor,
        })
        return consolePage(context, 'Duplicates', 'duplicates', body, { flashes })
      },
      {
        params: SlugParams,
        query: CursorQuery,
        admin: true,
        detail: pageDoc('Console', 'Duplicates', { 200: 'The duplicates page', ...CONSOLE_PAGE }),
      },
    )
    .post(
      '/duplicates/merge',
      async (context) => {
        const result = await resync(store, context.org, { dryRun: false, actor: context.actor })
        return redirect(`${context.basePath}/admin/duplicates?merged=${result.merges.length}`)
      },
      {
        params: SlugParams,
        body: CsrfForm,
        parse: ['urlencoded', 'formdata'],
        admin: { form: '/admin/duplicates' },
        detail: pageDoc('Console', 'Merge every duplicate (form post)', {
          303: 'Merged: back to the duplicates page',
          ...CONSOLE_FORM,
        }),
      },
    )
    .get(
      '/audit',
      async (context) => {
        const { query } = context
        const kind = (AUDIT_KINDS as readonly string[]).includes(query.kind ?? '')
          ? (query.kind as AuditKind)
          : undefined
        const page = await listAudit(store, context.org.id, {
          kind,
          cursor: query.cursor,
          limit: PAGE_SIZE,
        })
        const body = auditPage({
          basePath: context.basePath,
          kind,
          entries: page.items,
          cursor: query.cursor,
          nextCursor: page.nextCursor,
        })
        return consolePage(context, 'Audit log', 'audit', body)
      },
      {
        params: SlugParams,
        query: AuditQuery,
        admin: true,
        detail: pageDoc('Console', 'Audit log', { 200: 'The audit log page', ...CONSOLE_PAGE }),
      },
    )
}
