/**
 * Step: an EncryptedAssertion is opened with the org's SP private key (xml-encryption), allowing
 * only AES content encryption and RSA-OAEP key transport. AES-GCM is always accepted; AES-CBC (Okta's
 * default) only when the ciphertext was already authenticated by a verified Response signature,
 * because unauthenticated CBC decryption is a padding oracle (Jager & Somorovsky, 2011). Every
 * failure gives the same reason (`decryption_failed`). The plaintext is then parsed as strictly as
 * the response itself and must be one Assertion whose only Signature is its own.
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
  serialize,
  type XmlElement,
} from '../xml.ts'

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

export interface DecryptedAssertion {
  /** The decrypted XML text (signatures inside it are verified over this text). */
  xml: string
  assertion: XmlElement
  signature: XmlElement | null
}

function checkAlgorithms(encryptedAssertion: XmlElement, authenticated: boolean): void {
  const data = onlyChild(encryptedAssertion, NS.xenc, 'EncryptedData')
  if (!data) throw new SamlRejection('decryption_failed', 'EncryptedAssertion has no EncryptedData')
  const method = onlyChild(data, NS.xenc, 'EncryptionMethod')
  const content = method ? attribute(method, 'Algorithm') : null
  if (content && CBC.has(content) && !authenticated) {
    throw new SamlRejection(
      'decryption_failed',
      'AES-CBC is accepted only inside a signed Response: sign the Response in Okta or choose AES-GCM',
    )
  }
  if (!content || !(GCM.has(content) || CBC.has(content))) {
    throw new SamlRejection('decryption_failed', `content encryption ${content ?? 'missing'} is not accepted`)
  }
  for (const element of descendants(encryptedAssertion)) {
    if (is(element, NS.xenc, 'EncryptedKey')) {
      const keyMethod = onlyChild(element, NS.xenc, 'EncryptionMethod')
      const algorithm = keyMethod ? attribute(keyMethod, 'Algorithm') : null
      if (!algorithm || !KEY_ALGORITHMS.has(algorithm)) {
        throw new SamlRejection(
          'decryption_failed',
          `key transport ${algorithm ?? 'missing'} is not accepted`,
        )
      }
    }
  }
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
  checkAlgorithms(encryptedAssertion, authenticated)
  let plain: string | null = null
  let failure = 'decryption did not finish'
  // xml-encryption calls back synchronously for every algorithm allowed above.
  decrypt(
    serialize(encryptedAssertion),
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
  if (plain === null)
    throw new SamlRejection(
      'decryption_failed',
      `the assertion could not be decrypted (${failure.slice(0, 120)})`,
    )
  const xml: string = plain
  const assertion = parseSamlXml(xml, 'decrypted assertion')
  if (!is(assertion, NS.assertion, 'Assertion') || !attribute(assertion, 'ID')) {
    throw new SamlRejection('decryption_failed', 'the decrypted content is not one Assertion')
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
