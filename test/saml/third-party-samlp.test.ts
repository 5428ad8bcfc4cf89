/**
 * okta-bridge against an identity provider nobody here wrote: Auth0's `samlp` (test/support/samlp-idp.ts)
 * and the real HTTP server (`startServer`, in process, on a port), driven by a small cookie-keeping
 * "browser" that follows redirects and submits the IdP's forms.
 *
 * - Sign-in: our signed AuthnRequest is accepted by samlp (which checks its query signature with
 *   our SP certificate), samlp's signed assertion by our ACS (just-in-time account).
 * - SP-initiated single logout: our Sign out → our signed LogoutRequest, accepted by samlp → its
 *   signed LogoutResponse, accepted by our `/okta/slo` (audited as a success).
 * - IdP-initiated single logout, over HTTP-Redirect and HTTP-POST: samlp's signed LogoutRequest
 *   ends the person's session here, and samlp accepts our signed LogoutResponse.
 * Another person's session (their own browser and IdP session) survives all of it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../src/config/index.ts'
import { type RunningServer, startServer } from '../../src/main.ts'
import { silentLogger } from '../../src/observability/log.ts'
import { createApiKey, createOrg } from '../../src/orgs/service.ts'
import { openStoreAt, storeLocation } from '../../src/store/index.ts'
import { selfSigned } from '../support/certs.ts'
import { type SamlpIdp, type SamlpSp, startSamlpIdp } from '../support/samlp-idp.ts'

/** Cookies per host, redirects followed by hand (so every hop is seen), forms submitted. */
class Browser {
  private jar = new Map<string, Map<string, string>>()
  readonly visited: string[] = []
  constructor(private readonly client: string) {}

  private cookiesFor(url: URL): string {
    return [...(this.jar.get(url.host) ?? new Map<string, string>())].map(([k, v]) => `${k}=${v}`).join('; ')
  }

  private keep(url: URL, response: Response): void {
    const cookies = this.jar.get(url.host) ?? new Map<string, string>()
    for (const header of response.headers.getSetCookie()) {
      const [pair, ...attributes] = header.split(';')
      const eq = (pair as string).indexOf('=')
      const name = (pair as string).slice(0, eq).trim()
      const value = (pair as string).slice(eq + 1).trim()
      if (attributes.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '') cookies.delete(name)
      else cookies.set(name, value)
    }
    this.jar.set(url.host, cookies)
  }

  /** One request, no redirect followed. */
  async send(
    target: string,
    init: { method?: string; form?: URLSearchParams; headers?: Record<string, string> } = {},
  ) {
    const url = new URL(target)
    this.visited.push(`${init.method ?? 'GET'} ${url.pathname}${url.search.slice(0, 40)}`)
    const response = await fetch(url, {
      method: init.method ?? 'GET',
      redirect: 'manual',
      headers: {
        accept: 'text/html',
        cookie: this.cookiesFor(url),
        'x-forwarded-for': this.client,
        ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...init.headers,
      },
      ...(init.form ? { body: init.form.toString() } : {}),
    })
    this.keep(url, response)
    return response
  }

  /** Follows redirects (and the IdP's auto-posting forms) until a page that is neither. */
  async go(
    target: string,
    init: Parameters<Browser['send']>[1] = {},
  ): Promise<{ url: string; response: Response; body: string }> {
    let url = target
    let response = await this.send(url, init)
    for (let hops = 0; hops < 10; hops++) {
      const location = response.headers.get('location')
      if (response.status >= 300 && response.status < 400 && location) {
        url = new URL(location, url).toString()
        response = await this.send(url)
        continue
      }
      const body = await response.text()
      const form = /<form method="post"[^>]*action="([^"]+)"/i.exec(body)
      if (!form || !/name="SAML(Request|Response)"/.test(body)) return { url, response, body }
      const fields = new URLSearchParams()
      for (const input of body.matchAll(/<input type="hidden"\s+name="([^"]+)"\s+value="([^"]*)"/g))
        fields.set(
          input[1] as string,
          (input[2] as string).replace(/&amp;/g, '&').replace(/&#34;|&quot;/g, '"'),
        )
      url = new URL((form[1] as string).replace(/&amp;/g, '&'), url).toString()
      response = await this.send(url, { method: 'POST', form: fields })
    }
    throw new Error(`too many hops: ${this.visited.join(' → ')}`)
  }
}

