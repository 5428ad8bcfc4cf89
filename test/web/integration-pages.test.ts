/**
 * Settings → Okta Integration pages in process: field-level errors from the service, the SCIM token
 * shown once, rotation with a confirm step, certificate expiry warning, escaping of what the admin
 * typed, and removal behind the dry-run count and the typed slug.
 */
import { describe, expect, test } from 'bun:test'
import { hashSecret } from '../../src/store/ids.ts'
import { createTestApp, seedOrg } from '../support/app.ts'
import { selfSigned } from '../support/certs.ts'
import { ConsoleClient, seedAdmin } from './console-client.ts'

const BASE = '/orgs/acme'
const PAGE = `${BASE}/admin/integration`

async function signedIn() {
  const app = createTestApp()
  const { org } = await seedOrg(app.store, 'acme')
  const admin = await seedAdmin(app, 'acme')
  const client = new ConsoleClient(app)
  await client.signIn(BASE, admin.email)
  return { app, org, client }
}

function setUpFields(csrf: string, overrides: Record<string, string> = {}) {
  return {
    _csrf: csrf,
    ssoUrl: 'https://acme.okta.com/app/acme_bridge/exk1/sso/saml',
    issuer: 'http://www.okta.com/exk1',
    certificate: selfSigned().certificate,
    ...overrides,
  }
}

const tokenIn = (html: string) => /<code id="scim-token"[^>]*>([^<]+)<\/code>/.exec(html)?.[1] ?? null

