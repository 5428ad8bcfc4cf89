/**
 * Issue 13, "operating the binary": the compiled binary serves HTTPS itself with `--tls-cert` and
 * `--tls-key` (certificates made by openssl), PUBLIC_URL defaults to https, and SIGHUP re-reads the
 * files: new connections get the new certificate while a keep-alive connection opened before goes
 * on serving requests; a broken pair on SIGHUP is refused and the current one kept. Every response
 * names its request id, and the binary's "request" log line carries it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { copyFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect, type TLSSocket } from 'node:tls'
import { buildBinary, type RunningBinary, runBinary, startBinary, tempDataDir } from '../support/binary.ts'
import { serverCertificate } from '../support/certs.ts'

const dataDir = tempDataDir()
const certFile = join(dataDir, 'tls.crt')
const keyFile = join(dataDir, 'tls.key')
let server: RunningBinary | null = null

beforeAll(() => {
  buildBinary()
}, 120_000)
afterAll(async () => {
  if (server) await server.stop('SIGKILL')
  rmSync(dataDir, { recursive: true, force: true })
})

/** A TLS connection trusting only `ca`, kept open for several HTTP/1.1 requests. */
async function keepAlive(port: number, ca: string) {
  const socket: TLSSocket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' })
  await new Promise<void>((ok, fail) => {
    socket.once('secureConnect', ok)
    socket.once('error', fail)
  })
  let received = ''
  socket.on('data', (chunk) => {
    received += chunk.toString()
  })
  return {
    subject: () => socket.getPeerCertificate().subject.CN,
    closed: () => socket.destroyed,
    async get(path: string): Promise<{ status: number; body: string }> {
      received = ''
      socket.write(`GET ${path} HTTP/1.1\r\nhost: localhost\r\nconnection: keep-alive\r\n\r\n`)
      for (let i = 0; i < 500 && !/\r\n\r\n[\s\S]*\}/.test(received); i++) {
        if (socket.destroyed) throw new Error('the connection was closed')
        await Bun.sleep(10)
      }
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1])
      return { status, body: received.slice(received.indexOf('\r\n\r\n') + 4) }
    },
    end: () => socket.end(),
  }
}

/** The CN of the certificate a new handshake gets. */
async function servedSubject(port: number): Promise<string> {
  const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false })
  await new Promise<void>((ok, fail) => {
    socket.once('secureConnect', ok)
    socket.once('error', fail)
  })
  const name = String(socket.getPeerCertificate().subject.CN)
  socket.end()
  return name
}

async function logLine(binary: RunningBinary, match: (line: Record<string, unknown>) => boolean) {
  for (let i = 0; i < 1000; i++) {
    for (const line of binary.lines) {
      const parsed = JSON.parse(line)
      if (match(parsed)) return parsed
    }
    await Bun.sleep(10)
  }
  throw new Error('no such log line')
}

describe('HTTPS served by the binary', () => {
  test('invalid TLS settings are one line and exit code 2', () => {
    const first = serverCertificate('first')
    const other = serverCertificate('other')
    const refused = (args: string[], env: Record<string, string> = {}) => {
      const result = runBinary(['serve', '--data-dir', dataDir, ...args], env)
      expect(result.code).toBe(2)
      const lines = result.stderr.trim().split('\n')
      expect(lines).toHaveLength(1)
      return lines[0] as string
    }
    expect(refused(['--tls-cert', first.certPath])).toBe(
      'okta-bridge: invalid setting TLS_KEY_FILE (--tls-key): HTTPS needs both --tls-cert and --tls-key',
    )
    expect(
      refused([], { TLS_CERT_FILE: join(dataDir, 'missing.crt'), TLS_KEY_FILE: first.keyPath }),
    ).toContain('TLS_CERT_FILE (--tls-cert): cannot read')
    expect(refused(['--tls-cert', first.keyPath, '--tls-key', first.keyPath])).toContain(
      'is not a PEM certificate',
    )
    expect(refused(['--tls-cert', first.certPath, '--tls-key', first.certPath])).toContain(
      'is not an unencrypted PEM private key',
    )
    expect(refused(['--tls-cert', first.certPath, '--tls-key', other.keyPath])).toContain(
      'is not the key of the certificate',
    )
  })

  test('https, PUBLIC_URL defaults to https, SIGHUP swaps the certificate without dropping a connection', async () => {
    const first = serverCertificate('first')
    const second = serverCertificate('second')
    copyFileSync(first.certPath, certFile)
    copyFileSync(first.keyPath, keyFile)
    const org = runBinary(['org', 'create', '--slug', 'acme', '--data-dir', dataDir, '--json'])
    expect(org.code).toBe(0)
    const key = JSON.parse(
      runBinary(['api-key', 'create', '--org', 'acme', '--data-dir', dataDir, '--json']).stdout,
    ).key as string

    server = await startBinary(['--data-dir', dataDir, '--tls-cert', certFile, '--tls-key', keyFile])
    const { port } = server
    expect(server.url).toBe(`https://127.0.0.1:${port}`)

    // Trusted through the first certificate only; plain http on the port is no HTTP answer.
    const health = await fetch(`https://127.0.0.1:${port}/healthz`, { tls: { ca: first.certificate } })
    expect(health.status).toBe(200)
    const requestId = health.headers.get('x-request-id') as string
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/)
    expect((await logLine(server, (l) => l.msg === 'request' && l.requestId === requestId)).route).toBe(
      '/healthz',
    )
    await expect(fetch(`https://127.0.0.1:${port}/healthz`)).rejects.toThrow()
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow()

    // The Okta values derive from an https PUBLIC_URL without it being set.
    const status = await fetch(`https://127.0.0.1:${port}/api/v1/orgs/acme/okta`, {
      headers: { authorization: `Bearer ${key}` },
      tls: { ca: first.certificate },
    })
    expect(status.status).toBe(200)
    expect((await status.json()).acsUrl).toBe(`https://localhost:${port}/orgs/acme/okta/auth`)

    const kept = await keepAlive(port, first.certificate)
    expect((await kept.get('/healthz')).status).toBe(200)
    expect(kept.subject()).toBe('first')

    // Renewed: the files are replaced in place, then SIGHUP.
    copyFileSync(second.certPath, certFile)
    copyFileSync(second.keyPath, keyFile)
    server.proc.kill('SIGHUP')
    const reloaded = await logLine(server, (l) => l.msg === 'TLS certificate reloaded')
    expect(reloaded.subject).toBe('CN=second')
    expect(await servedSubject(port)).toBe('second')
    const renewed = await fetch(`https://127.0.0.1:${port}/readyz`, { tls: { ca: second.certificate } })
    expect(renewed.status).toBe(200)

    // The connection opened before the reload is still open and still serves.
    const again = await kept.get('/healthz')
    expect(again.status).toBe(200)
    expect(JSON.parse(again.body)).toEqual({ status: 'ok' })
    expect(kept.closed()).toBe(false)
    kept.end()

    // A broken pair on SIGHUP is refused in the log, and the server keeps serving the current one.
    writeFileSync(keyFile, 'not a key')
    server.proc.kill('SIGHUP')
    const refused = await logLine(
      server,
      (l) => l.msg === 'TLS certificate not reloaded: still serving the previous one',
    )
    expect(refused.level).toBe('error')
    expect(String(refused.reason)).toContain('TLS_KEY_FILE (--tls-key)')
    expect(await servedSubject(port)).toBe('second')
    expect(server.proc.exitCode).toBeNull()

    // SIGTERM still stops it cleanly.
    expect(await server.stop('SIGTERM')).toBe(0)
    server = null
  }, 60_000)
})
