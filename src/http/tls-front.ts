/**
 * HTTPS without a proxy (`--tls-cert`/`--tls-key`): a TLS listener on the public port that
 * terminates TLS and hands each connection, byte for byte, to the plain HTTP server listening on
 * a loopback port of its own. Why not `Bun.serve({ tls })`: Bun's `server.reload()` ignores `tls`,
 * and swapping listeners closes every idle keep-alive connection, whereas a `node:tls` server's
 * `setSecureContext` changes the certificate for new handshakes and leaves open connections
 * alone. SIGHUP calls `reload()`; a pair that fails its checks keeps the current one.
 *
 * The HTTP server then sees every client as 127.0.0.1: `peerServer` maps the loopback port of each
 * relayed connection back to the client's address, so throttles, the audit log and TRUST_PROXY
 * see the real peer, exactly as without TLS. To the app this is "a TLS proxy in front" — the same
 * case as a load balancer, which the org URLs and cookies already handle (PUBLIC_URL says https).
 */
import { connect, type Socket } from 'node:net'
import { createServer, type TLSSocket } from 'node:tls'
import { readTlsPair, type TlsFiles, type TlsPair } from '../config/tls.ts'

export interface TlsFront {
  port: number
  /** The certificate now served. */
  current: TlsPair
  /** Re-reads the files and serves them to new connections; throws TlsFilesError and keeps the old pair. */
  reload(): TlsPair
  /** The server's `requestIP`, answering the client's address for relayed connections. */
  peerServer(server: PeerSource): PeerSource
  /** Stops listening; connections end as the HTTP server behind closes them (or after `graceMs`). */
  stop(graceMs?: number): Promise<void>
}

export interface PeerSource {
  requestIP(request: Request): { address: string; port?: number } | null
}

export async function startTlsFront(options: {
  files: TlsFiles
  host: string
  port: number
  upstreamPort: number
}): Promise<TlsFront> {
  let current = readTlsPair(options.files)
  /** Loopback port of a relayed connection → the address of the client it carries. */
  const clients = new Map<number, string>()
  const open = new Set<TLSSocket>()
  const server = createServer(
    // HTTP/1.1 only: the server behind speaks HTTP/1.1 on its plain port.
    { cert: current.cert, key: current.key, ALPNProtocols: ['http/1.1'] },
    (client) => relay(client),
  )
  server.on('tlsClientError', () => {
    // A failed handshake (a scanner, a client that does not trust the certificate): nothing to serve.
  })

  function relay(client: TLSSocket): void {
    open.add(client)
    client.pause()
    client.setNoDelay(true)
    const upstream: Socket = connect({ host: '127.0.0.1', port: options.upstreamPort })
    upstream.setNoDelay(true)
    let localPort: number | undefined
    const end = () => {
      if (localPort !== undefined && clients.get(localPort) === client.remoteAddress)
        clients.delete(localPort)
      open.delete(client)
      client.destroy()
      upstream.destroy()
    }
    upstream.once('connect', () => {
      localPort = upstream.localPort
      // Known before the first byte reaches the HTTP server, so its first request already maps.
      if (localPort !== undefined && client.remoteAddress) clients.set(localPort, client.remoteAddress)
      client.pipe(upstream)
      upstream.pipe(client)
      client.resume()
    })
    client.on('error', end)
    upstream.on('error', end)
    client.on('close', end)
    upstream.on('close', end)
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : options.port

  return {
    port,
    get current() {
      return current
    },
    reload() {
      const pair = readTlsPair(options.files)
      server.setSecureContext({ cert: pair.cert, key: pair.key })
      current = pair
      return pair
    },
    peerServer(source) {
      return {
        requestIP(request) {
          const peer = source.requestIP(request)
          const client = peer?.port === undefined ? undefined : clients.get(peer.port)
          return client ? { address: client } : peer
        },
      }
    },
    async stop(graceMs = 10_000) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      const timer = setTimeout(() => {
        for (const socket of open) socket.destroy()
      }, graceMs)
      await closed
      clearTimeout(timer)
    },
  }
}
