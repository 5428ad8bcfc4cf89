/**
 * The TLS front (src/http/tls-front.ts) hands the HTTP server the client's own address, not the
 * loopback address of the relay: per-client throttles, the audit log and TRUST_PROXY see the real
 * peer with TLS exactly as without. The front listens on ::1 and relays to 127.0.0.1, so the two
 * addresses differ; real sockets, real certificate.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { startTlsFront, type TlsFront } from '../../src/http/tls-front.ts'
import { serverCertificate } from '../support/certs.ts'

const pair = serverCertificate('front')
let front: TlsFront | null = null
const backend = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  fetch: (request, server) =>
    Response.json({ address: (front ? front.peerServer(server) : server).requestIP(request)?.address }),
})

afterAll(async () => {
  await front?.stop(0)
  await backend.stop(true)
})

describe('the TLS front', () => {
  test('the HTTP server behind sees the client address, not the relay', async () => {
    front = await startTlsFront({
      files: { certFile: pair.certPath, keyFile: pair.keyPath },
      host: '::1',
      port: 0,
      upstreamPort: backend.port as number,
    })
    const viaTls = await fetch(`https://[::1]:${front.port}/`, { tls: { ca: pair.certificate } })
    expect(await viaTls.json()).toEqual({ address: '::1' })
    // A connection straight to the HTTP port is not one the front relays: its own peer stands.
    const direct = await fetch(`http://127.0.0.1:${backend.port}/`)
    expect(await direct.json()).toEqual({ address: '127.0.0.1' })
  })
})
