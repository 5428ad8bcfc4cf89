/**
 * Webhooks through the compiled binary as a real process: Okta pushes users over SCIM, the
 * scheduler writes the feed, the delivery loop pushes it to a local receiver that verifies every
 * request with `standardwebhooks`; the process is killed with SIGKILL in the middle of delivery and
 * restarted on the same data, and the receiver still gets every event, first arrivals in feed order,
 * any redelivery under the same `webhook-id`. `/metrics` shows the delivery counters.
 */
import { afterAll, expect, setDefaultTimeout, test } from 'bun:test'
import { join } from 'node:path'
import { setUpIntegration } from '../../src/integration/service.ts'
import { createApiKey, createOrg } from '../../src/orgs/service.ts'
import { openStore } from '../../src/store/index.ts'
import { type RunningBinary, startBinary, tempDataDir } from '../support/binary.ts'
import { selfSigned } from '../support/certs.ts'
import { startReceiver } from '../support/webhook-receiver.ts'

setDefaultTimeout(120_000)

const USERS = 150
const METRICS_TOKEN = 'webhook-binary-metrics-token'
const running: RunningBinary[] = []
const receiver = startReceiver({ delayMs: 15 })
afterAll(async () => {
  for (const binary of running) if (binary.proc.exitCode === null) await binary.stop('SIGKILL')
  receiver.stop()
})

const until = async (check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000) => {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(50)
  }
}

test('kill -9 during delivery: after a restart every event arrives, in order, redeliveries under the same webhook-id', async () => {
  const dataDir = tempDataDir()
  const store = openStore(join(dataDir, 'okta-bridge.sqlite'))
  const org = await createOrg(store, { slug: 'acme' })
  const { key } = await createApiKey(store, { orgSlug: 'acme' })
  const { scimToken } = await setUpIntegration(
    store,
    org,
    {
      ssoUrl: 'https://acme.okta.com/app/x/sso/saml',
      issuer: 'http://www.okta.com/x',
      certificate: selfSigned().certificate,
    },
    'test',
  )
  await store.close()
  const env = {
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    ALLOW_PRIVATE_OUTBOUND: '1',
    WEBHOOK_RETRY_MS: '50,100',
    METRICS_TOKEN,
  }
  const start = async () => {
    const binary = await startBinary(['--sync-interval-ms', '20'], env)
    running.push(binary)
    return binary
  }
  let binary = await start()
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${binary.url}/api/v1/orgs/acme${path}`, {
      ...init,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    })

  const created = await api('/webhooks', { method: 'POST', body: JSON.stringify({ url: receiver.url }) })
  expect(created.status).toBe(201)
  const hook = (await created.json()) as { id: string; secret: string }
  receiver.secrets = [hook.secret]

  for (let i = 0; i < USERS; i++) {
    const response = await fetch(`${binary.url}/orgs/acme/okta/scim/Users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: `user${i}@acme.example`,
        name: { givenName: 'User', familyName: String(i) },
        emails: [{ value: `user${i}@acme.example`, primary: true }],
        active: true,
      }),
    })
    expect(response.status).toBe(201)
  }
  // Part-way through delivery (the receiver takes ~15 ms an event), kill the process without warning.
  await until(() => receiver.acknowledged.length >= 30, 'the first deliveries')
  expect(await binary.stop('SIGKILL')).not.toBe(0)
  const atKill = receiver.acknowledged.length
  expect(atKill).toBeLessThan(USERS)

  binary = await start()
  const feed = async () => {
    const response = await api('/events?limit=1000')
    return ((await response.json()) as { events: Array<{ id: number; type: string }> }).events
  }
  await until(
    async () => (await feed()).filter((e) => e.type === 'account.created').length === USERS,
    'the feed',
  )
  const events = await feed()
  const last = events.at(-1)?.id as number
  await until(async () => {
    const state = (await (await api(`/webhooks/${hook.id}`)).json()) as { cursor: number }
    return state.cursor === last
  }, 'the endpoint to catch up')

  const acked = receiver.ackedEventIds()
  const firstArrivals = acked.filter((id, index) => acked.indexOf(id) === index)
  expect(firstArrivals).toEqual(events.map((e) => e.id))
  // A redelivery (the event in flight at the kill) carries the webhook-id of the first delivery.
  const idOf = new Map<number, string>()
  for (const request of receiver.acknowledged) {
    const eventId = request.events[0]?.id as number
    expect(idOf.get(eventId) ?? request.webhookId).toBe(request.webhookId)
    idOf.set(eventId, request.webhookId)
  }
  expect(acked.length - firstArrivals.length).toBeLessThanOrEqual(2)
  expect(receiver.received.every((request) => request.verified)).toBe(true)

  const metrics = await fetch(`${binary.url}/metrics`, {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  })
  const text = await metrics.text()
  expect(text).toContain('okta_bridge_webhook_deliveries_total{outcome="delivered"}')
  expect(text).toContain(`okta_bridge_webhook_lag_seconds{endpoint="${hook.id}"} 0`)
  // Webhook series name endpoints by id only, never the org.
  const webhookLines = text.split('\n').filter((line) => line.startsWith('okta_bridge_webhook'))
  expect(webhookLines.length).toBeGreaterThan(0)
  expect(webhookLines.some((line) => line.includes('acme'))).toBe(false)
  expect(await binary.stop('SIGTERM')).toBe(0)
})
