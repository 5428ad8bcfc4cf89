/**
 * Settings → Okta Integration, the metadata forms in process: the metadata URL is the first choice,
 * XML the second, the three values third; set-up by URL shows the SCIM token once and the metadata
 * card (URL, last read, Refresh now); an unusable URL comes back next to its field, escaped; a
 * failed refresh shows its error and keeps the certificate; the forms need the CSRF token.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createTestApp, seedOrg, type TestApp } from '../support/app.ts'
import { selfSigned } from '../support/certs.ts'
import { idpMetadataXml, type MetadataServer, metadataServer } from '../support/idp-metadata.ts'
import { ConsoleClient, seedAdmin } from './console-client.ts'

const BASE = '/orgs/acme'
const PAGE = `${BASE}/admin/integration`
const cert = () => selfSigned('console-meta-idp').certificate
const tokenIn = (html: string) => /<code id="scim-token"[^>]*>([^<]+)<\/code>/.exec(html)?.[1] ?? null

let app: TestApp
let idp: MetadataServer
let client: ConsoleClient

beforeAll(async () => {
  app = createTestApp({ allowPrivateOutbound: true })
  await seedOrg(app.store, 'acme')
  const admin = await seedAdmin(app, 'acme')
  client = new ConsoleClient(app)
  await client.signIn(BASE, admin.email)
  idp = metadataServer()
})

afterAll(() => idp.stop())

describe('integration page: set up from metadata', () => {
  test('the metadata URL comes first, the XML second, the three values third', async () => {
    const { html } = await client.page(PAGE)
    const url = html.indexOf('id="f-metadataUrl"')
    const xml = html.indexOf('id="f-metadataXml"')
    const manual = html.indexOf('id="f-ssoUrl"')
    expect(url).toBeGreaterThan(0)
    expect(xml).toBeGreaterThan(url)
    expect(manual).toBeGreaterThan(xml)
    expect(html).toContain('Or paste the metadata XML')
    expect(html).toContain('Or type the three values')
    expect(html).not.toContain('id="metadata-title"')
  })

  test('an unusable URL comes back next to its field, escaped, nothing stored', async () => {
    const { csrf } = await client.page(PAGE)
    const response = await client.post(`${PAGE}/metadata`, {
      _csrf: csrf,
      metadataUrl: 'ftp://idp.example/"><script>x</script>',
    })
    const html = await response.text()
    expect(response.status).toBe(400)
    expect(html).toContain('id="f-metadataUrl-error"')
    expect(html).toContain('only http and https URLs')
    expect(html).toContain('value="ftp://idp.example/&quot;&gt;&lt;script&gt;x&lt;/script&gt;"')
    expect(html).not.toContain('<script>x')
    const org = await app.store.orgs.bySlug('acme')
    expect(await app.store.integrations.get(org?.id as string)).toBeNull()
  })

  test('pasted XML that is not metadata is refused next to the XML field (opened)', async () => {
    const { csrf } = await client.page(PAGE)
    const response = await client.post(`${PAGE}/metadata`, { _csrf: csrf, metadataXml: '<nope/>' })
    const html = await response.text()
    expect(response.status).toBe(400)
    expect(html).toContain('id="f-metadataXml-error"')
    expect(html).toContain('<details id="metadata-xml-setup" open>')
  })

  test('a form without the CSRF token is refused', async () => {
    const response = await client.post(`${PAGE}/metadata`, { _csrf: 'wrong', metadataUrl: idp.url() })
    expect(response.status).toBe(403)
  })

  test('set up by URL: the SCIM token once, then the metadata card with Refresh now', async () => {
    idp.serve(idpMetadataXml({ certificates: [cert()] }))
    const { csrf } = await client.page(PAGE)
    const saved = await client.post(`${PAGE}/metadata`, { _csrf: csrf, metadataUrl: idp.url() })
    expect(saved.status).toBe(200)
    const html = await saved.text()
    expect(tokenIn(html)).toStartWith('okb_scim_')
    expect(html).toContain('id="metadata-title"')
    expect(html).toContain(`<code class="wrap" id="metadata-url">${idp.url()}</code>`)
    expect(html).toContain('id="metadata-refresh"')

    const again = await client.page(PAGE)
    expect(tokenIn(again.html)).toBeNull()
    expect(again.html).toContain(`value="${idp.url()}"`)
    const before = idp.requests
    const refreshed = await client.post(`${PAGE}/metadata/refresh`, { _csrf: again.csrf })
    expect(refreshed.status).toBe(303)
    expect(refreshed.headers.get('location')).toBe(`${PAGE}?refreshed=1`)
    expect(idp.requests).toBe(before + 1)
    expect((await client.page(`${PAGE}?refreshed=1`)).html).toContain('The metadata was read again.')
  })

  test('a failed refresh shows its error on the page; the certificate stays', async () => {
    idp.answer(() => new Response('gone', { status: 404 }))
    const { csrf } = await client.page(PAGE)
    const response = await client.post(`${PAGE}/metadata/refresh`, { _csrf: csrf })
    const html = await response.text()
    expect(response.status).toBe(200)
    expect(html).toContain('id="metadata-error"')
    expect(html).toContain('answered HTTP 404')
    expect(html).toContain('id="cert-title"')
    const status = (await (await client.get(`${PAGE}/status.json`)).json()) as Record<string, unknown>
    expect(status.metadataError).toContain('HTTP 404')
    expect(status.certificate).not.toBeNull()
  })
})