const dirs: string[] = []
let server: RunningServer
let idp: SamlpIdp
let orgUrl: string
let auth: Record<string, string>
const sp: SamlpSp = { entityId: '', acsUrl: '', sloUrl: '', certificate: '' }

async function api(path: string, method = 'GET', body?: unknown) {
  const response = await fetch(`${server.url}/api/v1/orgs/acme${path}`, {
    method,
    headers: { ...auth, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  })
  const json = (await response.json()) as Record<string, unknown>
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`)
  return json
}

async function logoutAudit() {
  const { items } = (await api('/audit?kind=saml&limit=50')) as { items: Array<Record<string, unknown>> }
  return items.filter((row) => row.action === 'logout')
}

async function signedInAs(browser: Browser, email: string): Promise<void> {
  expect((await browser.go(idp.loginUrl(email))).response.status).toBe(200)
  const landed = await browser.go(`${orgUrl}/account`)
  expect(idp.errors).toEqual([])
  expect(landed.url).toBe(`${orgUrl}/account`)
  expect(landed.response.status).toBe(200)
  expect(await me(browser)).toMatchObject({ email })
}

async function me(browser: Browser): Promise<Record<string, unknown> | number> {
  const response = await browser.send(`${orgUrl}/me`, { headers: { accept: 'application/json' } })
  return response.status === 200 ? ((await response.json()) as Record<string, unknown>) : response.status
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'okb-samlp-'))
  dirs.push(dir)
  const config = loadConfig(
    new Map([
      ['port', '0'],
      ['host', '127.0.0.1'],
      ['data-dir', dir],
      ['trust-proxy', '1'],
    ]),
    {},
  )
  const seed = await openStoreAt(storeLocation(config.databaseUrl))
  await createOrg(seed, { slug: 'acme', name: 'Acme Inc' })
  const { key } = await createApiKey(seed, { orgSlug: 'acme' })
  await seed.close()
  auth = { authorization: `Bearer ${key}` }
  server = await startServer(config, silentLogger)
  orgUrl = `${server.url.replace('127.0.0.1', 'localhost')}/orgs/acme`
  Object.assign(sp, { entityId: orgUrl, acsUrl: `${orgUrl}/okta/auth`, sloUrl: `${orgUrl}/okta/slo` })
  idp = await startSamlpIdp(selfSigned('samlp-idp'), sp)
  const integration = { ssoUrl: idp.ssoUrl, issuer: idp.issuer, certificate: idp.certificate }
  await api('/okta', 'PUT', { ...integration, settings: { justInTimeProvisioning: true } })
  sp.certificate = (await api('/okta/sp-keys', 'POST')).certificate as string
  await api('/okta', 'PUT', { ...integration, settings: { sloUrl: idp.sloUrl, signAuthnRequests: true } })
  idp.requireSignedAuthnRequests(true)
}, 60_000)

afterAll(async () => {
  await idp?.close()
  await server?.stop()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

describe('Auth0 samlp as the IdP, through the real HTTP server', () => {
  const ada = new Browser('198.51.100.1')
  const grace = new Browser('198.51.100.2')

  test('the server says single logout is on, and its URL is what we gave samlp', async () => {
    const status = await api('/okta')
    expect(status.singleLogoutUrl).toBe(sp.sloUrl)
    expect(status.singleLogout).toEqual({ enabled: true, problem: null })
  })

  test('sign-in: samlp accepts our signed AuthnRequest, we accept its signed assertion', async () => {
    await signedInAs(ada, 'ada@acme.example')
    await signedInAs(grace, 'grace@acme.example')
    expect(
      idp
        .participants()
        .map((p) => p.nameId)
        .sort(),
    ).toEqual(['ada@acme.example', 'grace@acme.example'])
  })

  test('samlp really checks: an unsigned AuthnRequest is refused by it while it expects signed ones', async () => {
    const integration = { ssoUrl: idp.ssoUrl, issuer: idp.issuer, certificate: idp.certificate }
    await api('/okta', 'PUT', { ...integration, settings: { signAuthnRequests: false } })
    try {
      const carol = new Browser('198.51.100.3')
      await carol.go(idp.loginUrl('carol@acme.example'))
      expect((await carol.go(`${orgUrl}/account`)).response.status).toBe(500)
      expect(idp.errors.splice(0)).toEqual([expect.stringContaining('MUST be signed')])
    } finally {
      await api('/okta', 'PUT', { ...integration, settings: { signAuthnRequests: true } })
    }
  })

  test('SP-initiated: Sign out → samlp accepts our LogoutRequest → we accept its LogoutResponse', async () => {
    const signedOut = await ada.go(`${orgUrl}/logout`, {
      method: 'POST',
      form: new URLSearchParams(),
      headers: { origin: new URL(orgUrl).origin },
    })
    expect(idp.errors).toEqual([])
    expect(ada.visited.slice(-3).map((hop) => hop.split('?')[0])).toEqual([
      'POST /orgs/acme/logout',
      'GET /saml/slo',
      'GET /orgs/acme/okta/slo',
    ])
    expect(signedOut.response.status).toBe(200)
    expect(signedOut.body).toContain('You are signed out')
    expect(await me(ada)).toBe(401)
    const [response, request] = await logoutAudit()
    expect(request).toMatchObject({ outcome: 'success', data: { flow: 'sp_initiated', sentToIdp: true } })
    expect(response).toMatchObject({
      outcome: 'success',
      reason: null,
      data: { flow: 'logout_response', signed: true },
    })
    expect(idp.participants().map((p) => p.nameId)).toEqual(['grace@acme.example'])
    expect(await me(grace)).toMatchObject({ email: 'grace@acme.example' })
  })

  test('IdP-initiated (HTTP-Redirect): samlp’s LogoutRequest ends the session here, samlp accepts our answer', async () => {
    await signedInAs(ada, 'ada@acme.example')
    const done = await ada.go(idp.sloUrl)
    expect(idp.errors).toEqual([])
    expect(ada.visited.slice(-3).map((hop) => hop.split('?')[0])).toEqual([
      'GET /saml/slo',
      'GET /orgs/acme/okta/slo',
      'GET /saml/slo',
    ])
    expect(done.response.status).toBe(200)
    expect(await me(ada)).toBe(401)
    const [row] = await logoutAudit()
    expect(row).toMatchObject({
      outcome: 'success',
      data: {
        flow: 'idp_initiated',
        binding: 'redirect',
        endedSessions: 1,
        answered: true,
        nameId: 'ada@acme.example',
      },
    })
    expect(await me(grace)).toMatchObject({ email: 'grace@acme.example' })
  })

  test('IdP-initiated (HTTP-POST): the XML-signed LogoutRequest ends the session too', async () => {
    await signedInAs(ada, 'ada@acme.example')
    const done = await ada.go(`${idp.url}/saml/slo-post`)
    expect(idp.errors).toEqual([])
    expect(ada.visited.slice(-3).map((hop) => hop.split('?')[0])).toEqual([
      'GET /saml/slo-post',
      'POST /orgs/acme/okta/slo',
      'GET /saml/slo',
    ])
    expect(done.response.status).toBe(200)
    expect(await me(ada)).toBe(401)
    const [row] = await logoutAudit()
    expect(row).toMatchObject({
      outcome: 'success',
      data: { flow: 'idp_initiated', binding: 'post', endedSessions: 1 },
    })
    expect(await me(grace)).toMatchObject({ email: 'grace@acme.example' })
    expect(idp.participants().map((p) => p.nameId)).toEqual(['grace@acme.example'])
  })
})
