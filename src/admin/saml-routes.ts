/**
 * Admin API extras for SAML: the SP encryption key pair (`…/okta/sp-keys`) and the end of an IdP
 * certificate rollover (`…/okta/certificate/retire`). Thin: auth, then the service.
 */
import { Elysia, t } from 'elysia'
import type { AppDeps } from '../http/context.ts'
import { ErrorBody } from '../http/errors.ts'
import { CertificateInfoModel, IntegrationStatusModel } from '../integration/model.ts'
import { integrationStatus } from '../integration/service.ts'
import { generateSpKeys, removeSpKeys, retireCurrentCertificate, spKeyStatus } from '../saml/sp-keys.ts'
import { adminApi } from './api.ts'
import { OrgSlugParams } from './model.ts'

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody }

export const SpKeysModel = t.Object(
  {
    certificate: t.Union([t.String(), t.Null()], {
      description:
        'PEM certificate to paste into Okta as "Encryption Certificate"; null when encryption is off',
    }),
    info: t.Union([CertificateInfoModel, t.Null()]),
  },
  { title: 'SpEncryptionKeys' },
)

export function samlAdminRoutes(deps: AppDeps) {
  const { store, config } = deps
  return new Elysia({ prefix: '/api/v1/orgs/:slug/okta', normalize: false })
    .use(adminApi(deps))
    .get('/sp-keys', ({ org }) => spKeyStatus(store, org), {
      params: OrgSlugParams,
      response: { 200: SpKeysModel, ...errors },
      detail: { tags: ['Integration'], summary: 'The SP encryption certificate, if any' },
    })
    .post('/sp-keys', ({ org, actor }) => generateSpKeys(store, org, actor), {
      params: OrgSlugParams,
      response: { 200: SpKeysModel, ...errors },
      detail: {
        tags: ['Integration'],
        summary: 'Generate (or replace) the SP encryption key pair',
        description:
          'Answers with the certificate to paste into Okta (SAML settings → Assertion Encryption → Encryption Certificate). It is also in the SP metadata.',
      },
    })
    .delete('/sp-keys', ({ org, actor }) => removeSpKeys(store, org, actor), {
      params: OrgSlugParams,
      response: { 200: SpKeysModel, ...errors },
      detail: {
        tags: ['Integration'],
        summary: 'Remove the SP encryption key pair (encrypted assertions are then refused)',
      },
    })
    .post(
      '/certificate/retire',
      async ({ org, actor }) => {
        await retireCurrentCertificate(store, org, actor)
        return integrationStatus(store, org, config.publicUrl)
      },
      {
        params: OrgSlugParams,
        response: { 200: IntegrationStatusModel, ...errors },
        detail: {
          tags: ['Integration'],
          summary: 'End a certificate rollover: the next IdP certificate becomes the current one',
          description:
            'Until then responses signed with either the current or the next certificate are accepted. 409 when no next certificate is set.',
        },
      },
    )
}
