/**
 * A minimal self-signed X.509 v3 certificate builder (DER/ASN.1 by hand). Bun's crypto makes RSA
 * keys but not certificates, and the SP encryption key's certificate only has to carry the public
 * key into Okta and the SP metadata: subject = issuer = one common name, sha256WithRSAEncryption,
 * basicConstraints CA:false, keyUsage digitalSignature + keyEncipherment + dataEncipherment.
 */
import { createPrivateKey, createPublicKey, sign } from 'node:crypto'

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n])
  const bytes: number[] = []
  for (let rest = n; rest > 0; rest >>= 8) bytes.unshift(rest & 0xff)
  return Buffer.from([0x80 | bytes.length, ...bytes])
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content)
  return Buffer.concat([Buffer.from([tag]), length(body.length), body])
}

const sequence = (...items: Buffer[]) => tlv(0x30, ...items)
const set = (...items: Buffer[]) => tlv(0x31, ...items)
const utf8 = (text: string) => tlv(0x0c, Buffer.from(text, 'utf8'))
const nullValue = () => Buffer.from([0x05, 0x00])

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number)
  const bytes: number[] = [(parts[0] as number) * 40 + (parts[1] as number)]
  for (const part of parts.slice(2)) {
    const chunk: number[] = [part & 0x7f]
    for (let rest = part >> 7; rest > 0; rest >>= 7) chunk.unshift((rest & 0x7f) | 0x80)
    bytes.push(...chunk)
  }
  return tlv(0x06, Buffer.from(bytes))
}

/** A positive INTEGER from unsigned big-endian bytes. */
function integer(bytes: Buffer): Buffer {
  let start = 0
  while (start < bytes.length - 1 && bytes[start] === 0) start++
  const trimmed = bytes.subarray(start)
  return tlv(0x02, (trimmed[0] as number) & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed)
}

/** UTCTime before 2050, GeneralizedTime from then on (RFC 5280 §4.1.2.5). */
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14)
  return date.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`))
    : tlv(0x18, Buffer.from(`${iso}Z`))
}

const SHA256_WITH_RSA = sequence(oid('1.2.840.113549.1.1.11'), nullValue())

export interface SelfSignedInput {
  /** PEM (PKCS#8) RSA private key. */
  privateKey: string
  commonName: string
  notBefore: Date
  notAfter: Date
}

/** Returns the certificate as PEM. */
export function selfSignedCertificate(input: SelfSignedInput): string {
  const key = createPrivateKey(input.privateKey)
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' })
  const name = sequence(set(sequence(oid('2.5.4.3'), utf8(input.commonName))))
  const serial = Buffer.from(crypto.getRandomValues(new Uint8Array(16)))
  serial[0] = (serial[0] as number) & 0x7f || 0x01
  const extensions = tlv(
    0xa3,
    sequence(
      // basicConstraints (critical): not a CA.
      sequence(oid('2.5.29.19'), tlv(0x01, Buffer.from([0xff])), tlv(0x04, sequence())),
      // keyUsage (critical): digitalSignature, keyEncipherment, dataEncipherment.
      sequence(
        oid('2.5.29.15'),
        tlv(0x01, Buffer.from([0xff])),
        tlv(0x04, tlv(0x03, Buffer.from([0x04, 0xb0]))),
      ),
    ),
  )
  const tbs = sequence(
    tlv(0xa0, integer(Buffer.from([2]))),
    integer(serial),
    SHA256_WITH_RSA,
    name,
    sequence(time(input.notBefore), time(input.notAfter)),
    name,
    spki,
    extensions,
  )
  const signature = sign('sha256', tbs, key)
  const der = sequence(tbs, SHA256_WITH_RSA, tlv(0x03, Buffer.from([0]), signature))
  const lines = der.toString('base64').match(/.{1,64}/g) ?? []
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`
}
