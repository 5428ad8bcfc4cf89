/**
 * Admin API for users (list, create local), groups, role mappings, duplicates and the audit log,
 * under `/api/v1/orgs/{slug}/…`. Thin: auth, then the admin services in `src/admin/services/`,
 * which the console's pages (src/web/directory-pages.ts) call too.
 */
import { Elysia } from 'elysia'
import type { AppDeps } from '../http/context.ts'
import { ErrorBody } from '../http/errors.ts'
import { adminApi } from './api.ts'
import {
  AuditPageModel,
  AuditQuery,
  DuplicatePageModel,
  GroupPageModel,
  NewUserBody,
  PageQuery,
  RoleMappingsModel,
  UserItemModel,
  UserListQuery,
  UserPageModel,
} from './directory-model.ts'
import { OrgSlugParams } from './model.ts'
import { listAudit } from './services/audit.ts'
import { listDuplicates } from './services/duplicates.ts'
import { listGroups } from './services/groups.ts'
import { getRoleMappings, putRoleMappings } from './services/role-mappings.ts'
import { createLocalUser, listUsers } from './services/users.ts'

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody }
const tags = ['Directory']

export function directoryRoutes(deps: AppDeps) {
  const { store } = deps
  return new Elysia({ prefix: '/api/v1/orgs/:slug', normalize: false })
    .use(adminApi(deps))
    .get('/users', ({ org, query }) => listUsers(store, org.id, query), {
      params: OrgSlugParams,
      query: UserListQuery,
      response: { 200: UserPageModel, ...errors },
      detail: {
        tags,
        summary: 'List the accounts of the org',
        description:
          'Provisioned and local accounts, oldest first. Filters combine; `q` searches email and name. Paginate with `cursor`.',
      },
    })
    .post(
      '/users',
      async ({ org, actor, body, set }) => {
        const user = await createLocalUser(store, org.id, body, actor)
        set.status = 201
        return user
      },
      {
        params: OrgSlugParams,
        body: NewUserBody,
        parse: 'json',
        response: { 201: UserItemModel, ...errors, 409: ErrorBody },
        detail: {
          tags,
          summary: 'Create a local account',
          description:
            'An account that exists outside the integration, with optional linked GitHub/Bitbucket identities. ' +
            'A provisioned user with the same email (or a linked email) is recorded as a duplicate, not a second account.',
        },
      },
    )
    .get('/groups', ({ org, query }) => listGroups(store, org.id, query), {
      params: OrgSlugParams,
      query: PageQuery,
      response: { 200: GroupPageModel, ...errors },
      detail: { tags, summary: 'List the SCIM groups with member counts and mapped roles' },
    })
    .get('/role-mappings', ({ org }) => getRoleMappings(store, org.id), {
      params: OrgSlugParams,
      response: { 200: RoleMappingsModel, ...errors },
      detail: { tags, summary: 'Group → role mappings' },
    })
    .put('/role-mappings', ({ org, actor, body }) => putRoleMappings(store, org.id, body.mappings, actor), {
      params: OrgSlugParams,
      body: RoleMappingsModel,
      parse: 'json',
      response: { 200: RoleMappingsModel, ...errors },
      detail: {
        tags,
        summary: 'Replace the group → role mappings',
        description:
          'Highest role wins, default `member`. Roles are recomputed by a full reconcile that starts at once ' +
          '(progress in `…/sync`); each change appears as `account.role_changed` in `…/events`.',
      },
    })
    .get('/duplicates', ({ org, query }) => listDuplicates(store, org.id, query), {
      params: OrgSlugParams,
      query: PageQuery,
      response: { 200: DuplicatePageModel, ...errors },
      detail: {
        tags,
        summary: 'Provisioned users that match a pre-existing account',
        description: 'Merge them with `POST …/resync` (preview with `?dryRun=true`).',
      },
    })
    .get('/audit', ({ org, query }) => listAudit(store, org.id, query), {
      params: OrgSlugParams,
      query: AuditQuery,
      response: { 200: AuditPageModel, ...errors },
      detail: { tags, summary: 'The audit log, newest first' },
    })
}
