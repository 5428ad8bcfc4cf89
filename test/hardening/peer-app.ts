/**
 * The in-process app as the server runs it, with the socket peer address the server would record
 * (`createFetch` takes Bun's `requestIP` from its second argument): `from(peer)` is a TestApp whose
 * requests arrive from that address, so per-client throttles and proxy trust see real peers.
 */
import type { Config } from '../../src/config/index.ts'
import { createApp, createFetch } from '../../src/http/app.ts'
import { createTestApp, PUBLIC_URL, type TestApp } from '../support/app.ts'

export interface PeerApp {
  base: TestApp
  from(peer: string): TestApp
}

export function createPeerApp(overrides: Partial<Config> = {}): PeerApp {
  const base = createTestApp(overrides)
  const handle = createFetch(createApp(base.deps), base.deps)
  const from = (peer: string): TestApp => {
    const fetch = (request: Request) => handle(request, { requestIP: () => ({ address: peer }) })
    return {
      ...base,
      fetch,
      request: (path, init) =>
        fetch(new Request(path.startsWith('http') ? path : `${PUBLIC_URL}${path}`, init)),
    }
  }
  return { base, from }
}
