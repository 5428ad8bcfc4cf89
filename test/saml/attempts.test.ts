/**
 * Sign-in attempts you can debug, through the real app with responses signed by xmlsec1: every ACS
 * attempt is kept as a trace (`GET …/saml/attempts`, `…/attempts/{reference}`) whose steps say which
 * check failed with the values found and expected, and whose advice names Okta's fields; the
 * person's failure page shows the reference; a rate-limited burst is one row; lists filter by
 * outcome and page by cursor; another org's key reads none of it. The checker (`POST …/saml/check`)
 * runs the same pipeline as a dry run: same steps, and afterwards the same response still signs in
 * (no replay entry), no session or account was made, no AuthnRequest consumed, nothing stored.
 * Retention deletes attempts older than SAML_ATTEMPT_RETENTION_DAYS at a given `now`.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { inflateRawSync } from 'node:zlib'
import { pruneSamlAttempts } from '../../src/housekeeping/index.ts'
import { jsonBody, type TestApp } from '../support/app.ts'
import { selfSigned } from '../support/certs.ts'
import { OKTA_ISSUER, oktaResponse, postAcs, signResponse, toBase64 } from '../support/saml.ts'
import { cookiePair, createSamlApp, idpKey, type SamlOrg, seedSamlOrg } from './fixture.ts'

let app: TestApp
let acme: SamlOrg
let globex: SamlOrg

beforeAll(async () => {
  app = createSamlApp()
  acme = await seedSamlOrg(app, 'acme')
  globex = await seedSamlOrg(app, 'globex')
})

interface Step {
  step: string
  ok: boolean
  detail: string
}
interface Attempt {
  id: string
  at: string
  outcome: string
  reason: string | null
  flow: string | null
  issuer: string | null
  nameId: string | null
  audience: string | null
  destination: string | null
  inResponseTo: string | null
  signed: boolean
  attributes: Record<string, string[]>
  clientAddress: string | null
  steps: Step[]
  advice?: string[]
}

async function api<T>(
  org: SamlOrg,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: T }> {
  const response = await app.request(`/api/v1/orgs/${org.slug}${path}`, {
    ...init,
    headers: { ...org.auth, ...(init.headers as Record<string, string> | undefined) },
  })
  return { status: response.status, body: (await response.json()) as T }
}

const check = (org: SamlOrg, samlResponse: string) =>
  api<Attempt & { landsOn: unknown; advice: string[] }>(org, '/saml/check', {
    method: 'POST',
    ...jsonBody({ samlResponse }),
  })

/** The reference on a failure page. */
async function referenceOn(response: Response): Promise<string> {
  const html = await response.text()
  const reference = /id="attempt-reference">Reference: <strong><code>([0-9A-Z-]+)<\/code>/.exec(html)?.[1]
  if (!reference) throw new Error(`no reference on the page: ${html}`)
  return reference
}

const signed = (org: SamlOrg, options: Partial<Parameters<typeof oktaResponse>[0]> = {}) =>
  signResponse(oktaResponse({ orgUrl: org.orgUrl, email: org.email, ...options }), idpKey())

