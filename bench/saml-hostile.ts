/**
 * What a hostile SAML post costs once it is inside the XML bounds (≤ 64 levels, ≤ 10,000 nodes).
 * Forged signatures (made with an attacker's key) over Responses padded to 1k/5k/9.9k elements, by
 * the old path (xml-crypto over the whole document right after the SignedInfo checks — kept as
 * `verifyWithXmlCrypto`, run here alone) and by the pipeline now (our SignatureValue and digest
 * check first); then the same through the whole HTTP ACS; then genuine SignedInfos replayed over
 * padded content; then genuine responses with many groups (Okta users in hundreds of groups), so the
 * cost of what does reach xml-crypto is known too. Median of `runs` per case.
 * Run: npx bun bench/saml-hostile.ts [runs]   (needs xmlsec1 and openssl; default 15)
 */
import { verifySamlResponse } from '../src/saml/pipeline.ts'
import { checkSignedInfo, verifyWithXmlCrypto } from '../src/saml/steps/signature.ts'
import { checkStructure } from '../src/saml/steps/structure.ts'
import { parseSamlXml } from '../src/saml/xml.ts'
import { createTestApp, PUBLIC_URL, seedOrg } from '../test/support/app.ts'
import { selfSigned } from '../test/support/certs.ts'
import { setUpIntegration } from '../test/support/integration.ts'
import { OKTA_ISSUER, OKTA_SSO_URL, oktaResponse, postAcs, signResponse } from '../test/support/saml.ts'

const runs = Number(process.argv[2] ?? 15)
const idp = selfSigned('okta-idp')
const attacker = selfSigned('attacker')
const orgUrl = `${PUBLIC_URL}/orgs/acme`
const email = 'ada.lovelace@acme.example'
const policy = { certificates: [idp.certificate], allowSha1: false }
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

/** An Okta response whose Response holds `junk` empty elements (in Extensions), so it has that many more. */
const padded = (xml: string, junk: number) =>
  xml.replace(
    '<saml2p:Status>',
    `<saml2p:Extensions>${'<j/>'.repeat(junk)}</saml2p:Extensions><saml2p:Status>`,
  )
const fresh = () => oktaResponse({ orgUrl, email })
/** A groups attribute with `count` values, as Okta sends a group attribute statement. */
const withGroups = (xml: string, count: number) =>
  xml.replace(
    '</saml2:AttributeStatement>',
    `<saml2:Attribute Name="groups" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified">${Array.from(
      { length: count },
      (_, i) =>
        `<saml2:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">Engineering Team ${i + 1}</saml2:AttributeValue>`,
    ).join('')}</saml2:Attribute></saml2:AttributeStatement>`,
  )

const median = (samples: number[]) =>
  [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)] as number
const ms = (n: number) => `${n.toFixed(2)} ms`
const elements = (xml: string) => (xml.match(/<[A-Za-z]/g) ?? []).length

function time(work: () => unknown): number {
  const samples: number[] = []
  for (let i = 0; i < runs; i++) {
    const t = performance.now()
    try {
      work()
    } catch {
      // Refusals are the point here.
    }
    samples.push(performance.now() - t)
  }
  return median(samples)
}

/** The old path: parse, structure, SignedInfo checks, then xml-crypto over the whole document. */
function oldPath(xml: string): void {
  const shape = checkStructure(parseSamlXml(xml))
  const signature = (shape.responseSignature ?? shape.assertionSignature) as NonNullable<
    typeof shape.responseSignature
  >
  const signed = shape.responseSignature ? shape.response : (shape.assertion as typeof shape.response)
  checkSignedInfo(signature, signed, policy)
  verifyWithXmlCrypto(signature, signed, xml, policy.certificates, false)
}
const newPath = (xml: string) => verifySamlResponse(xml, expectations())
const reasonOf = (xml: string) => {
  try {
    newPath(xml)
    return 'accepted'
  } catch (error) {
    return (error as { reason?: string }).reason ?? String(error)
  }
}

// Warm-up, so the first case does not pay for compilation.
for (let i = 0; i < 10; i++) {
  const warm = signResponse(fresh(), idp, 'both')
  newPath(warm)
  oldPath(warm)
}

console.log(`forged signature over the Response (attacker's key), median of ${runs}:`)
for (const junk of [1_000, 5_000, 9_900]) {
  const forged = signResponse(padded(fresh(), junk), attacker, 'response')
  console.log(
    `  ${String(elements(forged)).padStart(5)} elements: old path ${ms(time(() => oldPath(forged)))}, now ${ms(
      time(() => newPath(forged)),
    )} (${reasonOf(forged)})`,
  )
}

console.log('whole HTTP ACS (form, rate limit per client, audit row), forged, now:')
const app = createTestApp({ trustProxy: { hops: 1 } })
const { auth } = await seedOrg(app.store, 'acme')
await setUpIntegration(app, 'acme', auth, {
  ssoUrl: OKTA_SSO_URL,
  issuer: OKTA_ISSUER,
  certificate: idp.certificate,
})
let client = 0
for (const junk of [1_000, 5_000, 9_900]) {
  const forged = signResponse(padded(fresh(), junk), attacker, 'response')
  const samples: number[] = []
  for (let i = 0; i < runs; i++) {
    const t = performance.now()
    const response = await postAcs(app, orgUrl, forged, { client: `198.51.100.${++client % 250}` })
    await response.text()
    samples.push(performance.now() - t)
    if (response.status !== 400) throw new Error(`expected a refusal, got ${response.status}`)
  }
  console.log(`  ${String(elements(forged)).padStart(5)} elements: ${ms(median(samples))}`)
}

console.log('genuine SignedInfo replayed over padded content (9,900 elements), now:')
const replayedResponse = padded(signResponse(fresh(), idp, 'response'), 9_900)
console.log(
  `  Response signature, Response padded:  old path ${ms(time(() => oldPath(replayedResponse)))}, now ${ms(
    time(() => newPath(replayedResponse)),
  )} (${reasonOf(replayedResponse)})`,
)
const replayedAssertion = padded(signResponse(fresh(), idp, 'assertion'), 9_900)
console.log(
  `  Assertion signature, wrapper padded:   old path ${ms(time(() => oldPath(replayedAssertion)))}, now ${ms(
    time(() => newPath(replayedAssertion)),
  )} (${reasonOf(replayedAssertion)}; a replay is refused later, at commit)`,
)

console.log('genuine responses with many groups (fresh each run), whole pipeline, now vs old signature path:')
for (const groups of [12, 200, 500, 1_000, 2_000]) {
  for (const what of ['assertion', 'both'] as const) {
    const responses = Array.from({ length: runs }, () => signResponse(withGroups(fresh(), groups), idp, what))
    let i = 0
    const now = time(() => newPath(responses[i++ % runs] as string))
    i = 0
    const old = time(() => oldPath(responses[i++ % runs] as string))
    const sample = responses[0] as string
    console.log(
      `  ${String(groups).padStart(5)} groups, ${what.padEnd(9)} (${String(elements(sample)).padStart(5)} elements, ${reasonOf(
        signResponse(withGroups(fresh(), groups), idp, what),
      )}): pipeline ${ms(now)}; old signature path alone ${ms(old)}`,
    )
  }
}
