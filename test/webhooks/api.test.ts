/**
 * The webhooks admin API through the real app (`createTestApp`): the shapes of issue 11 (create
 * answers the `whsec_` secret once, get reports cursor/lagSeconds/failingSince, list, patch,
 * delete, rotate, test, replay, deliveries), bad input as 400 in the admin error format, the SSRF
 * refusals at creation and again at delivery, and one org never reaching another's endpoints.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { silentLogger } from '../../src/observability/log.ts'
import { createMetrics } from '../../src/observability/metrics.ts'
import { privateAddressReason } from '../../src/outbound/addresses.ts'
import { createWebhookDelivery } from '../../src/webhooks/delivery.ts'
import { createTestApp, jsonBody, seedOrg } from '../support/app.ts'
import { startReceiver } from '../support/webhook-receiver.ts'
import { FAST } from './support.ts'

const receiver = startReceiver()
afterAll(() => receiver.stop())

async function setup(allowPrivateOutbound = true) {
  const app = createTestApp({ allowPrivateOutbound })
  const acme = await seedOrg(app.store, 'acme')
  const globex = await seedOrg(app.store, 'globex')
  const call = (path: string, init: RequestInit = {}, auth: Record<string, string> = acme.auth) =>
    app.request(`/api/v1/orgs/${path}`, { ...init, headers: { ...auth, ...(init.headers ?? {}) } })
  const post = (path: string, body: unknown, auth = acme.auth) =>
    app.request(`/api/v1/orgs/${path}`, { method: 'POST', ...jsonBody(body, auth) })
  return { app, acme, globex, call, post }
}

describe('webhooks API', () => {
  test('create answers the secret once; get, list, patch and delete use the contract shapes', async () => {
    const { call, post } = await setup()
    const created = await post('acme/webhooks', {
      url: receiver.url,
      eventTypes: ['account.created', 'account.deleted'],
      description: 'the app',
    })
    expect(created.status).toBe(201)
    const hook = (await created.json()) as Record<string, unknown>
    expect(hook).toMatchObject({
      url: receiver.url,
      eventTypes: ['account.created', 'account.deleted'],
      batch: false,
      enabled: true,
      cursor: 0,
      lagSeconds: 0,
      failingSince: null,
    })
    expect(typeof hook.id).toBe('string')
    expect(Number.isNaN(Date.parse(hook.createdAt as string))).toBe(false)
    const secret = hook.secret as string
    expect(secret).toMatch(/^whsec_/)
    expect(Buffer.from(secret.slice(6), 'base64').length).toBeGreaterThanOrEqual(24)

    const one = (await (await call(`acme/webhooks/${hook.id}`)).json()) as Record<string, unknown>
    expect(one.secret).toBeUndefined()
    expect(one).toMatchObject({ id: hook.id, cursor: 0, lagSeconds: 0, failingSince: null })
    const list = (await (await call('acme/webhooks')).json()) as { items: unknown[]; nextCursor: unknown }
    expect(list.items).toHaveLength(1)
    expect(list.nextCursor).toBeNull()
    expect(JSON.stringify(list)).not.toContain(secret)

    const patched = await call(`acme/webhooks/${hook.id}`, {
      method: 'PATCH',
      ...jsonBody({ batch: true, eventTypes: [], enabled: false }),
    })
    expect(patched.status).toBe(200)
    expect(await patched.json()).toMatchObject({ batch: true, eventTypes: [], enabled: false })

    const removed = await call(`acme/webhooks/${hook.id}`, { method: 'DELETE' })
    expect(removed.status).toBe(204)
    expect((await call(`acme/webhooks/${hook.id}`)).status).toBe(404)
  })

  test('pages of endpoints follow nextCursor', async () => {
    const { call, post } = await setup()
    for (let i = 0; i < 3; i++)
      expect((await post('acme/webhooks', { url: `${receiver.url}/${i}` })).status).toBe(201)
    const first = (await (await call('acme/webhooks?limit=2')).json()) as {
      items: { url: string }[]
      nextCursor: string
    }
    expect(first.items).toHaveLength(2)
    const second = (await (await call(`acme/webhooks?limit=2&cursor=${first.nextCursor}`)).json()) as {
      items: { url: string }[]
      nextCursor: string | null
    }
    // Oldest first; endpoints made in the same millisecond are ordered by id, so compare as sets.
    const urls = [...first.items, ...second.items].map((item) => item.url).sort()
    expect(urls).toEqual([0, 1, 2].map((i) => `${receiver.url}/${i}`))
    expect(second.nextCursor).toBeNull()
  })

  test('bad input is a 400 naming the field, never a 500', async () => {
    const { post, call } = await setup()
    const cases: Array<[unknown, string | undefined]> = [
      [{ url: 'ftp://example.com/x' }, 'url'],
      [{ url: 'not a url' }, 'url'],
      [{ url: 'https://user:pw@example.com/' }, 'url'],
      [{ url: receiver.url, eventTypes: ['account.exploded'] }, 'eventTypes'],
      [{ url: receiver.url, extra: 1 }, undefined],
      [{}, undefined],
      [{ url: receiver.url, batch: 'yes' }, undefined],
    ]
    for (const [body, field] of cases) {
      const response = await post('acme/webhooks', body)
      expect(response.status).toBe(400)
      const error = ((await response.json()) as { error: { code: string; field?: string } }).error
      expect(error.code).toMatch(/^[A-Z_]+$/)
      if (field) expect(error.field).toBe(field)
    }
    const created = (await (await post('acme/webhooks', { url: receiver.url })).json()) as { id: string }
    const replay = await post(`acme/webhooks/${created.id}/replay`, { afterEventId: -1 })
    expect(replay.status).toBe(400)
    expect((await call(`acme/webhooks/${created.id}/deliveries?cursor=abc`)).status).toBe(400)
  })

  test("an org never sees or touches another org's endpoint; no credential is 401", async () => {
    const { call, post, globex } = await setup()
    const created = (await (await post('acme/webhooks', { url: receiver.url })).json()) as { id: string }
    for (const [method, path] of [
      ['GET', ''],
      ['PATCH', ''],
      ['DELETE', ''],
      ['POST', '/rotate-secret'],
      ['POST', '/test'],
      ['GET', '/deliveries'],
    ] as const) {
      const init: RequestInit = method === 'PATCH' ? { method, ...jsonBody({ enabled: false }) } : { method }
      expect((await call(`globex/webhooks/${created.id}${path}`, init, globex.auth)).status).toBe(404)
    }
    expect(
      (await post(`globex/webhooks/${created.id}/replay`, { afterEventId: 0 }, globex.auth)).status,
    ).toBe(404)
    // acme's key on globex's URL: 404 (not another org's data), no key: 401.
    expect((await call('globex/webhooks')).status).toBe(404)
    expect((await call('acme/webhooks', {}, {} as Record<string, string>)).status).toBe(401)
    expect(
      ((await (await call('globex/webhooks', {}, globex.auth)).json()) as { items: unknown[] }).items,
    ).toEqual([])
  })

  test('test sends a signed webhook.test event and answers the logged attempt; rotate answers a new secret', async () => {
    const { post, call } = await setup()
    const created = (await (await post('acme/webhooks', { url: receiver.url })).json()) as {
      id: string
      secret: string
    }
    receiver.secrets = [created.secret]
    const before = receiver.acknowledged.length
    const tested = await post(`acme/webhooks/${created.id}/test`, {})
    expect(tested.status).toBe(200)
    const delivery = (await tested.json()) as Record<string, unknown>
    expect(delivery).toMatchObject({
      status: 'delivered',
      responseStatus: 200,
      responseBody: 'ok',
      attempt: 1,
      eventIds: [],
    })
    expect(receiver.acknowledged.length).toBe(before + 1)
    const request = receiver.acknowledged.at(-1)
    expect(request?.verified).toBe(true)
    expect(JSON.parse(request?.body ?? '{}')).toMatchObject({
      type: 'webhook.test',
      data: { webhookId: created.id },
    })
    expect(request?.webhookId).toBe(delivery.messageId as string)

    const rotated = (await (await post(`acme/webhooks/${created.id}/rotate-secret`, {})).json()) as {
      secret: string
    }
    expect(rotated.secret).toMatch(/^whsec_/)
    expect(rotated.secret).not.toBe(created.secret)
    receiver.secrets = [rotated.secret]
    await post(`acme/webhooks/${created.id}/test`, {})
    expect(receiver.acknowledged.at(-1)?.signature.split(' ')).toHaveLength(2)

    const log = (await (await call(`acme/webhooks/${created.id}/deliveries?limit=1`)).json()) as {
      items: Array<{ id: string }>
      nextCursor: string
    }
    expect(log.items).toHaveLength(1)
    const older = (await (
      await call(`acme/webhooks/${created.id}/deliveries?cursor=${log.nextCursor}`)
    ).json()) as {
      items: Array<{ id: string }>
      nextCursor: string | null
    }
    expect(older.items).toHaveLength(1)
    expect(older.nextCursor).toBeNull()
  })

  test('replay answers the endpoint with its cursor moved back', async () => {
    const { app, acme, post } = await setup()
    for (let i = 0; i < 3; i++)
      await app.store.events.append(acme.org.id, { type: 'account.created' }, Date.now())
    const created = (await (await post('acme/webhooks', { url: receiver.url })).json()) as {
      id: string
      cursor: number
    }
    expect(created.cursor).toBe(await app.store.events.lastId(acme.org.id))
    const replayed = await post(`acme/webhooks/${created.id}/replay`, { afterEventId: 0 })
    expect(replayed.status).toBe(200)
    const body = (await replayed.json()) as { cursor: number; lagSeconds: number }
    expect(body.cursor).toBe(0)
    expect(body.lagSeconds).toBeGreaterThanOrEqual(0)
  })
})

describe('SSRF guard', () => {
  test('loopback, private, link-local and metadata destinations are refused at creation', async () => {
    const { post } = await setup(false)
    for (const url of [
      'http://127.0.0.1/hook',
      'http://localhost:8080/hook',
      'http://10.1.2.3/',
      'http://172.16.0.1/',
      'http://192.168.1.1/',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[fd00::1]/',
      'http://[fe80::1]/',
      'http://0.0.0.0/',
      'http://100.64.0.1/',
      'http://2130706433/',
    ]) {
      const response = await post('acme/webhooks', { url })
      expect(response.status, url).toBe(400)
      const error = ((await response.json()) as { error: { field: string; message: string } }).error
      expect(error.field).toBe('url')
      expect(error.message).toContain('refused')
    }
  })

  test('and again at delivery: an endpoint saved while allowed is refused once the policy forbids it', async () => {
    const { app, acme, post } = await setup(true)
    const created = (await (await post('acme/webhooks', { url: receiver.url })).json()) as { id: string }
    await app.store.events.append(acme.org.id, { type: 'account.created' }, Date.now())
    const before = receiver.received.length
    const delivery = createWebhookDelivery({
      store: app.store,
      log: silentLogger,
      metrics: createMetrics(),
      config: { ...FAST, allowPrivateOutbound: false },
    })
    await delivery.runOnce()
    const hook = await app.store.webhooks.get(acme.org.id, created.id)
    expect(hook?.last_error).toContain('ALLOW_PRIVATE_OUTBOUND')
    expect(hook?.attempt).toBe(1)
    expect(receiver.received.length).toBe(before)
  })

  test('address classes', () => {
    const blocked = [
      '127.0.0.1',
      '10.0.0.1',
      '172.31.255.255',
      '192.168.0.1',
      '169.254.169.254',
      '100.127.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::',
      '::1',
      '::ffff:10.0.0.1',
      '64:ff9b::7f00:1',
      '2002:7f00:1::',
      'fc00::1',
      'fd12:3456::1',
      'fe80::1',
      'ff02::1',
      '2001:db8::1',
    ]
    for (const address of blocked) expect(privateAddressReason(address), address).not.toBeNull()
    for (const address of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8']) {
      expect(privateAddressReason(address), address).toBeNull()
    }
  })
})
