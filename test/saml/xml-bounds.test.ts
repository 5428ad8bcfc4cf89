/**
 * Deep or huge XML at the ACS, before any signature check. Depth 20,000 used to end in a 500
 * (`Maximum call stack size exceeded`, from the recursive element walker) and depth 5,000 cost
 * ~0.5 s; nested namespace declarations make the parser itself quadratic. Now the raw text is
 * scanned first (one linear pass) and anything nested deeper than 64 levels or with more than
 * 10,000 nodes or 64 attributes on one element is refused with a page and `xml_too_complex`,
 * before the parser runs; the walkers never recurse.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { SamlRejection } from '../../src/saml/rejection.ts'
import { descendants, parseSamlXml } from '../../src/saml/xml.ts'
import { checkTextBounds, checkTreeBounds, XML_LIMITS } from '../../src/saml/xml-bounds.ts'
import type { TestApp } from '../support/app.ts'
import { oktaResponse, postAcs, signResponse } from '../support/saml.ts'
import { createSamlApp, idpKey, lastSamlReason, type SamlOrg, seedSamlOrg } from './fixture.ts'

let app: TestApp
let org: SamlOrg

beforeAll(async () => {
  app = createSamlApp()
  org = await seedSamlOrg(app)
})

const PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol'
const nested = (depth: number, open = '<a>', close = '</a>') => open.repeat(depth) + close.repeat(depth)
/** A Response whose Extensions hold `inner`, so only the bounds can be what refuses it. */
const responseWith = (inner: string) =>
  `<samlp:Response xmlns:samlp="${PROTOCOL}" ID="r1" Version="2.0"><samlp:Extensions>${inner}</samlp:Extensions></samlp:Response>`

function reasonOf(work: () => unknown): string {
  try {
    work()
  } catch (error) {
    if (error instanceof SamlRejection) return error.reason
    throw error
  }
  return 'accepted'
}

async function refusedAtAcs(xml: string): Promise<string | null> {
  const response = await postAcs(app, org.orgUrl, xml)
  expect(response.status).toBe(400)
  expect(response.headers.get('content-type')).toContain('text/html')
  expect(await response.text()).toContain('We could not sign you in')
  return lastSamlReason(app, org.orgId)
}

describe('the ACS refuses deep or huge XML with a page and an audit reason', () => {
  test('depth 20,000 (was a 500 with a stack overflow)', async () => {
    expect(await refusedAtAcs(responseWith(nested(20_000)))).toBe('xml_too_complex')
  })
  test('depth 65 is refused, depth 64 in total is still parsed', async () => {
    expect(await refusedAtAcs(responseWith(nested(63)))).toBe('xml_too_complex')
    // Response + Extensions + 62 = 64 levels: parsed, then refused for what it is (no assertion).
    expect(await refusedAtAcs(responseWith(nested(62)))).toBe('assertion_count')
  })
  test('more than 10,000 elements, or 10,000 comments', async () => {
    expect(await refusedAtAcs(responseWith('<a/>'.repeat(10_000)))).toBe('xml_too_complex')
    expect(await refusedAtAcs(responseWith('<!---->'.repeat(10_000)))).toBe('xml_too_complex')
  })
  test('nested namespace declarations (quadratic in the parser)', async () => {
    const levels = Array.from({ length: 2_000 }, (_, i) => `<p${i}:a xmlns:p${i}="urn:p${i}">`).join('')
    const closing = Array.from({ length: 2_000 }, (_, i) => `</p${1999 - i}:a>`).join('')
    expect(await refusedAtAcs(responseWith(levels + closing))).toBe('xml_too_complex')
  })
  test('an element with hundreds of attributes', async () => {
    const attributes = Array.from({ length: 500 }, (_, i) => `a${i}="x"`).join(' ')
    expect(await refusedAtAcs(responseWith(`<x ${attributes}/>`))).toBe('xml_too_complex')
  })
  test('the bounds are checked before parsing: unclosed deep input is too complex, not malformed', async () => {
    expect(await refusedAtAcs(responseWith('<a>'.repeat(100)).replace(/<\/samlp:.*$/, ''))).toBe(
      'xml_too_complex',
    )
  })
  test('a genuine Okta response is far inside the bounds and still accepted', async () => {
    const xml = signResponse(oktaResponse({ orgUrl: org.orgUrl, email: org.email }), idpKey(), 'both')
    expect((await postAcs(app, org.orgUrl, xml)).status).toBe(303)
  })
})

describe('the text scan and the tree check', () => {
  test('the scan counts like a parser: quotes, comments, CDATA, processing instructions', () => {
    const limits = { depth: 3, nodes: 6, attributesPerElement: 2 }
    const ok = `<?xml version="1.0"?><a x="<b><c><d>" y='>'><b><![CDATA[<c><d><e>]]><!--<c><d><e>--><c/></b></a>`
    expect(reasonOf(() => checkTextBounds(ok, 'test', limits))).toBe('accepted')
    expect(reasonOf(() => checkTextBounds('<a><b><c><d/></c></b></a>', 'test', limits))).toBe('accepted')
    expect(reasonOf(() => checkTextBounds('<a><b><c><d></d></c></b></a>', 'test', limits))).toBe(
      'xml_too_complex',
    )
    expect(reasonOf(() => checkTextBounds('<a x="1" y="2" z="3"/>', 'test', limits))).toBe('xml_too_complex')
    expect(reasonOf(() => checkTextBounds(`<a>${'<b/>'.repeat(6)}</a>`, 'test', limits))).toBe(
      'xml_too_complex',
    )
    expect(reasonOf(() => checkTextBounds('<a x="unterminated/>', 'test', limits))).toBe('xml_malformed')
    expect(reasonOf(() => checkTextBounds('<a><!-- never closed', 'test', limits))).toBe('xml_malformed')
  })
  test('the tree check bounds a parsed tree the same way, and the walk keeps document order', () => {
    const root = parseSamlXml('<a><b><c/></b><d/></a>')
    expect([...descendants(root)].map((e) => e.localName)).toEqual(['a', 'b', 'c', 'd'])
    const tight = { ...XML_LIMITS, depth: 2 }
    expect(reasonOf(() => checkTreeBounds(root, 'test', tight))).toBe('xml_too_complex')
    expect(reasonOf(() => checkTreeBounds(root, 'test', { ...XML_LIMITS, nodes: 3 }))).toBe('xml_too_complex')
    expect(reasonOf(() => checkTreeBounds(root, 'test'))).toBe('accepted')
  })
  test('64 levels parse and walk without recursion', () => {
    const root = parseSamlXml(nested(64))
    expect([...descendants(root)].length).toBe(64)
  })
})