describe('every ACS attempt is kept as a trace', () => {
  test('accepted: every step passed, values from the signed assertion, no raw XML or signature', async () => {
    const client = '198.51.100.10'
    expect((await postAcs(app, acme.orgUrl, signed(acme), { client })).status).toBe(303)
    const { status, body } = await api<{ items: Attempt[] }>(acme, '/saml/attempts?limit=1')
    expect(status).toBe(200)
    const attempt = body.items[0] as Attempt
    expect(attempt).toMatchObject({
      outcome: 'accepted',
      reason: null,
      flow: 'idp_initiated',
      issuer: OKTA_ISSUER,
      nameId: acme.email,
      audience: acme.orgUrl,
      destination: `${acme.orgUrl}/okta/auth`,
      inResponseTo: null,
      signed: true,
      clientAddress: client,
      attributes: { email: [acme.email], firstName: ['Ada'], lastName: ['Lovelace'] },
    })
    expect(attempt.id).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/)
    expect(attempt.steps.every((s) => s.ok)).toBe(true)
    expect(attempt.steps.map((s) => s.step)).toEqual([
      'form',
      'parse',
      'structure',
      'signature',
      'status',
      'destination',
      'issuer',
      'audience',
      'conditions',
      'subject_confirmation',
      'validity_window',
      'in_response_to',
      'identity',
      'replay',
      'account',
      'session',
    ])
    const json = JSON.stringify(body)
    expect(json).not.toContain('<saml')
    expect(json).not.toContain('MII')
    // The audit row points at the attempt.
    const audit = (await app.store.audit.list(acme.orgId, { kind: 'saml', limit: 1 }))[0]
    expect(JSON.parse(audit?.data ?? '{}').attempt).toBe(attempt.id)
  })

  test('wrong audience: the page shows a reference; the trace has both values; the advice names both', async () => {
    const wrong = 'https://wrong.example/sp'
    const response = await postAcs(app, acme.orgUrl, signed(acme, { audience: wrong }))
    expect(response.status).toBe(400)
    const reference = await referenceOn(response)
    // The reference as a person might read it out: lower case, no dashes.
    const { status, body } = await api<Attempt>(
      acme,
      `/saml/attempts/${reference.replaceAll('-', '').toLowerCase()}`,
    )
    expect(status).toBe(200)
    expect(body).toMatchObject({
      id: reference,
      outcome: 'rejected',
      reason: 'audience_mismatch',
      signed: true,
    })
    expect(body.audience).toBe(wrong)
    const failed = body.steps.at(-1) as Step
    expect(failed.step).toBe('audience')
    expect(failed.ok).toBe(false)
    expect(failed.detail).toContain(wrong)
    expect(failed.detail).toContain(acme.orgUrl)
    expect(body.steps.slice(0, -1).every((s) => s.ok)).toBe(true)
    expect(body.steps.some((s) => s.step === 'replay' || s.step === 'session')).toBe(false)
    const advice = (body.advice ?? []).join(' ')
    expect(advice).toContain('Audience URI')
    expect(advice).toContain(`"${wrong}"`)
    expect(advice).toContain(`"${acme.orgUrl}"`)
  })

  test('bad signature: the signature step fails; the values shown are marked unsigned', async () => {
    const forged = signResponse(
      oktaResponse({ orgUrl: acme.orgUrl, email: 'mallory@acme.example', audience: 'https://evil.example' }),
      selfSigned('not-okta'),
    )
    const reference = await referenceOn(await postAcs(app, acme.orgUrl, forged))
    const { body } = await api<Attempt>(acme, `/saml/attempts/${reference}`)
    expect(body).toMatchObject({ reason: 'signature_invalid', signed: false, nameId: 'mallory@acme.example' })
    expect(body.audience).toBe('https://evil.example')
    expect(body.steps.map((s) => [s.step, s.ok])).toEqual([
      ['form', true],
      ['parse', true],
      ['structure', true],
      ['signature', false],
    ])
    const signatureValue = /<ds:SignatureValue>([^<]+)</.exec(forged)?.[1] as string
    expect(JSON.stringify(body)).not.toContain(signatureValue.slice(0, 40))
    expect((body.advice ?? []).join(' ')).toContain('SAML Signing Certificates')
  })

  test('expired: the conditions step fails with the instant', async () => {
    const old = signed(acme, { notBefore: -900, notOnOrAfter: -600, issueInstant: -900 })
    const reference = await referenceOn(await postAcs(app, acme.orgUrl, old))
    const { body } = await api<Attempt>(acme, `/saml/attempts/${reference}`)
    expect(body.reason).toBe('expired')
    const failed = body.steps.at(-1) as Step
    expect(failed).toMatchObject({ step: 'conditions', ok: false })
    expect(failed.detail).toContain('expired at')
    expect((body.advice ?? []).join(' ')).toContain('clockSkewSeconds')
  })

  test('replay: the second use fails at the replay step, after every check of the pipeline passed', async () => {
    const xml = signed(acme)
    expect((await postAcs(app, acme.orgUrl, xml)).status).toBe(303)
    const reference = await referenceOn(await postAcs(app, acme.orgUrl, xml))
    const { body } = await api<Attempt>(acme, `/saml/attempts/${reference}`)
    expect(body.reason).toBe('replayed')
    expect(body.steps.at(-1)).toMatchObject({ step: 'replay', ok: false })
    expect(body.steps.filter((s) => s.step === 'replay')).toHaveLength(1)
    expect(body.steps.slice(0, -1).every((s) => s.ok)).toBe(true)
  })

  test('a rate-limited burst is one row (its page has the reference; the next refusals write nothing)', async () => {
    const client = '203.0.113.99'
    const before = (await api<{ items: Attempt[] }>(acme, '/saml/attempts?outcome=rate_limited')).body.items
    const statuses: number[] = []
    const pages: Response[] = []
    for (let i = 0; i < 23; i++) {
      const response = await postAcs(app, acme.orgUrl, '<junk/>', { client })
      statuses.push(response.status)
      pages.push(response)
    }
    expect(statuses.slice(20)).toEqual([429, 429, 429])
    const reference = await referenceOn(pages[20] as Response)
    expect(await (pages[21] as Response).text()).not.toContain('attempt-reference')
    const after = (await api<{ items: Attempt[] }>(acme, '/saml/attempts?outcome=rate_limited')).body.items
    expect(after).toHaveLength(before.length + 1)
    expect(after[0]).toMatchObject({
      id: reference,
      outcome: 'rate_limited',
      reason: 'rate_limited',
      clientAddress: client,
    })
    expect(after[0]?.steps).toEqual([
      { step: 'rate_limit', ok: false, detail: `client ${client} exceeded the sign-in rate` },
    ])
  })
})

