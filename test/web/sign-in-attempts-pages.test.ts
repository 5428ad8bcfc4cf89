/**
 * The console's "Sign-in attempts" pages in process, with attempts made by posting real signed
 * responses to the ACS: the list (and its NAV link), the search by the reference from the person's
 * page (typed loosely) and the outcome filter, the detail page with its advice and steps, values
 * from a hostile response escaped, the checker's form (CSRF, bounded, a dry run), and the guards
 * (no session → sign-in; another org's attempt → 404).
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { createSamlApp, idpKey, type SamlOrg, seedSamlOrg } from '../saml/fixture.ts'
import type { TestApp } from '../support/app.ts'
import { oktaResponse, postAcs, signResponse, toBase64 } from '../support/saml.ts'
import { ConsoleClient, seedAdmin } from './console-client.ts'

let app: TestApp
let acme: SamlOrg
let client: ConsoleClient
const BASE = '/orgs/acme'

beforeAll(async () => {
  app = createSamlApp()
  acme = await seedSamlOrg(app, 'acme')
  await seedSamlOrg(app, 'globex')
  const admin = await seedAdmin(app, 'acme')
  client = new ConsoleClient(app)
  await client.signIn(BASE, admin.email)
})

const signed = (options: Partial<Parameters<typeof oktaResponse>[0]> = {}) =>
  signResponse(oktaResponse({ orgUrl: acme.orgUrl, email: acme.email, ...options }), idpKey())

async function failWith(xml: string, org = acme): Promise<string> {
  const html = await (await postAcs(app, org.orgUrl, xml)).text()
  return /id="attempt-reference">Reference: <strong><code>([0-9A-Z-]+)</.exec(html)?.[1] as string
}

describe('the list', () => {
  test('is in the navigation; lists attempts newest first; filters by outcome', async () => {
    await postAcs(app, acme.orgUrl, signed())
    const reference = await failWith(signed({ audience: 'https://wrong.example' }))
    const { status, html } = await client.page(`${BASE}/admin/sign-in-attempts`)
    expect(status).toBe(200)
    expect(html).toContain(`href="${BASE}/admin/sign-in-attempts" aria-current="page">Sign-in attempts</a>`)
    expect(html).toContain(`href="${BASE}/admin/sign-in-attempts/${reference}"`)
    expect(html.indexOf(reference)).toBeLessThan(html.indexOf('Accepted</span>'))
    const rejected = await client.page(`${BASE}/admin/sign-in-attempts?outcome=rejected`)
    expect(rejected.html).toContain(reference)
    expect(rejected.html).not.toContain('Accepted</span>')
    expect((await client.page(`${BASE}/admin/sign-in-attempts?outcome=rate_limited`)).html).toContain(
      'id="attempts-empty"',
    )
  })

  test('finds the attempt by the reference the person read (any case, with or without dashes)', async () => {
    const reference = await failWith(signed({ audience: 'https://elsewhere.example' }))
    const typed = reference.replaceAll('-', ' ').toLowerCase()
    const { html } = await client.page(
      `${BASE}/admin/sign-in-attempts?reference=${encodeURIComponent(typed)}`,
    )
    expect(html.match(/<tbody>[\s\S]*<\/tbody>/)?.[0].match(/<tr>/g)).toHaveLength(1)
    expect(html).toContain(reference)
    const none = await client.page(`${BASE}/admin/sign-in-attempts?reference=ZZZZ-ZZZZ-ZZZZ`)
    expect(none.html).toContain('No sign-in attempt with reference ZZZZ-ZZZZ-ZZZZ.')
  })
})

describe('the detail page', () => {
  test('says what to change in Okta, lists the steps, escapes what the response said', async () => {
    const hostile = 'https://x.example/"><script>alert(1)</script>'
    const reference = await failWith(signed({ audience: hostile }))
    const { status, html } = await client.page(`${BASE}/admin/sign-in-attempts/${reference}`)
    expect(status).toBe(200)
    expect(html).toContain('id="advice"')
    expect(html).toContain('The Audience URI (SP Entity ID) in Okta is')
    expect(html).toContain(`it must be &quot;${acme.orgUrl}&quot;`)
    expect(html).not.toContain('<script>alert(1)</script>')
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(html).toContain('<code>audience</code>')
    expect(html).toContain('failed</span>')
    expect(html).toContain('read from the signed assertion')
  })

  test('a forged response shows its values as unsigned', async () => {
    const { selfSigned } = await import('../support/certs.ts')
    const forged = signResponse(
      oktaResponse({ orgUrl: acme.orgUrl, email: 'eve@acme.example' }),
      selfSigned('x'),
    )
    const reference = await failWith(forged)
    const { html } = await client.page(`${BASE}/admin/sign-in-attempts/${reference}`)
    expect(html).toContain('<strong>Unsigned:</strong>')
    expect(html).toContain('SAML Signing Certificates')
  })

  test("another org's attempt, or an unknown one, is a 404 page", async () => {
    const globex = { ...acme, slug: 'globex', orgUrl: acme.orgUrl.replace('/acme', '/globex') }
    const theirs = await failWith(
      signResponse(
        oktaResponse({ orgUrl: globex.orgUrl, email: 'x@globex.example', audience: 'https://g' }),
        idpKey(),
      ),
      globex,
    )
    expect((await client.get(`${BASE}/admin/sign-in-attempts/${theirs}`)).status).toBe(404)
    expect((await client.get(`${BASE}/admin/sign-in-attempts/nothing`)).status).toBe(404)
  })
})

describe('the checker', () => {
  test('a pasted response shows its steps and where it would land; nothing is stored', async () => {
    const form = await client.page(`${BASE}/admin/sign-in-attempts/check`)
    expect(form.html).toContain('name="samlResponse"')
    const before = (await app.store.samlAttempts.list(acme.orgId, { limit: 1000 })).length
    const xml = signed()
    // Wrapped in lines, as a copy from a tool may be.
    const pasted = toBase64(xml).replace(/(.{76})/g, '$1\n')
    const response = await client.post(`${BASE}/admin/sign-in-attempts/check`, {
      _csrf: form.csrf,
      samlResponse: pasted,
    })
    expect(response.status).toBe(200)
    const html = await response.text()
    expect(html).toContain('the sign-in would be accepted')
    expect(html).toContain(`It would sign in to the account <code>${acme.email}</code>`)
    expect(html).toContain('<code>signature</code>')
    expect(html).not.toContain('failed</span>')
    expect((await app.store.samlAttempts.list(acme.orgId, { limit: 1000 })).length).toBe(before)
    expect((await postAcs(app, acme.orgUrl, xml)).status).toBe(303)
  })

  test('not base64 → 400 with the message on the form; without the CSRF token → 403', async () => {
    const form = await client.page(`${BASE}/admin/sign-in-attempts/check`)
    const bad = await client.post(`${BASE}/admin/sign-in-attempts/check`, {
      _csrf: form.csrf,
      samlResponse: '%%%',
    })
    expect(bad.status).toBe(400)
    expect(await bad.text()).toContain('SAMLResponse is not base64')
    const forged = await client.post(`${BASE}/admin/sign-in-attempts/check`, {
      _csrf: 'nope',
      samlResponse: toBase64(signed()),
    })
    expect(forged.status).toBe(403)
    const huge = await client.post(`${BASE}/admin/sign-in-attempts/check`, {
      _csrf: form.csrf,
      samlResponse: 'A'.repeat(300 * 1024),
    })
    expect(huge.status).toBeGreaterThanOrEqual(400)
    expect(huge.status).toBeLessThan(500)
  })

  test('without a session the pages send the browser to sign-in', async () => {
    const anonymous = new ConsoleClient(app)
    const list = await anonymous.get(`${BASE}/admin/sign-in-attempts`)
    expect(list.status).toBe(303)
    expect(list.headers.get('location')).toStartWith(`${BASE}/admin/login?next=`)
    const post = await anonymous.post(`${BASE}/admin/sign-in-attempts/check`, {
      _csrf: 'x',
      samlResponse: 'AAAA',
    })
    expect(post.status).toBe(303)
  })
})
