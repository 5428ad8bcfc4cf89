/**
 * Admin API for who may act on an org: its API keys (`…/api-keys`) and its admins (`…/admins`).
 * Thin: auth, then `orgs/credentials.ts`. A revoked key's next request is 401; a removed admin's
 * console cookie and API-by-cookie stop on their next request; the last admin cannot be removed
 * here (409 LAST_ADMIN). Every change is audited with the caller as actor.
 */
import { Elysia, t } from 'elysia'
import type { AppDeps } from '../http/context.ts'
import { ErrorBody } from '../http/errors.ts'
import { listAdmins, listApiKeys, removeAdmin, revokeApiKey, setAdminPassword } from '../orgs/credentials.ts'
import { createAdmin, createApiKey } from '../orgs/service.ts'
import {
  AdminListModel,
  AdminParams,
  ApiKeyListModel,
  ApiKeyParams,
  CreatedAdminModel,
  CreatedApiKeyModel,
  NewAdminBody,
  NewApiKeyBody,
  PasswordBody,
} from './access-model.ts'
import { adminApi } from './api.ts'
import { OrgSlugParams } from './model.ts'
import { currentAdmin } from './session.ts'

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody }
const tags = ['Access']
const noContent = () => new Response(null, { status: 204, headers: { 'cache-control': 'no-store' } })
// Documented as an empty answer; the handlers return a bodiless Response, which is not validated.
const NoContent = t.Void({ description: 'Done; no body' })

export function accessRoutes(deps: AppDeps) {
  const { store } = deps
  return new Elysia({ prefix: '/api/v1/orgs/:slug', normalize: false })
    .use(adminApi(deps))
    .get('/api-keys', async ({ org }) => ({ items: await listApiKeys(store, org) }), {
      params: OrgSlugParams,
      response: { 200: ApiKeyListModel, ...errors },
      detail: {
        tags,
        summary: "List the org's admin API keys",
        description: 'Oldest first. Never the key or its hash: a key is shown only when it is created.',
      },
    })
    .post(
      '/api-keys',
      async ({ org, actor, body, set }) => {
        const created = await createApiKey(store, { orgSlug: org.slug, name: body.name, actor })
        set.status = 201
        return created
      },
      {
        params: OrgSlugParams,
        body: NewApiKeyBody,
        parse: 'json',
        response: { 201: CreatedApiKeyModel, ...errors },
        detail: { tags, summary: 'Create an admin API key (the key is in this answer only)' },
      },
    )
    .delete(
      '/api-keys/:id',
      async ({ org, actor, params }) => {
        await revokeApiKey(store, org, params.id, actor)
        return noContent()
      },
      {
        params: ApiKeyParams,
        response: { 204: NoContent, ...errors },
        detail: {
          tags,
          summary: 'Revoke an admin API key',
          description: 'The key stops at once: its next request gets 401. A key may revoke itself.',
        },
      },
    )
    .get('/admins', async ({ org }) => ({ items: await listAdmins(store, org) }), {
      params: OrgSlugParams,
      response: { 200: AdminListModel, ...errors },
      detail: { tags, summary: 'List the admins of the org' },
    })
    .post(
      '/admins',
      async ({ org, actor, body, set }) => {
        const admin = await createAdmin(store, {
          orgSlug: org.slug,
          email: body.email,
          password: body.password,
          actor,
          breakGlass: body.breakGlass,
        })
        set.status = 201
        // A password the caller sent is not echoed; a generated one is shown this once.
        return {
          id: admin.id,
          email: admin.email,
          ...(admin.generated ? { password: admin.password } : {}),
          breakGlass: admin.breakGlass,
        }
      },
      {
        params: OrgSlugParams,
        body: NewAdminBody,
        parse: 'json',
        response: { 201: CreatedAdminModel, ...errors, 409: ErrorBody },
        detail: {
          tags,
          summary: 'Add an admin',
          description:
            'Without `password` a strong one is generated and returned once. `breakGlass: true` keeps password sign-in for this admin while the org requires SSO for admins (`requireSsoForAdmins`). 409 `ADMIN_EXISTS` for a known email.',
        },
      },
    )
    .delete(
      '/admins/:id',
      async ({ org, actor, params }) => {
        await removeAdmin(store, org, params.id, { actor })
        return noContent()
      },
      {
        params: AdminParams,
        response: { 204: NoContent, ...errors, 409: ErrorBody },
        detail: {
          tags,
          summary: 'Remove an admin and end their sessions',
          description:
            'Their console session and API-by-cookie stop on the next request. ' +
            'The last admin of the org is kept: 409 `LAST_ADMIN`.',
        },
      },
    )
    .put(
      '/admins/:id/password',
      async ({ org, actor, params, body, request }) => {
        // An admin changing their own password with the console cookie keeps that session; the
        // console's sign-in code is the one that knows which cookie that is.
        const keepSessionToken =
          actor === `admin:${params.id}`
            ? (await currentAdmin(store, org, request, deps.config.publicUrl))?.token
            : undefined
        await setAdminPassword(store, org, params.id, { password: body.password, actor, keepSessionToken })
        return noContent()
      },
      {
        params: AdminParams,
        body: PasswordBody,
        parse: 'json',
        response: { 204: NoContent, ...errors },
        detail: {
          tags,
          summary: "Set an admin's password and end their other sessions",
          description:
            'Every session of that admin ends, except the one making the request when an admin changes ' +
            'their own password with the console cookie.',
        },
      },
    )
}
