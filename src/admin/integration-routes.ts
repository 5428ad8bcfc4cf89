/** Admin API for the Okta integration: `/api/v1/orgs/{slug}/okta`. Thin: auth, then the service. */
import { Elysia } from 'elysia'
import type { AppDeps } from '../http/context.ts'
import { ErrorBody } from '../http/errors.ts'
import { metadataDepsOf, refreshMetadataNow } from '../integration/metadata.ts'
import { IntegrationStatusModel } from '../integration/model.ts'
import { integrationStatus, removeIntegration, rotateScimToken } from '../integration/service.ts'
import { configureIntegration } from '../integration/set-up.ts'
import { adminApi } from './api.ts'
import { DryRunQuery, isDryRun, OrgSlugParams, RemovalModel, ScimTokenModel, SetUpBody } from './model.ts'

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody }

export function integrationRoutes(deps: AppDeps) {
  const { store, config } = deps
  const metadata = metadataDepsOf(config, deps.metrics)
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
        const { scimToken } = await configureIntegration(store, org, body, metadata, actor)
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
            "Either the three values from Okta (`ssoUrl`, `issuer`, `certificate`), or the IdP's metadata: `metadataUrl` (fetched now and refreshed every METADATA_REFRESH_INTERVAL; new signing certificates are staged as next, vanished ones retired) or `metadataXml`. Unusable metadata is a 400 naming the field. The first set-up answers with `scimToken`, the only time it is shown.",
        },
      },
    )
    .post(
      '/okta/metadata/refresh',
      async ({ org }) => {
        await refreshMetadataNow(store, org, metadata)
        return integrationStatus(store, org, config.publicUrl)
      },
      {
        params: OrgSlugParams,
        response: { 200: IntegrationStatusModel, ...errors },
        detail: {
          tags: ['Integration'],
          summary: 'Fetch the IdP metadata again now',
          description:
            'Answers the status: a failed fetch keeps the last good values and shows `metadataError`. 409 `NO_METADATA_URL` when the integration was not set up from a metadata URL, `REFRESH_IN_PROGRESS` while a refresh runs.',
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
