/**
 * A downstream app for the webhook tests: a local Bun.serve that verifies every request with the
 * `standardwebhooks` package (a verifier nobody here wrote), records what arrived in order, and
 * can misbehave on cue: answer an error status, hang past the sender's timeout, or go away and
 * come back on the same port.
 */
import { Webhook } from 'standardwebhooks'

export interface Received {
  webhookId: string
  timestamp: string
  signature: string
  body: string
  /** The events the request carried (one, or the batch's). */
  events: Array<{ id: number; type: string; data: Record<string, unknown> }>
  /** Whether `standardwebhooks` verified it with the receiver's secret(s). */
  verified: boolean
  /** Which of the receiver's secrets verified it. */
  verifiedWith: number[]
}

/** What to do with the next request: answer normally, answer `status`, or hang for `hangMs`. */
export type Behaviour = { kind: 'ok' } | { kind: 'status'; status: number } | { kind: 'hang'; hangMs: number }

export interface Receiver {
  url: string
  port: number
  secrets: string[]
  /** Every request that reached the handler, in arrival order. */
  received: Received[]
  /** Requests answered 2xx, in order. */
  acknowledged: Received[]
  /** The behaviour for the next requests (a function of the request number, from 0). */
  behave(rule: (index: number, request: Received) => Behaviour): void
  /** Ids of the events acknowledged, in order. */
  ackedEventIds(): number[]
  stop(): void
  /** Listens again on the same port. */
  restart(): void
  waitFor(check: () => boolean, timeoutMs?: number, what?: string): Promise<void>
}

export function startReceiver(options: { secrets?: string[]; delayMs?: number } = {}): Receiver {
  const received: Received[] = []
  const acknowledged: Received[] = []
  let rule: (index: number, request: Received) => Behaviour = () => ({ kind: 'ok' })
  let server: ReturnType<typeof Bun.serve> | null = null
  const receiver: Receiver = {
    url: '',
    port: 0,
    secrets: options.secrets ?? [],
    received,
    acknowledged,
    behave(next) {
      rule = next
    },
    ackedEventIds: () => acknowledged.flatMap((request) => request.events.map((event) => event.id)),
    stop() {
      server?.stop(true)
      server = null
    },
    restart() {
      listen(receiver.port)
    },
    async waitFor(check, timeoutMs = 20_000, what = 'the receiver') {
      const until = Date.now() + timeoutMs
      while (!check()) {
        if (Date.now() > until) throw new Error(`timed out waiting for ${what} (${received.length} received)`)
        await Bun.sleep(10)
      }
    },
  }
  const handle = async (request: Request) => {
    const body = await request.text()
    const headers = {
      'webhook-id': request.headers.get('webhook-id') ?? '',
      'webhook-timestamp': request.headers.get('webhook-timestamp') ?? '',
      'webhook-signature': request.headers.get('webhook-signature') ?? '',
    }
    const verifiedWith: number[] = []
    receiver.secrets.forEach((secret, index) => {
      try {
        new Webhook(secret).verify(body, headers)
        verifiedWith.push(index)
      } catch {}
    })
    let parsed: unknown = null
    try {
      parsed = JSON.parse(body)
    } catch {}
    const events = (
      parsed && typeof parsed === 'object' && 'events' in parsed
        ? (parsed as { events: unknown[] }).events
        : [parsed]
    ) as Received['events']
    const entry: Received = {
      webhookId: headers['webhook-id'],
      timestamp: headers['webhook-timestamp'],
      signature: headers['webhook-signature'],
      body,
      events,
      verified: verifiedWith.length > 0,
      verifiedWith,
    }
    const index = received.length
    received.push(entry)
    const behaviour = rule(index, entry)
    if (behaviour.kind === 'hang') {
      await Bun.sleep(behaviour.hangMs)
      return new Response('too late', { status: 200 })
    }
    if (behaviour.kind === 'status') return new Response(`refused ${index}`, { status: behaviour.status })
    if (options.delayMs) await Bun.sleep(options.delayMs)
    if (!entry.verified) return new Response('bad signature', { status: 400 })
    acknowledged.push(entry)
    return new Response('ok')
  }
  const listen = (port: number) => {
    server = Bun.serve({ hostname: '127.0.0.1', port, fetch: handle, idleTimeout: 60 })
    receiver.port = server.port as number
    receiver.url = `http://127.0.0.1:${receiver.port}/hooks`
  }
  listen(0)
  return receiver
}
