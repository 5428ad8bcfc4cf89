/**
 * What `PUT …/okta` refuses when set up from metadata, each a 400 naming the field and nothing
 * stored: a document over 1 MB, text that is not XML, a DTD, two IdP entities, no SingleSignOnService
 * in a supported binding, no signing certificate; a private address without ALLOW_PRIVATE_OUTBOUND
 * (the outbound guard), plain http to a public host, and a mix of metadata and manual fields.
 * Pasted XML works like a URL without the refresh.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createTestApp, jsonBody, seedOrg, type TestApp } from '../support/app.ts'
import { selfSigned } from '../support/certs.ts'
import { idpMetadataXml, type MetadataServer, metadataServer } from '../support/idp-metadata.ts'
import { OKTA_SSO_URL } from '../support/saml.ts'

const cert = () => selfSigned('refusal-idp').certificate

let app: TestApp
let guarded: TestApp
let idp: MetadataServer
let auth: Record<string, string>
let guardedAuth: Record<string, string>
let orgId: string

beforeAll(async () => {
  app = createTestApp({ allowPrivateOutbound: true })
  guarded = createTestApp({ allowPrivateOutbound: false })
  const seeded = await seedOrg(app.store, 'acme')
  auth = seeded.auth
  orgId = seeded.org.id
  guardedAuth = (await seedOrg(guarded.store, 'acme')).auth
  idp = metadataServer()
})

afterAll(() => idp.stop())

async function put(
  target: TestApp,
  headers: Record<string, string>,
  body: Record<string, unknown>,
  slug = 'acme',
) {
  const response = await target.request(`/api/v1/orgs/${slug}/okta`, {
    method: 'PUT',
    ...jsonBody(body, headers),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

const errorOf = (body: Record<string, unknown>) =>
  body.error as { code: string; message: string; field?: string }

describe('metadata that cannot be used is refused, naming the field', () => {
  const cases: Array<[string, () => string, string]> = [
    ['not XML', () => 'this is not metadata', 'not well-formed'],
    ['a DTD', () => `<!DOCTYPE x [<!ENTITY a "b">]>${idpMetadataXml({ certificates: [cert()] })}`, 'DTD'],
    [
      'two IdP entities',
      () =>
        `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">${[1, 2]
          .map((n) =>
            idpMetadataXml({ certificates: [cert()], entityId: `http://idp${n}.example` }).replace(
              /^<\?xml[^>]*>/,
              '',
            ),
          )
          .join('')}</md:EntitiesDescriptor>`,
      '2 identity providers',
    ],
    [
      'no SSO endpoint',
      () => idpMetadataXml({ certificates: [cert()], ssoBindings: [] }),
      'no SingleSignOnService',
    ],
    [
      'only an encryption certificate',
      () => idpMetadataXml({ certificates: [cert()], use: 'encryption' }),
      'no signing certificate',
    ],
    [
      'no IdP at all',
      () => '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>',
      'no identity provider',
    ],
  ]
  for (const [name, xml, message] of cases) {
    test(`${name}, by URL and pasted`, async () => {
      idp.serve(xml())
      const byUrl = await put(app, auth, { metadataUrl: idp.url() })
      expect(byUrl.status).toBe(400)
      expect(errorOf(byUrl.body)).toMatchObject({ code: 'INVALID_INPUT', field: 'metadataUrl' })
      expect(errorOf(byUrl.body).message).toContain(message)
      const pasted = await put(app, auth, { metadataXml: xml() })
      expect(pasted.status).toBe(400)
      expect(errorOf(pasted.body).field).toBe('metadataXml')
      expect(errorOf(pasted.body).message).toContain(message)
      expect(await app.store.integrations.get(orgId)).toBeNull()
    })
  }

  test('a document over 1 MB is refused without reading it all', async () => {
    const padding = `<!--${'x'.repeat(1024 * 1024)}-->`
    idp.serve(
      idpMetadataXml({ certificates: [cert()] }).replace(
        '<md:IDPSSODescriptor',
        `${padding}<md:IDPSSODescriptor`,
      ),
    )
    const { status, body } = await put(app, auth, { metadataUrl: idp.url() })
    expect(status).toBe(400)
    expect(errorOf(body).message).toContain('larger than 1 MB')
  })

  test('an SSO endpoint in neither supported binding is refused; POST alone is used', async () => {
    const artifact = idpMetadataXml({ certificates: [cert()] }).replace(
      /urn:oasis:names:tc:SAML:2\.0:bindings:HTTP-(POST|Redirect)"/g,
      'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact"',
    )
    expect((await put(app, auth, { metadataXml: artifact })).status).toBe(400)
    const other = await seedOrg(app.store, 'globex')
    const postOnly = await put(
      app,
      other.auth,
      { metadataXml: idpMetadataXml({ certificates: [cert()], ssoBindings: ['HTTP-POST'], sloUrl: null }) },
      'globex',
    )
    expect(postOnly.status).toBe(200)
    expect(postOnly.body.ssoUrl).toBe(`${OKTA_SSO_URL}?binding=post`)
    expect(postOnly.body.idpSloUrl).toBeNull()
  })

  test('without ALLOW_PRIVATE_OUTBOUND: a loopback URL is refused by the outbound guard, http by the https rule', async () => {
    idp.serve(idpMetadataXml({ certificates: [cert()] }))
    const before = idp.requests
    const https = await put(guarded, guardedAuth, { metadataUrl: idp.url().replace('http:', 'https:') })
    expect(https.status).toBe(400)
    expect(errorOf(https.body).message).toContain('loopback')
    expect(errorOf(https.body).message).toContain('ALLOW_PRIVATE_OUTBOUND')
    const http = await put(guarded, guardedAuth, { metadataUrl: idp.url() })
    expect(http.status).toBe(400)
    expect(errorOf(http.body).message).toContain('must use https')
    const local = await put(guarded, guardedAuth, { metadataUrl: 'https://localhost/metadata' })
    expect(errorOf(local.body).message).toContain('ALLOW_PRIVATE_OUTBOUND')
    expect(idp.requests).toBe(before)
  })

  test('with ALLOW_PRIVATE_OUTBOUND, plain http still needs a private address', async () => {
    const { status, body } = await put(app, auth, { metadataUrl: 'http://example.com/metadata' })
    expect(status).toBe(400)
    expect(errorOf(body).message).toContain('must use https')
  })

  test('metadata and manual fields together, or URL and XML together, are refused', async () => {
    const mixed = await put(app, auth, { metadataUrl: idp.url(), ssoUrl: OKTA_SSO_URL })
    expect(mixed.status).toBe(400)
    expect(errorOf(mixed.body).field).toBe('ssoUrl')
    const both = await put(app, auth, { metadataUrl: idp.url(), metadataXml: '<x/>' })
    expect(both.status).toBe(400)
    const none = await put(app, auth, { issuer: 'x' })
    expect(none.status).toBe(400)
    expect(errorOf(none.body).field).toBe('ssoUrl')
  })

  test('pasted XML sets the integration up without a URL to refresh', async () => {
    const { status, body } = await put(app, auth, { metadataXml: idpMetadataXml({ certificates: [cert()] }) })
    expect(status).toBe(200)
    expect(body.scimToken).toBeString()
    expect(body.metadataUrl).toBeNull()
    expect(body.metadataFetchedAt).toBeString()
    const refresh = await app.request('/api/v1/orgs/acme/okta/metadata/refresh', {
      method: 'POST',
      headers: auth,
    })
    expect(refresh.status).toBe(409)
    expect(((await refresh.json()) as { error: { code: string } }).error.code).toBe('NO_METADATA_URL')
  })
})
