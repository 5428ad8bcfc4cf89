/**
 * What the webhook tests share: an org with an endpoint pointing at a verifying receiver, events
 * written to the org's feed through the store's own `events.append` (the scheduler's writer), and
 * a delivery loop over the same store with short timeouts and retries (settings, as an operator
 * would give them), so failure paths take milliseconds instead of minutes.
 */
import { silentLogger } from '../../src/observability/log.ts'
import { createMetrics, type Metrics } from '../../src/observability/metrics.ts'
import { createOrg, type Org } from '../../src/orgs/service.ts'
import type { Store } from '../../src/store/index.ts'
import {
  type DeliveryConfig,
  startWebhookDelivery,
  type WebhookDelivery,
} from '../../src/webhooks/delivery.ts'
import type { CreatedWebhook, NewWebhookInput } from '../../src/webhooks/model.ts'
import { createWebhook, getWebhook } from '../../src/webhooks/service.ts'
import { type Receiver, startReceiver } from '../support/webhook-receiver.ts'

export const FAST: DeliveryConfig = {
  allowPrivateOutbound: true,
  webhookTimeoutMs: 400,
  webhookFailureWindowSeconds: 3600,
  webhookRetryMs: [30, 60, 120],
}

let orgCount = 0

export interface Scene {
  store: Store
  org: Org
  receiver: Receiver
  hook: CreatedWebhook
  metrics: Metrics
  loops: WebhookDelivery[]
  /** Appends `count` events of `type` to the org's feed; returns their ids. */
  emit(count: number, type?: string, org?: Org): Promise<number[]>
  /** Starts a delivery loop (an instance) over `store` (default: the scene's). */
  deliver(config?: Partial<DeliveryConfig>, store?: Store): WebhookDelivery
  state(): ReturnType<typeof getWebhook>
  close(): Promise<void>
}

export async function scene(
  store: Store,
  input: Partial<NewWebhookInput> = {},
  receiverOptions: { delayMs?: number } = {},
): Promise<Scene> {
  orgCount++
  const org = await createOrg(store, {
    slug: `hooks-${orgCount}-${crypto.randomUUID().slice(0, 6)}`,
    name: 'Hooks Inc',
  })
  const receiver = startReceiver(receiverOptions)
  const hook = await createWebhook(
    store,
    org,
    { url: receiver.url, ...input },
    { policy: { allowPrivate: true }, actor: 'test' },
  )
  receiver.secrets = [hook.secret]
  const metrics = createMetrics()
  const loops: WebhookDelivery[] = []
  return {
    store,
    org,
    receiver,
    hook,
    metrics,
    loops,
    async emit(count, type = 'account.created', target = org) {
      const before = await store.events.lastId(target.id)
      for (let i = 0; i < count; i++) {
        await store.events.append(target.id, { type, accountId: `acc-${i}`, data: { n: i } }, Date.now())
      }
      return (await store.events.after(target.id, before, count)).map((event) => event.id)
    },
    deliver(config = {}, on = store) {
      const loop = startWebhookDelivery({
        store: on,
        log: silentLogger,
        metrics,
        config: { ...FAST, ...config },
        pollMs: 10,
      })
      loops.push(loop)
      return loop
    },
    state: () => getWebhook(store, org, hook.id),
    async close() {
      await Promise.all(loops.map((loop) => loop.stop()))
      receiver.stop()
      await store.webhooks.remove(org.id, hook.id)
    },
  }
}

/** Waits until `check` holds (never a fixed sleep: the tests wait for states). */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(10)
  }
}
