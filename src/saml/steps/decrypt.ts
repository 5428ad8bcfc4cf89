/**
 * Step: an EncryptedAssertion is opened with the org's SP private key (xml-encryption), allowing
 * only AES content encryption and RSA-OAEP key transport. AES-GCM is always accepted; AES-CBC (Okta's
 * default) only when the ciphertext was already authenticated by a verified Response signature,
 * because unauthenticated CBC decryption is a padding oracle (Jager & Somorovsky, 2011).
 *
 * xml-encryption finds its elements by local name alone, first match wins, anywhere in what it is
 * given. So the algorithms we check must be the ones it uses: the EncryptedAssertion holds exactly
 * one xenc:EncryptedData and one xenc:EncryptedKey (inside the data's ds:KeyInfo or next to it), no
 * element with an XML Encryption local name in any other namespace, and the library never sees the
 * posted markup at all: it gets a minimal EncryptedData rebuilt from the values checked here.
 * Every failure gives the same reason (`decryption_failed`). The plaintext is then parsed as
 * strictly as the response itself and must be one Assertion whose only Signature is its own.
 */
import { decrypt } from 'xml-encryption'
import { SamlRejection } from '../rejection.ts'
import {
  attribute,
  children,
  descendants,
  is,
  NS,
  onlyChild,
  parseSamlXml,
  textOf,
  type XmlElement,
} from '../xml.ts'

const XENC11 = 'http://www.w3.org/2009/xmlenc11#'

const GCM = new Set([
  'http://www.w3.org/2009/xmlenc11#aes128-gcm',
  'http://www.w3.org/2009/xmlenc11#aes256-gcm',
])
const CBC = new Set([
  'http://www.w3.org/2001/04/xmlenc#aes128-cbc',
  'http://www.w3.org/2001/04/xmlenc#aes256-cbc',
])
const KEY_ALGORITHMS = new Set([
  'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
  'http://www.w3.org/2009/xmlenc11#rsa-oaep',
])
/** OAEP digests xml-encryption honours (it silently falls back to SHA-1 for any other). */
const OAEP_DIGESTS = new Set([
  'http://www.w3.org/2000/09/xmldsig#sha1',
  'http://www.w3.org/2001/04/xmlenc#sha256',
  'http://www.w3.org/2001/04/xmlenc#sha512',
])
const MGF_ALGORITHMS = new Set(
  ['sha1', 'sha224', 'sha256', 'sha384', 'sha512'].map((h) => `${XENC11}mgf1${h}`),
)

/** Where each XML Encryption local name may live; any other namespace for these names is a decoy. */
const EXPECTED_NAMESPACE: Record<string, string> = {
  EncryptedData: NS.xenc,
  EncryptedKey: NS.xenc,
  EncryptionMethod: NS.xenc,
  CipherData: NS.xenc,
  CipherValue: NS.xenc,
  CipherReference: NS.xenc,
  OAEPparams: NS.xenc,
  AgreementMethod: NS.xenc,
  ReferenceList: NS.xenc,
  KeyInfo: NS.dsig,
  RetrievalMethod: NS.dsig,
  DigestMethod: NS.dsig,
  MGF: XENC11,
}
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

export interface DecryptedAssertion {
  /** The decrypted XML text (signatures inside it are verified over this text). */
  xml: string
  assertion: XmlElement
  signature: XmlElement | null
}

/** Exactly what is handed to the decryptor: algorithms from the allow-lists, ciphertexts as base64. */
interface CheckedEncryption {
  content: string
  keyTransport: string
  oaepDigest: string | null
  mgf: string | null
  oaepParams: string | null
  encryptedKey: string
  cipherText: string
}

function refuse(detail: string): SamlRejection {
  return new SamlRejection('decryption_failed', detail)
}

function only(parent: XmlElement, ns: string, localName: string): XmlElement {
  const found = onlyChild(parent, ns, localName)
  if (!found) throw refuse(`${parent.localName} has no ${localName}`)
  return found
}