describe('integration settings page', () => {
  test('shows the values to type into Okta with copy buttons, and a clear empty state', async () => {
    const { client } = await signedIn()
    const { status, html } = await client.page(PAGE)
    expect(status).toBe(200)
    expect(html).toContain('id="not-configured"')
    expect(html).toContain(
      '<code id="acs-url" aria-labelledby="acs-url-label">http://localhost:3000/orgs/acme/okta/auth</code>',
    )
    expect(html).toContain('>http://localhost:3000/orgs/acme</code>')
    expect(html).toContain('>http://localhost:3000/orgs/acme/okta/scim</code>')
    expect(html).toContain('>email</code>')
    expect(html).toContain('>HTTP Header</code>')
    expect(html.match(/data-copy="/g)?.length).toBe(5)
    expect(html).toContain('<label for="f-ssoUrl">')
  })

  test('a bad value comes back next to its field, with what was typed kept and escaped', async () => {
    const { app, org, client } = await signedIn()
    const { csrf } = await client.page(PAGE)
    const response = await client.post(
      PAGE,
      setUpFields(csrf, { ssoUrl: 'http://okta.example/"><script>x</script>', issuer: 'x' }),
    )
    const html = await response.text()
    expect(response.status).toBe(400)
    expect(html).toContain('id="f-ssoUrl-error"')
    expect(html).toContain('aria-invalid="true"')
    expect(html).toContain('ssoUrl must use https')
    expect(html).toContain('value="http://okta.example/&quot;&gt;&lt;script&gt;x&lt;/script&gt;"')
    expect(html).not.toContain('<script>x')
    expect(await app.store.integrations.get(org.id)).toBeNull()

    const badCert = await client.post(PAGE, setUpFields(csrf, { certificate: 'not a certificate' }))
    const certHtml = await badCert.text()
    expect(badCert.status).toBe(400)
    expect(certHtml).toContain('id="f-certificate-error"')
    expect(certHtml).not.toContain('id="f-ssoUrl-error"')
  })

  test('the SCIM token is shown once after saving, stored only as a hash, and rotated after a confirm step', async () => {
    const { app, org, client } = await signedIn()
    const { csrf } = await client.page(PAGE)
    const saved = await client.post(PAGE, setUpFields(csrf, { issuer: 'http://www.okta.com/<b>"exk1"</b>' }))
    expect(saved.status).toBe(200)
    expect(saved.headers.get('cache-control')).toBe('no-store')
    const html = await saved.text()
    const token = tokenIn(html)
    expect(token).toStartWith('okb_scim_')
    expect(html).toContain('you will not see this again')
    expect(html).toContain('http://www.okta.com/&lt;b&gt;&quot;exk1&quot;&lt;/b&gt;')
    expect((await app.store.integrations.get(org.id))?.scim_token_hash).toBe(hashSecret(token as string))

    const later = await client.page(PAGE)
    expect(tokenIn(later.html)).toBeNull()
    expect(later.html).not.toContain(token as string)
    expect(later.html).toContain('id="connected-users"')

    const confirm = await client.page(`${PAGE}/rotate`)
    expect(confirm.html).toContain('stops working at once')
    expect((await app.store.integrations.get(org.id))?.scim_token_hash).toBe(hashSecret(token as string))
    const rotated = await client.post(`${PAGE}/rotate`, { _csrf: confirm.csrf })
    const newToken = tokenIn(await rotated.text())
    expect(newToken).toStartWith('okb_scim_')
    expect(newToken).not.toBe(token)
    expect((await app.store.integrations.get(org.id))?.scim_token_hash).toBe(hashSecret(newToken as string))
  })

  test('a form with a wrong CSRF token changes nothing', async () => {
    const { app, org, client } = await signedIn()
    const response = await client.post(PAGE, setUpFields('forged-token'))
    expect(response.status).toBe(403)
    expect(await app.store.integrations.get(org.id)).toBeNull()
  })

  test('warns 30 days before the certificate expires, and not earlier', async () => {
    const { client } = await signedIn()
    const { csrf } = await client.page(PAGE)
    await client.post(PAGE, setUpFields(csrf, { certificate: selfSigned('idp', 365).certificate }))
    expect((await client.page(PAGE)).html).not.toContain('id="cert-warning"')
    const again = await client.page(PAGE)
    const updated = await client.post(
      PAGE,
      setUpFields(again.csrf, { certificate: selfSigned('soon-expiring', 20).certificate }),
    )
    expect(updated.status).toBe(303)
    const { html } = await client.page(PAGE)
    expect(html).toContain('id="cert-warning"')
    expect(html).toMatch(/expires in (19|20) days/)
    const withNext = await client.post(
      PAGE,
      setUpFields(again.csrf, {
        certificate: selfSigned('soon-expiring', 20).certificate,
        nextCertificate: selfSigned('next-idp', 730).certificate,
      }),
    )
    expect(withNext.status).toBe(303)
    const rolled = (await client.page(PAGE)).html
    expect(rolled).toContain('The next certificate is already in place')
    expect(rolled).toContain('CN=next-idp')
  })

  test('removal shows the dry-run count, needs the slug typed, then shows progress', async () => {
    const { app, org, client } = await signedIn()
    const { csrf } = await client.page(PAGE)
    await client.post(PAGE, setUpFields(csrf))
    const confirm = await client.page(`${PAGE}/remove`)
    expect(confirm.html).toContain('<strong id="dry-run-users">0 users</strong>')
    const wrong = await client.post(`${PAGE}/remove`, { _csrf: confirm.csrf, confirmSlug: 'acm' })
    expect(wrong.status).toBe(400)
    expect(await wrong.text()).toContain('Type “acme” exactly')
    expect(await app.store.integrations.get(org.id)).not.toBeNull()
    const removed = await client.post(`${PAGE}/remove`, { _csrf: confirm.csrf, confirmSlug: 'acme' })
    expect(removed.status).toBe(303)
    expect(removed.headers.get('location')).toBe(`${PAGE}?removing=1`)
    expect(await app.store.integrations.get(org.id)).toBeNull()
    const after = await client.page(`${PAGE}?removing=1`)
    expect(after.html).toContain('The integration is removed')
  })

  test('the live status JSON needs the admin session and matches the admin API', async () => {
    const { app, client } = await signedIn()
    const anonymous = await app.request(`${PAGE}/status.json`)
    expect(anonymous.status).toBe(401)
    const live = await client.request(`${PAGE}/status.json`, { headers: { accept: 'application/json' } })
    expect(live.status).toBe(200)
    const body = (await live.json()) as Record<string, unknown>
    expect(body).toMatchObject({
      configured: false,
      connectedUsers: 0,
      scimBaseUrl: 'http://localhost:3000/orgs/acme/okta/scim',
    })
    expect(body.sync).toMatchObject({ pendingChanges: 0, fullReconcile: { running: false } })
  })

  test('an unknown org or page answers with a plain page, never a stack trace', async () => {
    const { client } = await signedIn()
    const missing = await client.get('/orgs/nope/admin/integration')
    expect(missing.status).toBe(404)
    const text = await missing.text()
    expect(text).toContain('<h1>Not found</h1>')
    expect(text).not.toMatch(/\.ts:\d+/)
    const badCursor = await client.get(`${BASE}/admin/users?cursor=%%%`)
    expect(badCursor.status).toBe(400)
    expect(await badCursor.text()).toContain('cursor is not valid')
  })
})