describe('lists and isolation', () => {
  test('filter by outcome, newest first, pages by cursor without repeats', async () => {
    const initech = await seedSamlOrg(app, 'initech')
    for (let i = 0; i < 3; i++)
      await postAcs(app, initech.orgUrl, signed(initech, { audience: `https://x${i}.example` }))
    for (let i = 0; i < 2; i++) await postAcs(app, initech.orgUrl, signed(initech))
    const all = (await api<{ items: Attempt[] }>(initech, '/saml/attempts')).body.items
    expect(all.map((a) => a.outcome)).toEqual(['accepted', 'accepted', 'rejected', 'rejected', 'rejected'])
    const first = await api<{ items: Attempt[]; nextCursor: string | null }>(
      initech,
      '/saml/attempts?outcome=rejected&limit=2',
    )
    expect(first.body.items).toHaveLength(2)
    expect(first.body.nextCursor).toBeString()
    const second = await api<{ items: Attempt[]; nextCursor: string | null }>(
      initech,
      `/saml/attempts?outcome=rejected&limit=2&cursor=${first.body.nextCursor}`,
    )
    expect(second.body.items).toHaveLength(1)
    expect(second.body.nextCursor).toBeNull()
    const pages = [...first.body.items, ...second.body.items]
    expect(pages.map((a) => a.id)).toEqual(all.filter((a) => a.outcome === 'rejected').map((a) => a.id))
    expect(pages.map((a) => a.audience)).toEqual([
      'https://x2.example',
      'https://x1.example',
      'https://x0.example',
    ])
    const bad = await api<{ error: { code: string } }>(initech, '/saml/attempts?outcome=maybe')
    expect(bad.status).toBe(400)
    expect(
      (await api<{ error: { field: string } }>(initech, '/saml/attempts?cursor=nope')).body.error.field,
    ).toBe('cursor')
  })

  test("org B's API key reads none of org A's attempts (404)", async () => {
    const reference = await referenceOn(
      await postAcs(app, acme.orgUrl, signed(acme, { audience: 'https://a.example' })),
    )
    expect((await api(acme, `/saml/attempts/${reference}`)).status).toBe(200)
    // Org B's key on its own org: the reference is not there.
    const own = await api<{ error: { code: string } }>(globex, `/saml/attempts/${reference}`)
    expect(own.status).toBe(404)
    expect(own.body.error.code).toBe('NOT_FOUND')
    // Org B's key on org A's URLs.
    const cross = await app.request(`/api/v1/orgs/${acme.slug}/saml/attempts/${reference}`, {
      headers: globex.auth,
    })
    expect(cross.status).toBe(404)
    const list = await app.request(`/api/v1/orgs/${acme.slug}/saml/attempts`, { headers: globex.auth })
    expect(list.status).toBe(404)
    expect(
      (await api<{ items: Attempt[] }>(globex, '/saml/attempts')).body.items.map((a) => a.id),
    ).not.toContain(reference)
    expect((await app.request(`/api/v1/orgs/${acme.slug}/saml/attempts`)).status).toBe(401)
    expect((await api(acme, '/saml/attempts/not-a-reference')).status).toBe(404)
  })
})