function base64Of(element: XmlElement): string {
  const value = textOf(element).replace(/\s+/g, '')
  if (value.length === 0 || value.length % 4 !== 0 || !BASE64.test(value))
    throw refuse(`${element.localName} is not base64`)
  return value
}

function algorithmOf(method: XmlElement, what: string): string {
  const algorithm = attribute(method, 'Algorithm')
  if (!algorithm) throw refuse(`the ${what} EncryptionMethod has no Algorithm`)
  return algorithm
}

/** No decoys: every XML Encryption name in its own namespace, one EncryptedData, one EncryptedKey. */
function checkNamespaces(encryptedAssertion: XmlElement): void {
  let data = 0
  let keys = 0
  for (const element of descendants(encryptedAssertion)) {
    const name = element.localName ?? ''
    const expected = Object.hasOwn(EXPECTED_NAMESPACE, name) ? EXPECTED_NAMESPACE[name] : undefined
    if (expected !== undefined && element.namespaceURI !== expected) {
      throw refuse(`${name} in namespace ${String(element.namespaceURI).slice(0, 80)} is not XML Encryption`)
    }
    if (name === 'EncryptedData') data++
    if (name === 'EncryptedKey') keys++
  }
  if (data !== 1 || keys !== 1)
    throw refuse(`expected one EncryptedData and one EncryptedKey, found ${data} and ${keys}`)
}

/** The single EncryptedKey: inside the data's KeyInfo (Okta) or a sibling of the data (SAML §2.3.4). */
function encryptedKeyOf(encryptedAssertion: XmlElement, data: XmlElement): XmlElement {
  const keyInfo = onlyChild(data, NS.dsig, 'KeyInfo')
  const inside = keyInfo ? children(keyInfo, NS.xenc, 'EncryptedKey') : []
  const beside = children(encryptedAssertion, NS.xenc, 'EncryptedKey')
  const key = inside[0] ?? beside[0]
  if (!key) throw refuse('the EncryptedKey is neither in the EncryptedData KeyInfo nor next to it')
  return key
}

export function checkEncryption(encryptedAssertion: XmlElement, authenticated: boolean): CheckedEncryption {
  checkNamespaces(encryptedAssertion)
  const elements = children(encryptedAssertion)
  const data = elements[0]
  if (
    !data ||
    !is(data, NS.xenc, 'EncryptedData') ||
    elements.some((e, i) => i > 0 && !is(e, NS.xenc, 'EncryptedKey'))
  )
    throw refuse('EncryptedAssertion must hold EncryptedData (and at most its EncryptedKey)')
  const content = algorithmOf(only(data, NS.xenc, 'EncryptionMethod'), 'content')
  if (CBC.has(content) && !authenticated) {
    throw refuse(
      'AES-CBC is accepted only inside a signed Response: sign the Response in Okta or choose AES-GCM',
    )
  }
  if (!(GCM.has(content) || CBC.has(content)))
    throw refuse(`content encryption ${content.slice(0, 100)} is not accepted`)
  const cipherText = base64Of(only(only(data, NS.xenc, 'CipherData'), NS.xenc, 'CipherValue'))

  const key = encryptedKeyOf(encryptedAssertion, data)
  const keyMethod = only(key, NS.xenc, 'EncryptionMethod')
  const keyTransport = algorithmOf(keyMethod, 'key')
  if (!KEY_ALGORITHMS.has(keyTransport))
    throw refuse(`key transport ${keyTransport.slice(0, 100)} is not accepted`)
  const digest = onlyChild(keyMethod, NS.dsig, 'DigestMethod')
  const oaepDigest = digest ? attribute(digest, 'Algorithm') : null
  if (digest && (oaepDigest === null || !OAEP_DIGESTS.has(oaepDigest)))
    throw refuse(`OAEP digest ${String(oaepDigest).slice(0, 100)} is not accepted`)
  const mgfElement = onlyChild(keyMethod, XENC11, 'MGF')
  const mgf = mgfElement ? attribute(mgfElement, 'Algorithm') : null
  if (mgfElement && (keyTransport !== `${XENC11}rsa-oaep` || mgf === null || !MGF_ALGORITHMS.has(mgf)))
    throw refuse(`mask generation ${String(mgf).slice(0, 100)} is not accepted here`)
  const params = onlyChild(keyMethod, NS.xenc, 'OAEPparams')
  return {
    content,
    keyTransport,
    oaepDigest,
    mgf,
    oaepParams: params ? base64Of(params) : null,
    encryptedKey: base64Of(only(only(key, NS.xenc, 'CipherData'), NS.xenc, 'CipherValue')),
    cipherText,
  }
}

