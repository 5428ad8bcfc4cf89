/** Admin API for the Okta integration: `/api/v1/orgs/{slug}/okta`. Thin: auth, then the service. */
import { Elysia } from 'elysia'
import type { AppDeps } from '../http/context.ts'
import { ErrorBody } from '../http/errors.ts'
import { IntegrationStatusModel } from '../integration/model.ts'
import {
  integrationStatus,
  removeIntegration,
  rotateScimToken,
  setUpIntegration,
} from '../integration/service.ts'
import { adminApi } from './api.ts'
import { DryRunQuery, isDryRun, OrgSlugParams, RemovalModel, ScimTokenModel, SetUpBody } from './model.ts'

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody }

export function integrationRoutes(deps: AppDeps) {
  const { store, config } = deps
  return new Elysia({ prefix: '/api/v1/orgs/:slug', normalize: false })
    .use(adminApi(deps))
    .get('/okta', ({ org }) => integrationStatus(store, org, config.publicUrl), {
      params: OrgSlugParams,
      response: { 200: IntegrationStatusModel, ...errors },
      detail: { tags: ['Integration'], summary: 'Integration status and the values to type into Okta' },
    })
    .put(
      '/okta',
      async ({ org, actor, body }) => {
        const { scimToken } = await setUpIntegration(store, org, body, actor)
        const status = await integrationStatus(store, org, config.publicUrl)
        return scimToken ? { ...status, scimToken } : status
      },
      {
        params: OrgSlugParams,
        body: SetUpBody,
        parse: 'json',
        response: { 200: IntegrationStatusModel, ...errors },
        detail: {
          tags: ['Integration'],
          summary: 'Set up or update the integration',
          description:
            'Paste the three values from Okta. The first set-up answers with `scimToken`, the only time it is shown.',
        },
      },
    )
    .post('/okta/scim-token', ({ org, actor }) => rotateScimToken(store, org, actor), {
      params: OrgSlugParams,
      response: { 200: ScimTokenModel, ...errors },
      detail: {
        tags: ['Integration'],
        summary: 'Rotate the SCIM token (the old one stops working at once)',
      },
    })
    .delete('/okta', ({ org, actor, query }) => removeIntegration(store, org, isDryRun(query), actor), {
      params: OrgSlugParams,
      query: DryRunQuery,
      response: { 200: RemovalModel, ...errors },
      detail: {
        tags: ['Integration'],
        summary: 'Remove the integration and every user it created',
        description:
          'With `?dryRun=true` only counts. Otherwise the deletion proceeds in batches; progress in `…/sync`.',
      },
    })
}
