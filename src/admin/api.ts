/**
 * The admin API plugin every `/api/v1/orgs/{slug}/…` module starts with:
 *
 *   new Elysia({ prefix: '/api/v1/orgs/:slug', normalize: false }).use(adminApi(deps)).get(…)
 *
 * Its routes receive `org` and `actor` (src/admin/principal.ts: API key, or the console cookie with
 * its CSRF header), and their errors answer in the admin API's JSON. Both hooks are `scoped` on
 * purpose: they reach the module that uses the plugin, and no further.
 */
import { Elysia } from 'elysia'
import type { AppDeps } from '../http/context.ts'
import { adminErrors, answerWith } from '../http/error-surfaces.ts'
import { authenticateAdmin } from './principal.ts'

export function adminApi(deps: AppDeps) {
  const { store, config, log } = deps
  return (
    new Elysia()
      .onError({ as: 'scoped' }, answerWith(adminErrors(log)))
      // `derive` (not `resolve`) so the credential is checked before the body is validated: a caller
      // without one gets 401, and another org's caller 404, not a validation message about a body.
      .derive({ as: 'scoped' }, ({ params, request }) =>
        authenticateAdmin(store, (params as { slug: string }).slug, request, config.publicUrl),
      )
  )
}