/** The only markup xml-encryption reads: values from the allow-lists and base64, nothing else. */
function rebuilt(checked: CheckedEncryption): string {
  const keyMethodChildren = [
    checked.oaepDigest ? `<ds:DigestMethod Algorithm="${checked.oaepDigest}"/>` : '',
    checked.mgf ? `<xenc11:MGF xmlns:xenc11="${XENC11}" Algorithm="${checked.mgf}"/>` : '',
    checked.oaepParams ? `<xenc:OAEPparams>${checked.oaepParams}</xenc:OAEPparams>` : '',
  ].join('')
  return (
    `<xenc:EncryptedData xmlns:xenc="${NS.xenc}" xmlns:ds="${NS.dsig}">` +
    `<xenc:EncryptionMethod Algorithm="${checked.content}"/>` +
    `<ds:KeyInfo><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="${checked.keyTransport}">${keyMethodChildren}</xenc:EncryptionMethod>` +
    `<xenc:CipherData><xenc:CipherValue>${checked.encryptedKey}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>` +
    `<xenc:CipherData><xenc:CipherValue>${checked.cipherText}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData>`
  )
}

/** `authenticated`: the EncryptedAssertion was covered by a verified Response signature. */
export function decryptAssertion(
  encryptedAssertion: XmlElement,
  privateKey: string | null,
  authenticated: boolean,
): DecryptedAssertion {
  if (!privateKey) {
    throw new SamlRejection(
      'encrypted_assertion_unexpected',
      'the assertion is encrypted but this organization has no SP encryption key',
    )
  }
  const checked = checkEncryption(encryptedAssertion, authenticated)
  let plain: string | null = null
  let failure = 'decryption did not finish'
  // xml-encryption calls back synchronously for every algorithm allowed above.
  decrypt(
    rebuilt(checked),
    {
      key: privateKey, // Our allow-list above is stricter than the library's (no RSA 1.5, no 3DES) and decides CBC.
      disallowDecryptionWithInsecureAlgorithm: false,
      warnInsecureAlgorithm: false,
    },
    (error, result) => {
      if (error || result === undefined) failure = error?.message ?? 'no result'
      else plain = result.toString()
    },
  )
  if (plain === null) throw refuse(`the assertion could not be decrypted (${failure.slice(0, 120)})`)
  const xml: string = plain
  const assertion = parseSamlXml(xml, 'decrypted assertion')
  if (!is(assertion, NS.assertion, 'Assertion') || !attribute(assertion, 'ID')) {
    throw refuse('the decrypted content is not one Assertion')
  }
  const ids = new Set<string>()
  for (const element of descendants(assertion)) {
    if (
      element !== assertion &&
      (element.localName === 'Assertion' || element.localName === 'EncryptedAssertion')
    ) {
      throw new SamlRejection('assertion_count', 'the decrypted assertion contains another assertion')
    }
    if (element.localName === 'Signature' && element.parentNode !== assertion) {
      throw new SamlRejection('signature_misplaced', 'a Signature sits inside the decrypted assertion')
    }
    for (const name of ['ID', 'Id', 'id']) {
      const value = attribute(element, name)
      if (value === null) continue
      if (ids.has(value))
        throw new SamlRejection('duplicate_id', `ID "${value.slice(0, 80)}" appears more than once`)
      ids.add(value)
    }
  }
  const signatures = children(assertion, NS.dsig, 'Signature')
  if (signatures.length > 1)
    throw new SamlRejection('signature_misplaced', 'the decrypted assertion has two signatures')
  return { xml, assertion, signature: signatures[0] ?? null }
}
