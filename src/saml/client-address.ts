/**
 * The client address of a request, for per-client rate limits. The server's fetch handler records
 * the socket's peer address (`rememberPeerAddress`); behind a trusted proxy (TRUST_PROXY=1) the
 * first X-Forwarded-For entry wins. Never read from a header otherwise: it would be the client's
 * own choice.
 */
const peers = new WeakMap<Request, string>()

export function rememberPeerAddress(request: Request, address: string): void {
  peers.set(request, address)
}

export function clientAddress(request: Request, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = request.headers.get('x-forwarded-for')?.split(',')[0]?.trim()
    if (forwarded) return forwarded.slice(0, 100)
  }
  return peers.get(request) ?? 'unknown'
}
