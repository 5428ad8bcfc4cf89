/**
 * Real X.509 certificates and RSA keys for tests, made with the openssl command (Debian's openssl;
 * `.ci/run` installs it). Cached per test process in a temp folder.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const dir = mkdtempSync(join(tmpdir(), 'okb-certs-'))
const cache = new Map<string, KeyPair>()

export interface KeyPair {
  certificate: string
  privateKey: string
  certPath: string
  keyPath: string
}

function run(args: string[]): void {
  const result = Bun.spawnSync(['openssl', ...args], { cwd: dir, stderr: 'pipe', stdout: 'pipe' })
  if (result.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr.toString()}`)
}

/** A self-signed RSA certificate made by `openssl req -x509`, once per `file` name in this process. */
function selfSignedOnce(file: string, days: number, extra: string[]): KeyPair {
  const hit = cache.get(file)
  if (hit) return hit
  const keyPath = join(dir, `${file}.key`)
  const certPath = join(dir, `${file}.crt`)
  run([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    keyPath,
    '-out',
    certPath,
    '-days',
    String(days),
    ...extra,
  ])
  const pair = {
    certificate: readFileSync(certPath, 'utf8'),
    privateKey: readFileSync(keyPath, 'utf8'),
    certPath,
    keyPath,
  }
  cache.set(file, pair)
  return pair
}

/** A self-signed certificate valid from now for `days` (default 365). */
export function selfSigned(name = 'idp', days = 365): KeyPair {
  return selfSignedOnce(`${name}-${days}`, days, ['-subj', `/CN=${name}/O=Test IdP`])
}

/** A self-signed TLS server certificate for localhost, 127.0.0.1 and ::1, valid for `days`. */
export function serverCertificate(name: string, days = 30): KeyPair {
  return selfSignedOnce(`server-${name}-${days}`, days, [
    '-subj',
    `/CN=${name}`,
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
  ])
}

/** A self-signed certificate whose validity ended in 2021. */
export function expired(name = 'expired-idp'): KeyPair {
  const key = `expired:${name}`
  const hit = cache.get(key)
  if (hit) return hit
  const ca = join(dir, `ca-${name}`)
  Bun.spawnSync(['mkdir', '-p', join(ca, 'newcerts')])
  writeFileSync(join(ca, 'index.txt'), '')
  writeFileSync(join(ca, 'serial'), '01\n')
  writeFileSync(
    join(ca, 'ca.cnf'),
    `[ca]\ndefault_ca=d\n[d]\ndir=${ca}\ndatabase=$dir/index.txt\nnew_certs_dir=$dir/newcerts\nserial=$dir/serial\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n`,
  )
  const keyPath = join(dir, `${name}.key`)
  const csrPath = join(dir, `${name}.csr`)
  const certPath = join(dir, `${name}.crt`)
  run([
    'req',
    '-new',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    keyPath,
    '-out',
    csrPath,
    '-subj',
    `/CN=${name}`,
  ])
  run([
    'ca',
    '-batch',
    '-config',
    join(ca, 'ca.cnf'),
    '-selfsign',
    '-keyfile',
    keyPath,
    '-in',
    csrPath,
    '-out',
    certPath,
    '-startdate',
    '20200101000000Z',
    '-enddate',
    '20210101000000Z',
  ])
  const pair = {
    certificate: readFileSync(certPath, 'utf8'),
    privateKey: readFileSync(keyPath, 'utf8'),
    certPath,
    keyPath,
  }
  cache.set(key, pair)
  return pair
}
