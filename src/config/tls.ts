/**
 * The server's own TLS certificate and key (`--tls-cert`/`--tls-key`): read from their files at
 * start and again on every SIGHUP, and checked before they are used: both readable, a PEM
 * certificate, a PEM private key, and the key belongs to the certificate. A pair that fails is
 * refused with one line naming the file and why; on a reload the server keeps the pair it has.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'

export interface TlsFiles {
  certFile: string
  keyFile: string
}

export interface TlsPair {
  /** PEM text, as handed to the TLS listener. */
  cert: string
  key: string
  subject: string
  notAfter: Date
}

/** Why a pair is unusable: the message names the setting and the file. */
export class TlsFilesError extends Error {}

const CERT = 'TLS_CERT_FILE (--tls-cert)'
const KEY = 'TLS_KEY_FILE (--tls-key)'

function readText(setting: string, file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable'
    throw new TlsFilesError(`${setting}: cannot read ${JSON.stringify(file)} (${code})`)
  }
}

/** Reads and checks the pair; throws a TlsFilesError whose message is one line. */
export function readTlsPair(files: TlsFiles): TlsPair {
  const cert = readText(CERT, files.certFile)
  const key = readText(KEY, files.keyFile)
  let certificate: X509Certificate
  try {
    certificate = new X509Certificate(cert)
  } catch {
    throw new TlsFilesError(
      `${CERT}: ${JSON.stringify(files.certFile)} is not a PEM certificate (-----BEGIN CERTIFICATE-----)`,
    )
  }
  let privateKey: ReturnType<typeof createPrivateKey>
  try {
    privateKey = createPrivateKey(key)
  } catch {
    throw new TlsFilesError(
      `${KEY}: ${JSON.stringify(files.keyFile)} is not an unencrypted PEM private key (-----BEGIN PRIVATE KEY-----)`,
    )
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new TlsFilesError(
      `${KEY}: ${JSON.stringify(files.keyFile)} is not the key of the certificate in ${JSON.stringify(files.certFile)}`,
    )
  }
  return {
    cert,
    key,
    subject: certificate.subject.replace(/\n/g, ', '),
    notAfter: new Date(certificate.validTo),
  }
}