describe('the checker is a dry run', () => {
  const counts = async (org: SamlOrg) => ({
    attempts: (await api<{ items: Attempt[] }>(org, '/saml/attempts?limit=1000')).body.items.length,
    audit: (await app.store.audit.list(org.orgId, { limit: 1000 })).length,
    account: await app.store.accounts.byId(org.orgId, org.accountId),
  })

  test('answers the steps and the account; then the same response still signs in; nothing was written', async () => {
    const xml = signed(globex)
    const before = await counts(globex)
    const { status, body } = await check(globex, toBase64(xml))
    expect(status).toBe(200)
    expect(body).toMatchObject({
      outcome: 'accepted',
      reason: null,
      flow: 'idp_initiated',
      signed: true,
      nameId: globex.email,
      landsOn: { accountId: globex.accountId, email: globex.email, createsAccount: false },
    })
    expect(body.steps.every((s) => s.ok)).toBe(true)
    expect(body.steps.map((s) => s.step)).toContain('replay')
    expect(body.steps.map((s) => s.step)).not.toContain('session')
    expect(await counts(globex)).toEqual(before)
    // Checking twice is fine too: nothing remembered the assertion.
    expect((await check(globex, toBase64(xml))).body.outcome).toBe('accepted')
    const signIn = await postAcs(app, globex.orgUrl, xml)
    expect(signIn.status).toBe(303)
    // And now the checker sees it as used.
    const again = await check(globex, toBase64(xml))
    expect(again.body).toMatchObject({ outcome: 'rejected', reason: 'replayed', landsOn: null })
  })

  test('a wrong audience: the same failing step and advice as a real attempt', async () => {
    const { body } = await check(globex, toBase64(signed(globex, { audience: 'https://nope.example' })))
    expect(body).toMatchObject({ outcome: 'rejected', reason: 'audience_mismatch', landsOn: null })
    expect(body.steps.at(-1)).toMatchObject({ step: 'audience', ok: false })
    expect(body.advice.join(' ')).toContain('"https://nope.example"')
  })

  test('an unknown person: rejected without JIT; with JIT it would create an account, and does not', async () => {
    const stranger = 'new.person@globex.example'
    const xml = signResponse(oktaResponse({ orgUrl: globex.orgUrl, email: stranger }), idpKey())
    const refused = await check(globex, toBase64(xml))
    expect(refused.body).toMatchObject({ reason: 'user_not_provisioned', landsOn: null })
    expect(refused.body.steps.at(-1)).toMatchObject({ step: 'account', ok: false })
    const jit = await seedSamlOrg(app, 'umbrella', { settings: { justInTimeProvisioning: true } })
    const xmlJit = signResponse(oktaResponse({ orgUrl: jit.orgUrl, email: 'new@umbrella.example' }), idpKey())
    const { body } = await check(jit, toBase64(xmlJit))
    expect(body).toMatchObject({
      outcome: 'accepted',
      landsOn: { accountId: null, email: 'new@umbrella.example', createsAccount: true },
    })
    expect(await app.store.accounts.byEmail(jit.orgId, 'new@umbrella.example')).toBeNull()
  })

  test('SP-initiated: the request is outstanding, and the check does not consume it', async () => {
    const start = await app.request(`${globex.orgUrl}/okta/login`, {
      headers: { 'x-forwarded-for': '10.7.7.7' },
    })
    const location = new URL(start.headers.get('location') as string)
    const request = inflateRawSync(Buffer.from(location.searchParams.get('SAMLRequest') as string, 'base64'))
    const id = /ID="([^"]+)"/.exec(request.toString())?.[1] as string
    const xml = signResponse(
      oktaResponse({ orgUrl: globex.orgUrl, email: globex.email, inResponseTo: id }),
      idpKey(),
      'both',
    )
    const { body } = await check(globex, toBase64(xml))
    expect(body).toMatchObject({ outcome: 'accepted', flow: 'sp_initiated', inResponseTo: id })
    expect(body.steps.find((s) => s.step === 'request')).toMatchObject({ ok: true })
    const cookie = cookiePair(start, 'okb_saml_request') as string
    expect((await postAcs(app, globex.orgUrl, xml, { cookie })).status).toBe(303)
  })

  test('oversize or invalid base64 → 400 in the admin API format', async () => {
    const notBase64 = await check(globex, 'this is not base64!')
    expect(notBase64.status).toBe(400)
    expect(notBase64.body).toEqual({
      error: { code: 'INVALID_INPUT', message: expect.stringContaining('base64'), field: 'samlResponse' },
    } as never)
    const notXml = await check(globex, toBase64('hello'))
    expect(notXml.status).toBe(400)
    const huge = await check(globex, 'A'.repeat(256 * 1024 + 4))
    expect(huge.status).toBe(400)
    expect((huge.body as unknown as { error: { code: string } }).error.code).toBeString()
    const empty = await api(globex, '/saml/check', { method: 'POST', ...jsonBody({}) })
    expect(empty.status).toBe(400)
  })
})

describe('retention', () => {
  test('attempts older than SAML_ATTEMPT_RETENTION_DAYS go, younger ones stay', async () => {
    const local = createSamlApp()
    const org = await seedSamlOrg(local, 'acme')
    await postAcs(local, org.orgUrl, signed(org))
    await postAcs(local, org.orgUrl, '<junk/>')
    const rows = async () => (await local.store.samlAttempts.list(org.orgId, { limit: 10 })).length
    expect(await rows()).toBe(2)
    const day = 24 * 60 * 60_000
    expect(await pruneSamlAttempts(local.store, 30, Date.now() + 29 * day)).toBe(0)
    expect(await rows()).toBe(2)
    expect(await pruneSamlAttempts(local.store, 30, Date.now() + 31 * day)).toBe(2)
    expect(await rows()).toBe(0)
    expect(local.config.samlAttemptRetentionDays).toBe(30)
  })
})
