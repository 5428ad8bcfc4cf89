/**
 * SAML single logout at `{orgURL}/okta/slo` and from `POST {orgURL}/logout`, on the real app with
 * IdP messages signed by xmlsec1 (XML signatures, HTTP-POST) and openssl (query signatures,
 * HTTP-Redirect):
 * - an IdP-initiated LogoutRequest ends exactly the named person's sessions (the SessionIndex when
 *   given) in that org — another person's and another org's sessions survive — and is answered with
 *   a LogoutResponse whose signature verifies with node:crypto against the SP certificate;
 * - unsigned, wrongly signed, SHA-1, tampered, replayed, oversized LogoutRequests are refused with a
 *   page and an audit row and end nothing; a signed one we cannot act on gets a Requester answer;
 * - signing out here ends the session before the redirect and sends a signed LogoutRequest; the
 *   IdP's LogoutResponse is checked (signature when present, InResponseTo once, status) and always
 *   lands on the signed-out page;
 * - without an SP key single logout is local only, and the status says why.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { deflateRawSync } from 'node:zlib'
import { selfSigned } from '../support/certs.ts'
import { setUpIntegration } from '../support/integration.ts'
import { OKTA_ISSUER, OKTA_SSO_URL, oktaResponse, postAcs, signResponse } from '../support/saml.ts'
import {
  OKTA_SLO_URL,
  oktaLogoutRequest,
  oktaLogoutResponse,
  readRedirect,
  redirectQuery,
  redirectSignatureVerifies,
  signedXml,
  xmlValue,
} from '../support/saml-logout.ts'
import {
  cookiePair,
  createSamlApp,
  idpKey,
  insertAccount,
  type SamlOrg,
  samlAudit,
  seedSamlOrg,
} from './fixture.ts'

const app = createSamlApp()
const ADA = 'ada@shared.example'
const GRACE = 'grace@acme.example'
let acme: SamlOrg
let globex: SamlOrg
let spCertificate: string
let clients = 0
const client = () => `192.0.2.${++clients}`

async function signIn(org: SamlOrg, email: string, sessionIndex: string): Promise<string> {
  const xml = signResponse(oktaResponse({ orgUrl: org.orgUrl, email, responseId: sessionIndex }), idpKey())
  const response = await postAcs(app, org.orgUrl, xml, { client: client() })
  expect(response.status).toBe(303)
  return cookiePair(response, 'okb_session') as string
}

const signedIn = async (org: SamlOrg, cookie: string) =>
  (await app.request(`${org.orgUrl}/me`, { headers: { cookie } })).status === 200

function slo(org: SamlOrg, query: string) {
  return app.request(`${org.orgUrl}/okta/slo?${query}`, {
    headers: { accept: 'text/html', 'x-forwarded-for': client() },
  })
}

function sloPost(org: SamlOrg, fields: Record<string, string>) {
  return app.request(`${org.orgUrl}/okta/slo`, {
    method: 'POST',
    body: new URLSearchParams(fields).toString(),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'text/html',
      'x-forwarded-for': client(),
    },
  })
}

async function lastLogout(org: SamlOrg) {
  const row = (await samlAudit(app, org.orgId)).find((entry) => entry.action === 'logout')
  return { ...row, data: JSON.parse(row?.data ?? '{}') as Record<string, unknown> }
}

const logoutRequest = (org: SamlOrg, extra: Partial<Parameters<typeof oktaLogoutRequest>[0]> = {}) =>
  oktaLogoutRequest({ orgUrl: org.orgUrl, nameId: ADA, ...extra })

beforeAll(async () => {
  acme = await seedSamlOrg(app, 'acme', { email: ADA })
  globex = await seedSamlOrg(app, 'globex', { email: ADA })
  await insertAccount(app, acme.orgId, GRACE)
  const keys = await app.request('/api/v1/orgs/acme/okta/sp-keys', { method: 'POST', headers: acme.auth })
  spCertificate = ((await keys.json()) as { certificate: string }).certificate
  for (const org of [acme, globex]) {
    await setUpIntegration(app, org.slug, org.auth, {
      ssoUrl: OKTA_SSO_URL,
      issuer: OKTA_ISSUER,
      certificate: idpKey().certificate,
      settings: { sloUrl: OKTA_SLO_URL },
    })
  }
})

describe('IdP-initiated LogoutRequest', () => {
  test('HTTP-Redirect: ends the named session only, then every session of that NameID, in that org only', async () => {
    const adaA = await signIn(acme, ADA, '_idx_a')
    const adaB = await signIn(acme, ADA, '_idx_b')
    const adaGlobex = await signIn(globex, ADA, '_idx_a')
    const grace = await signIn(acme, GRACE, '_idx_a')
    const request = logoutRequest(acme, { id: '_lr_redirect_1', sessionIndexes: ['_idx_a'] })
    const answer = await slo(
      acme,
      redirectQuery('SAMLRequest', request, { key: idpKey(), relayState: 'okta-state 1/2' }),
    )
    expect(answer.status).toBe(302)
    expect([await signedIn(acme, adaA), await signedIn(acme, adaB)]).toEqual([false, true])
    expect([await signedIn(globex, adaGlobex), await signedIn(acme, grace)]).toEqual([true, true])

    const location = answer.headers.get('location') as string
    const sent = readRedirect(location)
    expect(sent).toMatchObject({
      endpoint: OKTA_SLO_URL,
      param: 'SAMLResponse',
      relayState: 'okta-state 1/2',
    })
    expect(redirectSignatureVerifies(location, spCertificate)).toBe(true)
    expect(redirectSignatureVerifies(location, idpKey().certificate)).toBe(false)
    expect(xmlValue(sent.xml, /InResponseTo="([^"]+)"/)).toBe('_lr_redirect_1')
    expect(xmlValue(sent.xml, /Destination="([^"]+)"/)).toBe(OKTA_SLO_URL)
    expect(xmlValue(sent.xml, /<saml:Issuer>([^<]+)</)).toBe(acme.orgUrl)
    expect(xmlValue(sent.xml, /<samlp:StatusCode Value="([^"]+)"/)).toBe(
      'urn:oasis:names:tc:SAML:2.0:status:Success',
    )
    const audit = await lastLogout(acme)
    expect(audit).toMatchObject({ outcome: 'success', subject: acme.accountId })
    expect(audit.data).toMatchObject({
      flow: 'idp_initiated',
      binding: 'redirect',
      endedSessions: 1,
      answered: true,
    })

    const all = logoutRequest(acme, { id: '_lr_redirect_2' })
    expect((await slo(acme, redirectQuery('SAMLRequest', all, { key: idpKey() }))).status).toBe(302)
    expect(await signedIn(acme, adaB)).toBe(false)
    expect([await signedIn(globex, adaGlobex), await signedIn(acme, grace)]).toEqual([true, true])
    expect(app.deps.metrics.samlLogouts.get({ flow: 'idp_initiated', outcome: 'success' })).toBe(2)
  })

  test('HTTP-POST: an xmlsec1-signed LogoutRequest ends the session and is answered over Redirect', async () => {
    const ada = await signIn(acme, ADA, '_idx_post')
    const xml = signedXml(logoutRequest(acme, { id: '_lr_post', sessionIndexes: ['_idx_post'] }), idpKey())
    const answer = await sloPost(acme, { SAMLRequest: Buffer.from(xml).toString('base64'), RelayState: 'rs' })
    expect(answer.status).toBe(302)
    expect(await signedIn(acme, ada)).toBe(false)
    expect(redirectSignatureVerifies(answer.headers.get('location') as string, spCertificate)).toBe(true)
    expect((await lastLogout(acme)).data).toMatchObject({ binding: 'post', endedSessions: 1 })
  })

  test('the next IdP certificate is accepted during a rollover', async () => {
    const next = selfSigned('okta-next-slo')
    await setUpIntegration(app, 'acme', acme.auth, {
      ssoUrl: OKTA_SSO_URL,
      issuer: OKTA_ISSUER,
      certificate: idpKey().certificate,
      nextCertificate: next.certificate,
    })
    try {
      const ada = await signIn(acme, ADA, '_idx_next')
      const query = redirectQuery('SAMLRequest', logoutRequest(acme, { sessionIndexes: ['_idx_next'] }), {
        key: next,
      })
      expect((await slo(acme, query)).status).toBe(302)
      expect(await signedIn(acme, ada)).toBe(false)
    } finally {
      await setUpIntegration(app, 'acme', acme.auth, {
        ssoUrl: OKTA_SSO_URL,
        issuer: OKTA_ISSUER,
        certificate: idpKey().certificate,
        nextCertificate: null,
      })
    }
  })

  const intruder = () => selfSigned('slo-intruder')
  const refusals: Array<[string, (org: SamlOrg) => Promise<Response>, string]> = [
    [
      'unsigned (Redirect)',
      (org) => slo(org, redirectQuery('SAMLRequest', logoutRequest(org), { key: null })),
      'signature_missing',
    ],
    [
      'signed by another key (Redirect)',
      (org) => slo(org, redirectQuery('SAMLRequest', logoutRequest(org), { key: intruder() })),
      'signature_invalid',
    ],
    [
      'RSA-SHA1 (Redirect)',
      (org) => slo(org, redirectQuery('SAMLRequest', logoutRequest(org), { key: idpKey(), digest: 'sha1' })),
      'signature_algorithm',
    ],
    [
      'RelayState changed after signing (Redirect)',
      (org) =>
        slo(
          org,
          redirectQuery('SAMLRequest', logoutRequest(org), { key: idpKey(), relayState: 'a' }).replace(
            'RelayState=a',
            'RelayState=b',
          ),
        ),
      'signature_invalid',
    ],
    [
      'unsigned (POST)',
      (org) =>
        sloPost(org, { SAMLRequest: Buffer.from(signedXml(logoutRequest(org), null)).toString('base64') }),
      'signature_missing',
    ],
    [
      'signed by another key (POST)',
      (org) =>
        sloPost(org, {
          SAMLRequest: Buffer.from(signedXml(logoutRequest(org), intruder())).toString('base64'),
        }),
      'signature_invalid',
    ],
    [
      'a DTD (POST)',
      (org) =>
        sloPost(org, {
          SAMLRequest: Buffer.from(`<!DOCTYPE x>${signedXml(logoutRequest(org), idpKey())}`).toString(
            'base64',
          ),
        }),
      'xml_dtd_forbidden',
    ],
    [
      'a deflate bomb (Redirect)',
      (org) =>
        slo(
          org,
          `SAMLRequest=${encodeURIComponent(deflateRawSync(Buffer.alloc(4_000_000, 60)).toString('base64'))}`,
        ),
      'response_too_large',
    ],
    [
      'an unknown query field',
      (org) => slo(org, `${redirectQuery('SAMLRequest', logoutRequest(org), { key: idpKey() })}&x=1`),
      'form_invalid',
    ],
  ]
  for (const [what, send, reason] of refusals) {
    test(`refused, nothing ended: ${what}`, async () => {
      const ada = await signIn(acme, ADA, '_idx_refused')
      const answer = await send(acme)
      expect(answer.status).toBe(400)
      expect(await answer.text()).toContain('Sign-out request refused')
      expect(answer.headers.getSetCookie()).toEqual([])
      expect(await signedIn(acme, ada)).toBe(true)
      expect(await lastLogout(acme)).toMatchObject({ outcome: 'failure', reason })
    })
  }

  test('a replayed LogoutRequest ID is refused and ends nothing', async () => {
    const query = redirectQuery('SAMLRequest', logoutRequest(acme, { id: '_lr_replay' }), { key: idpKey() })
    expect((await slo(acme, query)).status).toBe(302)
    const ada = await signIn(acme, ADA, '_idx_replay')
    expect((await slo(acme, query)).status).toBe(400)
    expect(await signedIn(acme, ada)).toBe(true)
    expect(await lastLogout(acme)).toMatchObject({ outcome: 'failure', reason: 'replayed' })
  })

  test('signed but not for us (issuer, age): a Requester answer, nothing ended', async () => {
    const ada = await signIn(acme, ADA, '_idx_requester')
    for (const [extra, reason] of [
      [{ issuer: 'http://www.okta.com/other' }, 'issuer_mismatch'],
      [{ issueInstant: -3600 }, 'expired'],
      [{ destination: `${globex.orgUrl}/okta/slo` }, 'destination_mismatch'],
    ] as const) {
      const answer = await slo(
        acme,
        redirectQuery('SAMLRequest', logoutRequest(acme, extra), { key: idpKey() }),
      )
      expect(answer.status).toBe(302)
      const sent = readRedirect(answer.headers.get('location') as string)
      expect(xmlValue(sent.xml, /<samlp:StatusCode Value="([^"]+)"/)).toBe(
        'urn:oasis:names:tc:SAML:2.0:status:Requester',
      )
      expect(await lastLogout(acme)).toMatchObject({ outcome: 'failure', reason })
    }
    expect(await signedIn(acme, ada)).toBe(true)
  })
})

describe('SP-initiated: signing out here', () => {
  async function signOut(org: SamlOrg, cookie: string) {
    return app.request(`${org.orgUrl}/logout`, {
      method: 'POST',
      headers: {
        cookie,
        accept: 'text/html',
        origin: new URL(org.orgUrl).origin,
        'x-forwarded-for': client(),
      },
    })
  }

  test('ends the session before the redirect, and sends a signed LogoutRequest naming the session', async () => {
    const ada = await signIn(acme, ADA, '_idx_sp')
    const answer = await signOut(acme, ada)
    expect(answer.status).toBe(303)
    expect(await signedIn(acme, ada)).toBe(false)
    expect(answer.headers.getSetCookie().join()).toContain('okb_session=;')
    const location = answer.headers.get('location') as string
    expect(redirectSignatureVerifies(location, spCertificate)).toBe(true)
    const sent = readRedirect(location)
    expect(sent).toMatchObject({ endpoint: OKTA_SLO_URL, param: 'SAMLRequest', relayState: null })
    expect(xmlValue(sent.xml, /<saml:NameID Format="([^"]+)"/)).toBe(
      'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    )
    expect(xmlValue(sent.xml, /<saml:NameID[^>]*>([^<]+)</)).toBe(ADA)
    expect(xmlValue(sent.xml, /<samlp:SessionIndex>([^<]+)</)).toBe('_idx_sp')
    expect(xmlValue(sent.xml, /<saml:Issuer>([^<]+)</)).toBe(acme.orgUrl)
    expect(xmlValue(sent.xml, /Destination="([^"]+)"/)).toBe(OKTA_SLO_URL)
    expect((await lastLogout(acme)).data).toMatchObject({ flow: 'sp_initiated', sentToIdp: true })
  })

  async function sentRequestId(): Promise<string> {
    const answer = await signOut(acme, await signIn(acme, ADA, `_idx_${clients}`))
    return xmlValue(readRedirect(answer.headers.get('location') as string).xml, / ID="([^"]+)"/) as string
  }

  test("the IdP's signed LogoutResponse lands on the signed-out page, once", async () => {
    const id = await sentRequestId()
    const query = redirectQuery(
      'SAMLResponse',
      oktaLogoutResponse({ orgUrl: acme.orgUrl, inResponseTo: id }),
      { key: idpKey() },
    )
    const page = await slo(acme, query)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('You are signed out')
    expect(await lastLogout(acme)).toMatchObject({
      outcome: 'success',
      data: { flow: 'logout_response', signed: true },
    })
    expect((await slo(acme, query)).status).toBe(200)
    expect(await lastLogout(acme)).toMatchObject({ outcome: 'failure', reason: 'in_response_to_unknown' })
  })

  test('a bad LogoutResponse still shows signed out, and the audit says why', async () => {
    const cases: Array<[(id: string) => Promise<Response>, string | null, boolean]> = [
      [
        (id) =>
          slo(
            acme,
            redirectQuery('SAMLResponse', oktaLogoutResponse({ orgUrl: acme.orgUrl, inResponseTo: id }), {
              key: selfSigned('slo-intruder'),
            }),
          ),
        'signature_invalid',
        false,
      ],
      [
        (id) =>
          slo(
            acme,
            redirectQuery(
              'SAMLResponse',
              oktaLogoutResponse({
                orgUrl: acme.orgUrl,
                inResponseTo: id,
                status: 'urn:oasis:names:tc:SAML:2.0:status:Requester',
              }),
              { key: idpKey() },
            ),
          ),
        'status_not_success',
        true,
      ],
      [
        (id) =>
          slo(
            acme,
            redirectQuery(
              'SAMLResponse',
              oktaLogoutResponse({ orgUrl: acme.orgUrl, inResponseTo: id, issuer: 'http://evil' }),
              { key: idpKey() },
            ),
          ),
        'issuer_mismatch',
        true,
      ],
      [
        (id) =>
          slo(
            acme,
            redirectQuery('SAMLResponse', oktaLogoutResponse({ orgUrl: acme.orgUrl, inResponseTo: id }), {
              key: null,
            }),
          ),
        null,
        false,
      ],
      [
        (id) =>
          sloPost(acme, {
            SAMLResponse: Buffer.from(
              signedXml(oktaLogoutResponse({ orgUrl: acme.orgUrl, inResponseTo: id }), idpKey()),
            ).toString('base64'),
          }),
        null,
        true,
      ],
    ]
    for (const [send, reason, signed] of cases) {
      const answer = await send(await sentRequestId())
      expect(answer.status).toBe(200)
      expect(await answer.text()).toContain('You are signed out')
      const audit = await lastLogout(acme)
      expect(audit).toMatchObject({
        outcome: reason ? 'failure' : 'success',
        reason,
        data: { flow: 'logout_response' },
      })
      if (reason !== 'issuer_mismatch') expect(audit.data.signed).toBe(signed)
    }
  })
})

describe('without an SP key', () => {
  test('the status says single logout needs one; signing out is local; an IdP request ends sessions, answered by a page', async () => {
    const status = (await (
      await app.request('/api/v1/orgs/globex/okta', { headers: globex.auth })
    ).json()) as Record<string, unknown>
    expect(status.singleLogoutUrl).toBe(`${globex.orgUrl}/okta/slo`)
    expect(status.singleLogout).toEqual({
      enabled: false,
      problem: expect.stringContaining('needs an SP key'),
    })
    const ada = await signIn(globex, ADA, '_idx_local')
    const signedOut = await app.request(`${globex.orgUrl}/logout`, {
      method: 'POST',
      headers: { cookie: ada, accept: 'text/html', origin: new URL(globex.orgUrl).origin },
    })
    expect(signedOut.status).toBe(200)
    expect(await signedIn(globex, ada)).toBe(false)
    expect((await lastLogout(globex)).data).toMatchObject({
      flow: 'sp_initiated',
      sentToIdp: false,
      localOnly: 'no_sp_key',
    })

    const again = await signIn(globex, ADA, '_idx_local2')
    const answer = await slo(
      globex,
      redirectQuery('SAMLRequest', logoutRequest(globex, { sessionIndexes: ['_idx_local2'] }), {
        key: idpKey(),
      }),
    )
    expect(answer.status).toBe(200)
    expect(await answer.text()).toContain('You are signed out')
    expect(await signedIn(globex, again)).toBe(false)
    expect((await lastLogout(globex)).data).toMatchObject({
      flow: 'idp_initiated',
      answered: false,
      endedSessions: 1,
    })
  })
})
