/**
 * SAML ACS cost. Okta-sized responses (Response and Assertion both signed by xmlsec1, RSA-SHA256,
 * the usual attributes plus a groups attribute), each a fresh one, are validated by our pipeline and
 * by bare samlify `parseLoginResponse` (no schema validator, so only its signature check and
 * extraction) in the same run, interleaved; then junk is rejected through the full ACS service (cheap gate, audit
 * row, metrics) and the whole HTTP path is timed for fresh responses.
 * Run: npx bun bench/saml-validate.ts [responses]   (needs xmlsec1 and openssl; default 100)
 */
import * as samlify from 'samlify'
import { createApiKey, createOrg } from '../src/orgs/service.ts'
import { verifySamlResponse } from '../src/saml/pipeline.ts'
import { completeSignIn } from '../src/saml/service.ts'
import { newId } from '../src/store/ids.ts'
import { createTestApp, PUBLIC_URL } from '../test/support/app.ts'
import { selfSigned } from '../test/support/certs.ts'
import { setUpIntegration } from '../test/support/integration.ts'
import { OKTA_ISSUER, oktaResponse, postAcs, signResponse, toBase64 } from '../test/support/saml.ts'

const iterations = Number(process.argv[2] ?? 100)
const idp = selfSigned()
const orgUrl = `${PUBLIC_URL}/orgs/acme`
const email = 'ada.lovelace@acme.example'
const groups = Array.from({ length: 12 }, (_, i) => `Engineering Team ${i + 1}`).join(',')
const attributes = { email, firstName: 'Ada', lastName: 'Lovelace', login: email, groups }
const oktaSized = () =>
  signResponse(oktaResponse({ orgUrl, email, attributes, notOnOrAfter: 3600 }), idp, 'both')
const xml = oktaSized()

const stats = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number
  return { median: at(0.5), p95: at(0.95), mean: samples.reduce((a, b) => a + b, 0) / samples.length }
}
const ms = (n: number) => `${n.toFixed(3)} ms`

// Bare samlify, as the issue measured it: no schema validator, default options.
samlify.setSchemaValidator({ validate: async () => 'skipped' })
const sp = samlify.ServiceProvider({
  entityID: orgUrl,
  assertionConsumerService: [
    { Binding: samlify.Constants.namespace.binding.post, Location: `${orgUrl}/okta/auth` },
  ],
})
const samlIdp = samlify.IdentityProvider({
  entityID: OKTA_ISSUER,
  signingCert: idp.certificate,
  singleSignOnService: [
    { Binding: samlify.Constants.namespace.binding.redirect, Location: 'https://acme.okta.com/sso' },
  ],
})
const expectations = () => ({
  issuer: OKTA_ISSUER,
  certificates: [idp.certificate],
  acsUrl: `${orgUrl}/okta/auth`,
  audience: orgUrl,
  allowIdpInitiated: true,
  allowSha1: false,
  clockSkewSeconds: 60,
  emailAttribute: null,
  spPrivateKey: null,
  now: Date.now(),
})
const parseWithSamlify = (response: string) =>
  sp.parseLoginResponse(samlIdp, 'post', { body: { SAMLResponse: toBase64(response) } })

// Warm-up on one response, then each of `iterations` distinct responses (as in production, where
// no two are alike) once through each validator, alternating which goes first.
for (let i = 0; i < 30; i++) {
  verifySamlResponse(xml, expectations())
  await parseWithSamlify(xml)
}
const responses = Array.from({ length: iterations }, oktaSized)
const ours: number[] = []
const theirs: number[] = []
for (const [i, response] of responses.entries()) {
  const runOurs = () => {
    const t = performance.now()
    verifySamlResponse(response, expectations())
    ours.push(performance.now() - t)
  }
  const runTheirs = async () => {
    const t = performance.now()
    await parseWithSamlify(response)
    theirs.push(performance.now() - t)
  }
  if (i % 2 === 0) {
    runOurs()
    await runTheirs()
  } else {
    await runTheirs()
    runOurs()
  }
}

// Junk through the full ACS service: cheap gate, audit row, metric.
const app = createTestApp({ trustProxy: { hops: 1 } })
const org = await createOrg(app.store, { slug: 'acme' })
const { key } = await createApiKey(app.store, { orgSlug: 'acme' })
await setUpIntegration(
  app,
  'acme',
  { authorization: `Bearer ${key}` },
  { issuer: OKTA_ISSUER, certificate: idp.certificate },
)
const junkBodies = {
  'random text': 'hello=world&x=1',
  'not base64': `SAMLResponse=${'%21'.repeat(2000)}`,
  oversized: `SAMLResponse=${'A'.repeat(300 * 1024)}`,
  'base64 of junk': `SAMLResponse=${encodeURIComponent(toBase64('x'.repeat(4000)))}`,
  'DTD/XXE': `SAMLResponse=${encodeURIComponent(toBase64('<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'))}`,
}
const junk: Record<string, ReturnType<typeof stats>> = {}
const deps = { store: app.store, metrics: app.deps.metrics, publicUrl: PUBLIC_URL }
for (const [name, body] of Object.entries(junkBodies)) {
  const samples: number[] = []
  for (let i = 0; i < iterations + 50; i++) {
    const t = performance.now()
    const outcome = await completeSignIn(deps, org, {
      contentType: 'application/x-www-form-urlencoded',
      body,
      bindingToken: null,
      client: 'bench',
    })
    if (i >= 50) samples.push(performance.now() - t)
    if (outcome.ok) throw new Error('junk accepted')
  }
  junk[name] = stats(samples)
}

// Whole HTTP path for fresh responses (validation + replay cache + session + audit + 303).
await app.store.accounts.insert({
  id: newId(),
  org_id: org.id,
  email,
  email_lower: email,
  name: 'Ada',
  source: 'okta',
  active: 1,
  role: 'member',
  scim_user_id: null,
  created_via_integration: 1,
  last_sign_in_at: null,
  created_at: Date.now(),
  updated_at: Date.now(),
})
const fresh = Array.from({ length: 60 }, oktaSized)
const http: number[] = []
for (const [i, response] of fresh.entries()) {
  const t = performance.now()
  const answer = await postAcs(app, orgUrl, response, { client: `10.0.0.${i}` })
  if (i >= 10) http.push(performance.now() - t)
  if (answer.status !== 303) throw new Error(`fresh response refused: ${answer.status}`)
}

const o = stats(ours)
const s = stats(theirs)
console.log(
  `response size: ${xml.length} bytes (${toBase64(xml).length} base64), ${iterations} distinct responses`,
)
console.log(`our pipeline           median ${ms(o.median)}  p95 ${ms(o.p95)}  mean ${ms(o.mean)}`)
console.log(`samlify parseLogin...  median ${ms(s.median)}  p95 ${ms(s.p95)}  mean ${ms(s.mean)}`)
console.log(
  `ratio ours/samlify     median ${(o.median / s.median).toFixed(2)}×  mean ${(o.mean / s.mean).toFixed(2)}×`,
)
for (const [name, j] of Object.entries(junk))
  console.log(`junk: ${name.padEnd(16)} median ${ms(j.median)}  p95 ${ms(j.p95)}`)
const h = stats(http)
console.log(`HTTP ACS, fresh response → 303  median ${ms(h.median)}  p95 ${ms(h.p95)}`)
