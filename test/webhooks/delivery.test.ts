/**
 * Webhook delivery on both engines, against a receiver that verifies every request with the
 * `standardwebhooks` package: feed order and no loss (single and batch), the same `webhook-id` on
 * every retry, 500s then recovery, a timeout, a receiver that goes away and comes back, disable
 * after the failure window (audited) and resume on enable, replay, secret rotation with two
 * signatures, event type filters, org isolation, and two instances sharing one store.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { Store } from '../../src/store/index.ts'
import {
  listDeliveries,
  patchWebhook,
  replayWebhook,
  rotateWebhookSecret,
} from '../../src/webhooks/service.ts'
import { eachEngine } from '../store/contract/engines.ts'
import { scene, until } from './support.ts'

const actor = { actor: 'test' }
const policy = { policy: { allowPrivate: true }, actor: 'test' }

eachEngine((engine) => {
  let store: Store
  let twin: Store
  beforeAll(async () => {
    store = await engine.open()
    twin = await engine.openTwin(store)
  })
  afterAll(async () => {
    await twin?.close()
    await store?.close()
  })

  test('every event arrives once, verified, in feed order, one per request', async () => {
    const s = await scene(store)
    try {
      const ids = await s.emit(120)
      s.deliver()
      await s.receiver.waitFor(() => s.receiver.acknowledged.length >= 120)
      expect(s.receiver.ackedEventIds()).toEqual(ids)
      expect(s.receiver.received.every((r) => r.verified)).toBe(true)
      const first = s.receiver.received[0]
      expect(JSON.parse(first?.body ?? '{}')).toMatchObject({
        id: ids[0],
        type: 'account.created',
        data: { n: 0 },
      })
      expect(new Set(s.receiver.received.map((r) => r.webhookId)).size).toBe(120)
      await until(async () => (await s.state()).cursor === ids.at(-1), 'the cursor')
      expect((await s.state()).lagSeconds).toBe(0)
      // Events written while it runs follow, still in order.
      const more = await s.emit(30)
      await s.receiver.waitFor(() => s.receiver.acknowledged.length >= 150)
      expect(s.receiver.ackedEventIds()).toEqual([...ids, ...more])
    } finally {
      await s.close()
    }
  })

  test('batch mode sends {"events": [...]} of up to 500, in order, nothing lost', async () => {
    const s = await scene(store, { batch: true })
    try {
      const ids = await s.emit(1100)
      s.deliver()
      await s.receiver.waitFor(() => s.receiver.ackedEventIds().length >= 1100)
      expect(s.receiver.ackedEventIds()).toEqual(ids)
      expect(s.receiver.acknowledged.every((r) => r.events.length <= 500 && JSON.parse(r.body).events)).toBe(
        true,
      )
      expect(s.receiver.acknowledged.length).toBeGreaterThanOrEqual(3)
    } finally {
      await s.close()
    }
  })

  test('500s then recovery: later events wait, retries carry the same webhook-id, the log shows each try', async () => {
    const s = await scene(store)
    try {
      s.receiver.behave((index) => (index < 4 ? { kind: 'status', status: 500 } : { kind: 'ok' }))
      const ids = await s.emit(5)
      s.deliver()
      await until(async () => (await s.state()).failingSince !== null, 'failingSince')
      await s.receiver.waitFor(() => s.receiver.acknowledged.length >= 5)
      expect(s.receiver.ackedEventIds()).toEqual(ids)
      const firstFive = s.receiver.received.slice(0, 5).map((r) => r.webhookId)
      expect(new Set(firstFive).size).toBe(1)
      // Nothing after the head was sent while it failed.
      expect(s.receiver.received.slice(0, 5).every((r) => r.events[0]?.id === ids[0])).toBe(true)
      await until(async () => (await s.state()).cursor === ids.at(-1), 'the cursor')
      const state = await s.state()
      expect(state.failingSince).toBeNull()
      expect(state.attempt).toBe(0)
      const log = await listDeliveries(store, s.org, s.hook.id, { limit: 100 })
      const head = log.items.filter((d) => d.eventIds[0] === ids[0]).reverse()
      expect(head.map((d) => [d.attempt, d.status, d.responseStatus])).toEqual([
        [1, 'pending', 500],
        [2, 'pending', 500],
        [3, 'pending', 500],
        [4, 'pending', 500],
        [5, 'delivered', 200],
      ])
      expect(head[0]?.responseBody).toBe('refused 0')
      expect(head[0]?.nextAttemptAt).not.toBeNull()
    } finally {
      await s.close()
    }
  })

  test('an answer slower than the timeout is retried under the same webhook-id', async () => {
    const s = await scene(store)
    try {
      s.receiver.behave((index) => (index === 0 ? { kind: 'hang', hangMs: 1500 } : { kind: 'ok' }))
      const ids = await s.emit(2)
      s.deliver()
      await s.receiver.waitFor(() => s.receiver.acknowledged.length >= 2)
      expect(s.receiver.ackedEventIds()).toEqual(ids)
      expect(s.receiver.received[0]?.webhookId).toBe(s.receiver.received[1]?.webhookId as string)
      const log = await listDeliveries(store, s.org, s.hook.id, {})
      expect(log.items.at(-1)?.error).toContain('no answer within 400 ms')
    } finally {
      await s.close()
    }
  })

  test('a receiver that goes away and comes back gets everything, in order', async () => {
    const s = await scene(store)
    try {
      s.receiver.stop()
      const ids = await s.emit(10)
      s.deliver()
      await until(async () => (await s.state()).attempt >= 2, 'failed attempts')
      expect((await s.state()).lastError).not.toBeNull()
      s.receiver.restart()
      await s.receiver.waitFor(() => s.receiver.acknowledged.length >= 10)
      expect(s.receiver.ackedEventIds()).toEqual(ids)
    } finally {
      await s.close()
    }
  })

  test('after the failure window the endpoint is disabled and audited; enabling resumes at the first undelivered event', async () => {
    const s = await scene(store)
    try {
      s.receiver.behave(() => ({ kind: 'status', status: 503 }))
      const delivered = await s.emit(1)
      const waiting = await s.emit(4)
      s.receiver.behave((index) => (index === 0 ? { kind: 'ok' } : { kind: 'status', status: 503 }))
      s.deliver({ webhookFailureWindowSeconds: 1 })
      await until(async () => !(await s.state()).enabled, 'the endpoint to be disabled', 30_000)
      const disabled = await s.state()
      expect(disabled.cursor).toBe(delivered[0] as number)
      expect(disabled.disabledReason).toContain('failing since')
      expect(disabled.lagSeconds).toBeGreaterThanOrEqual(0)
      const audit = await store.audit.list(s.org.id, { limit: 20 })
      expect(audit.some((row) => row.action === 'webhook.disabled' && row.subject === s.hook.id)).toBe(true)
      const log = await listDeliveries(store, s.org, s.hook.id, { limit: 1 })
      expect(log.items[0]?.status).toBe('failed')
      // Nothing is sent while it is disabled; enabling resumes from the first undelivered event.
      s.receiver.behave(() => ({ kind: 'ok' }))
      const before = s.receiver.received.length
      await patchWebhook(store, s.org, s.hook.id, { enabled: true }, policy)
      await s.receiver.waitFor(() => s.receiver.acknowledged.length >= 5)
      expect(s.receiver.received.slice(before).flatMap((r) => r.events.map((e) => e.id))).toEqual(waiting)
      expect(s.receiver.ackedEventIds()).toEqual([...delivered, ...waiting])
      expect((await s.state()).failingSince).toBeNull()
    } finally {
      await s.close()
    }
  })

  test('replay sends every event after afterEventId again, in order, under the same webhook-ids', async () => {
    const s = await scene(store)
    try {
      const ids = await s.emit(8)
      s.deliver()
      await s.receiver.waitFor(() => s.receiver.acknowledged.length >= 8)
      const firstIds = s.receiver.acknowledged.map((r) => r.webhookId)
      const replayed = await replayWebhook(store, s.org, s.hook.id, ids[3] as number, actor)
      expect(replayed.cursor).toBe(ids[3] as number)
      await s.receiver.waitFor(() => s.receiver.acknowledged.length >= 12)
      expect(s.receiver.ackedEventIds().slice(8)).toEqual(ids.slice(4))
      expect(s.receiver.acknowledged.slice(8).map((r) => r.webhookId)).toEqual(firstIds.slice(4))
    } finally {
      await s.close()
    }
  })

  test('after a rotation each request carries two signatures, each verifying with its own secret', async () => {
    const s = await scene(store)
    try {
      const old = s.hook.secret
      const rotated = await rotateWebhookSecret(store, s.org, s.hook.id, actor)
      expect(rotated.secret).not.toBe(old)
      expect(rotated.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
      s.receiver.secrets = [old, rotated.secret]
      await s.emit(1)
      s.deliver()
      await s.receiver.waitFor(() => s.receiver.acknowledged.length >= 1)
      const request = s.receiver.received[0]
      expect(request?.signature.split(' ')).toHaveLength(2)
      expect(request?.signature.split(' ').every((part) => part.startsWith('v1,'))).toBe(true)
      expect(request?.verifiedWith).toEqual([0, 1])
    } finally {
      await s.close()
    }
  })

  test('eventTypes filters: other types are stepped over, never sent, and the cursor passes them', async () => {
    const s = await scene(store, { eventTypes: ['account.deleted'] })
    try {
      await s.emit(5, 'account.created')
      const wanted = await s.emit(2, 'account.deleted')
      const tail = await s.emit(3, 'group.created')
      s.deliver()
      await s.receiver.waitFor(() => s.receiver.acknowledged.length >= 2)
      expect(s.receiver.ackedEventIds()).toEqual(wanted)
      await until(async () => (await s.state()).cursor === tail.at(-1), 'the cursor past filtered events')
      expect(s.receiver.received).toHaveLength(2)
    } finally {
      await s.close()
    }
  })

  test("one org's endpoint never receives another org's events", async () => {
    const a = await scene(store)
    const b = await scene(store)
    try {
      const aIds = await a.emit(6)
      const bIds = await b.emit(4)
      a.deliver()
      await a.receiver.waitFor(() => a.receiver.acknowledged.length >= 6)
      await b.receiver.waitFor(() => b.receiver.acknowledged.length >= 4)
      await until(async () => (await a.state()).cursor === aIds.at(-1), 'a caught up')
      expect(a.receiver.ackedEventIds()).toEqual(aIds)
      expect(b.receiver.ackedEventIds()).toEqual(bIds)
      expect(a.receiver.received).toHaveLength(6)
      expect(b.receiver.received).toHaveLength(4)
      // The other org's admin cannot even see the endpoint.
      await expect(replayWebhook(store, b.org, a.hook.id, 0, actor)).rejects.toMatchObject({ status: 404 })
    } finally {
      await a.close()
      await b.close()
    }
  })

  test('two instances on one store: one sender per endpoint, each event once, in order', async () => {
    const s = await scene(store, {}, { delayMs: 2 })
    try {
      const ids = await s.emit(200)
      s.deliver({}, store)
      s.deliver({}, twin)
      await s.receiver.waitFor(() => s.receiver.acknowledged.length >= 200, 30_000)
      await until(async () => (await s.state()).cursor === ids.at(-1), 'the cursor')
      expect(s.receiver.ackedEventIds()).toEqual(ids)
      expect(s.receiver.received).toHaveLength(200)
    } finally {
      await s.close()
    }
  })
})
