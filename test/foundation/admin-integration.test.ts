import { beforeEach, describe, expect, test } from 'bun:test'
import { createTestApp, jsonBody, seedOrg, type TestApp } from '../support/app.ts'
import { expired, selfSigned } from '../support/certs.ts'

const valid = () => ({
  ssoUrl: 'https://acme.okta.com/app/acme_okta_bridge/exk1/sso/saml',
  issuer: 'http://www.okta.com/exk1',
  certificate: selfSigned().certificate,
})

describe('admin API: Okta integration', () => {
  let app: TestApp
  let auth: Record<string, string>
  beforeEach(async () => {
    app = createTestApp()
    auth = (await seedOrg(app.store, 'acme')).auth
  })
  const acmeId = async () => (await app.store.orgs.bySlug('acme'))!.id
  /** The acme integration's row as stored. */
  const stored = async () => app.store.integrations.get(await acmeId())

  const put = (body: unknown, headers = auth) =>
    app.request('/api/v1/orgs/acme/okta', { method: 'PUT', ...jsonBody(body, headers) })

  test('status before set-up carries the values to type into Okta', async () => {
    const res = await app.request('/api/v1/orgs/acme/okta', { headers: auth })
    expect(res.status).toBe(200)
    const body = await res.json()
    expect(body.configured).toBe(false)
    expect(body.acsUrl).toBe('http://localhost:3000/orgs/acme/okta/auth')
    expect(body.audience).toBe('http://localhost:3000/orgs/acme')
    expect(body.scimBaseUrl).toBe('http://localhost:3000/orgs/acme/okta/scim')
    expect(body.connectedUsers).toBe(0)
    expect(body.sync.pendingChanges).toBe(0)
  })

  test('first set-up returns the SCIM token once; later updates never show it again', async () => {
    const first = await put(valid())
    expect(first.status).toBe(200)
    const created = await first.json()
    expect(created.configured).toBe(true)
    expect(created.scimToken).toMatch(/^okb_scim_[A-Za-z0-9_-]{43}$/)
    expect(created.certificate.subject).toContain('CN=idp')
    expect(created.certificate.fingerprintSha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/)
    expect(Date.parse(created.certificate.notAfter)).toBeGreaterThan(Date.now())

    const again = await put({ ...valid(), issuer: 'http://www.okta.com/exk2' })
    const updated = await again.json()
    expect(updated.scimToken).toBeUndefined()
    expect(updated.issuer).toBe('http://www.okta.com/exk2')
    const status = await (await app.request('/api/v1/orgs/acme/okta', { headers: auth })).json()
    expect(status.scimToken).toBeUndefined()
    // The token is stored hashed, never in clear.
    const row = (await stored())!
    expect(row.scim_token_hash).not.toContain(created.scimToken)
    expect(row.scim_token_hash).toMatch(/^[0-9a-f]{64}$/)
  })

  test('rotating the token changes it and stores only the new hash', async () => {
    const { scimToken } = await (await put(valid())).json()
    const before = (await stored())!.scim_token_hash
    const res = await app.request('/api/v1/orgs/acme/okta/scim-token', { method: 'POST', headers: auth })
    expect(res.status).toBe(200)
    const rotated = await res.json()
    expect(rotated.scimToken).not.toBe(scimToken)
    const after = (await stored())!.scim_token_hash
    expect(after).not.toBe(before)
  })

  test.each([
    [{ ssoUrl: 'http://acme.okta.com/sso' }, 'ssoUrl', /https/],
    [{ ssoUrl: 'not a url' }, 'ssoUrl', /absolute URL/],
    [{ issuer: '   ' }, 'issuer', /must not be empty/],
    [{ certificate: 'hello' }, 'certificate', /not a PEM certificate|could not be parsed/],
    [
      { certificate: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' },
      'certificate',
      /could not be parsed/,
    ],
  ])('bad input %p → 400 naming %s', async (override, field, message) => {
    const res = await put({ ...valid(), ...override })
    expect(res.status).toBe(400)
    const body = await res.json()
    expect(body.error.code).toBe('INVALID_INPUT')
    expect(body.error.field).toBe(field)
    expect(body.error.message).toMatch(message)
    expect(await stored()).toBeNull()
  })

  test('an expired certificate is refused with its expiry date', async () => {
    const res = await put({ ...valid(), certificate: expired().certificate })
    expect(res.status).toBe(400)
    const body = await res.json()
    expect(body.error.field).toBe('certificate')
    expect(body.error.message).toContain('expired on 2021-01-01')
  })

  test('http is allowed for a localhost SSO URL (local IdP stand-ins)', async () => {
    const res = await put({ ...valid(), ssoUrl: 'http://localhost:8080/sso' })
    expect(res.status).toBe(200)
  })

  test('a bare base64 certificate body (as in IdP metadata) is accepted', async () => {
    const body = selfSigned()
      .certificate.replace(/-----[A-Z ]+-----/g, '')
      .replace(/\s+/g, '')
    const res = await put({ ...valid(), certificate: body })
    expect(res.status).toBe(200)
  })

  test('malformed JSON, wrong types, unknown fields and missing fields are clear 400s', async () => {
    const raw = (body: string) =>
      app.request('/api/v1/orgs/acme/okta', {
        method: 'PUT',
        body,
        headers: { ...auth, 'content-type': 'application/json' },
      })
    const malformed = await raw('{"ssoUrl":')
    expect(malformed.status).toBe(400)
    expect((await malformed.json()).error.code).toBe('MALFORMED_BODY')

    const wrongType = await put({ ...valid(), issuer: 42 })
    expect(wrongType.status).toBe(400)
    expect((await wrongType.json()).error).toMatchObject({ code: 'INVALID_INPUT', field: 'issuer' })

    const unknown = await put({ ...valid(), color: 'blue' })
    expect(unknown.status).toBe(400)
    expect((await unknown.json()).error).toMatchObject({ code: 'INVALID_INPUT', field: 'color' })

    const missing = await put({ ssoUrl: valid().ssoUrl })
    expect(missing.status).toBe(400)
    expect((await missing.json()).error.code).toBe('INVALID_INPUT')
  })

  test('oversized bodies are refused before parsing', async () => {
    const huge = 'x'.repeat(app.config.maxBodyBytes + 1)
    const res = await app.request('/api/v1/orgs/acme/okta', {
      method: 'PUT',
      body: huge,
      headers: { ...auth, 'content-type': 'application/json', 'content-length': String(huge.length) },
    })
    expect(res.status).toBe(413)
    expect((await res.json()).error.code).toBe('BODY_TOO_LARGE')
  })

  test('missing or wrong API keys are 401 in the API error format', async () => {
    const none = await app.request('/api/v1/orgs/acme/okta')
    expect(none.status).toBe(401)
    expect((await none.json()).error.code).toBe('UNAUTHENTICATED')
    const wrong = await app.request('/api/v1/orgs/acme/okta', {
      headers: { authorization: 'Bearer okb_key_nope' },
    })
    expect(wrong.status).toBe(401)
  })

  test("an API key of one org cannot read or change another org's integration", async () => {
    const other = await seedOrg(app.store, 'globex')
    await put(valid())
    const read = await app.request('/api/v1/orgs/acme/okta', { headers: other.auth })
    expect(read.status).toBe(404)
    const write = await put(valid(), other.auth)
    expect(write.status).toBe(404)
    const rotate = await app.request('/api/v1/orgs/acme/okta/scim-token', {
      method: 'POST',
      headers: other.auth,
    })
    expect(rotate.status).toBe(404)
    const remove = await app.request('/api/v1/orgs/acme/okta', { method: 'DELETE', headers: other.auth })
    expect(remove.status).toBe(404)
    // Unknown org and foreign org look the same: nothing leaks.
    const unknown = await app.request('/api/v1/orgs/nope/okta', { headers: other.auth })
    expect(unknown.status).toBe(404)
    expect(await stored()).not.toBeNull()
  })

  test('DELETE with dryRun only counts; without it the integration is gone and the token stops', async () => {
    await put(valid())
    const dry = await app.request('/api/v1/orgs/acme/okta?dryRun=true', { method: 'DELETE', headers: auth })
    expect(dry.status).toBe(200)
    expect(await dry.json()).toEqual({ deletedUsers: 0, deletedGroups: 0, dryRun: true })
    expect((await (await app.request('/api/v1/orgs/acme/okta', { headers: auth })).json()).configured).toBe(
      true,
    )

    const real = await app.request('/api/v1/orgs/acme/okta', { method: 'DELETE', headers: auth })
    expect(await real.json()).toEqual({ deletedUsers: 0, deletedGroups: 0, dryRun: false })
    expect((await (await app.request('/api/v1/orgs/acme/okta', { headers: auth })).json()).configured).toBe(
      false,
    )
    const again = await app.request('/api/v1/orgs/acme/okta', { method: 'DELETE', headers: auth })
    expect(again.status).toBe(404)
    expect((await again.json()).error.code).toBe('NOT_CONFIGURED')
  })

  test('every change is in the audit log', async () => {
    await put(valid())
    await app.request('/api/v1/orgs/acme/okta/scim-token', { method: 'POST', headers: auth })
    const actions = (await app.store.audit.list(await acmeId(), { limit: 10 })).map((e) => e.action)
    expect(actions).toContain('integration.created')
    expect(actions).toContain('scim_token.rotated')
  })
})
