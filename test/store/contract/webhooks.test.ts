/**
 * The webhooks contract, on both engines: an endpoint reads back by org only (another org's id is
 * null), the delivery loop's writes are compare-and-set on the cursor (a stale one changes
 * nothing), `due` pages every enabled endpoint whose retry is due, and the signing secrets are
 * sealed with a SECRET_KEY, open only with it, keep the previous one until it expires, and a first
 * start with a key seals the clear ones (a keyless start then refuses the store).
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { createSecretBox, isSealed, type SecretBox, SecretKeyError } from '../../../src/secrets/secret-box.ts'
import { openStore, type Store } from '../../../src/store/index.ts'
import { openPostgresStore } from '../../../src/store/postgres/index.ts'
import { eachEngine } from './engines.ts'
import { orgRow } from './org-state-support.ts'

const T = 1_700_000_000_000
const KEY = createSecretBox('contract-test-webhook-key-0123456789abcdef')

function withKey(base: Store, secrets: SecretBox | null): Promise<Store> {
  if (base.engine.kind === 'postgres') return openPostgresStore(base.engine.url, { poolSize: 4, secrets })
  return Promise.resolve(openStore(base.engine.path, undefined, secrets))
}

const hook = (id: string, orgId: string, secret = `whsec_${id}`) => ({
  id,
  orgId,
  url: `https://hooks.example/${id}`,
  description: '',
  eventTypes: [] as string[],
  batch: false,
  secret,
  cursor: 0,
  at: T,
})

eachEngine((engine) => {
  let store: Store
  beforeAll(async () => {
    store = await engine.open()
    for (const id of ['org-a', 'org-b']) await store.orgs.insert(orgRow(id))
  }, 30_000)
  afterAll(() => store.close())

  test('an endpoint is found only with its own org; the cursor moves only from where the sender read it', async () => {
    await store.webhooks.create(hook('h1', 'org-a'))
    expect((await store.webhooks.get('org-a', 'h1'))?.url).toBe('https://hooks.example/h1')
    expect(await store.webhooks.get('org-b', 'h1')).toBeNull()
    expect(await store.webhooks.remove('org-b', 'h1')).toBe(false)
    expect(await store.webhooks.advance('h1', 0, 5)).toBe(true)
    expect(await store.webhooks.advance('h1', 0, 9)).toBe(false)
    expect((await store.webhooks.get('org-a', 'h1'))?.cursor_event_id).toBe(5)
    expect(
      await store.webhooks.fail('h1', 5, {
        attempt: 1,
        failingSince: T,
        nextAttemptAt: T + 100,
        error: 'answered 500',
      }),
    ).toBe(true)
    expect(await store.webhooks.due(T + 50, '', 10)).toEqual([])
    expect((await store.webhooks.due(T + 100, '', 10)).map((row) => row.id)).toEqual(['h1'])
    // A replay moves the cursor back and clears the retry state; a stale failure then changes nothing.
    expect(await store.webhooks.replay('org-a', 'h1', 2, T)).toBe(true)
    expect(
      await store.webhooks.fail('h1', 5, { attempt: 2, failingSince: T, nextAttemptAt: T, error: 'x' }),
    ).toBe(false)
    const row = await store.webhooks.get('org-a', 'h1')
    expect([row?.cursor_event_id, row?.attempt, row?.failing_since]).toEqual([2, 0, null])
    expect(await store.webhooks.disable('h1', 2, 'failing', T)).toBe(true)
    expect(await store.webhooks.due(T, '', 10)).toEqual([])
    expect(await store.webhooks.setEnabled('org-a', 'h1', true, null, T)).toBe(true)
    expect((await store.webhooks.get('org-a', 'h1'))?.enabled).toBe(1)
  })

  test('due pages by id; the delivery log pages newest first', async () => {
    for (const id of ['p1', 'p2', 'p3']) await store.webhooks.create(hook(id, 'org-b'))
    const first = await store.webhooks.due(T, 'p', 2)
    expect(first.map((row) => row.id)).toEqual(['p1', 'p2'])
    expect((await store.webhooks.due(T, 'p2', 2)).map((row) => row.id)).toEqual(['p3'])
    const ids: number[] = []
    for (let attempt = 1; attempt <= 3; attempt++) {
      ids.push(
        await store.webhooks.recordDelivery({
          org_id: 'org-b',
          endpoint_id: 'p1',
          message_id: 'msg_1',
          event_ids: '[1]',
          attempt,
          status: attempt === 3 ? 'delivered' : 'pending',
          response_status: attempt === 3 ? 200 : 500,
          response_body: 'x',
          duration_ms: 1,
          error: null,
          at: T + attempt,
          next_attempt_at: null,
        }),
      )
    }
    const page = await store.webhooks.deliveries('org-b', 'p1', Number.MAX_SAFE_INTEGER, 2)
    expect(page.map((row) => row.attempt)).toEqual([3, 2])
    expect(
      (await store.webhooks.deliveries('org-b', 'p1', ids[1] as number, 5)).map((row) => row.attempt),
    ).toEqual([1])
    expect(await store.webhooks.deliveries('org-a', 'p1', Number.MAX_SAFE_INTEGER, 5)).toEqual([])
    expect(await store.webhooks.pruneDeliveries(T + 3, 10)).toBe(2)
  })

  test('secrets: sealed with a key, the previous one signs until it expires, unlock seals clear ones', async () => {
    const base = await engine.open()
    try {
      await base.orgs.insert(orgRow('org-s'))
      await base.webhooks.create(hook('clear', 'org-s', 'whsec_clear'))
      await base.webhooks.rotateSecret('org-s', 'clear', 'whsec_new', 'whsec_clear', T + 1000, T)
      const keyed = await withKey(base, KEY)
      try {
        expect((await keyed.secrets.unlock(T)).sealed).toBe(2)
        const row = await keyed.webhooks.get('org-s', 'clear')
        expect(isSealed(row?.secret)).toBe(true)
        expect(isSealed(row?.previous_secret)).toBe(true)
        expect(await keyed.webhooks.signingSecrets(row as NonNullable<typeof row>, T)).toEqual([
          'whsec_new',
          'whsec_clear',
        ])
        expect(await keyed.webhooks.signingSecrets(row as NonNullable<typeof row>, T + 1000)).toEqual([
          'whsec_new',
        ])
        await keyed.webhooks.create(hook('sealed', 'org-s', 'whsec_sealed'))
        expect(isSealed((await keyed.webhooks.get('org-s', 'sealed'))?.secret)).toBe(true)
      } finally {
        await keyed.close()
      }
      const keyless = await withKey(base, null)
      try {
        await expect(keyless.secrets.unlock(T)).rejects.toBeInstanceOf(SecretKeyError)
        const row = await keyless.webhooks.get('org-s', 'sealed')
        await expect(
          keyless.webhooks.signingSecrets(row as NonNullable<typeof row>, T),
        ).rejects.toBeInstanceOf(SecretKeyError)
        await expect(keyless.webhooks.create(hook('late', 'org-s'))).rejects.toBeInstanceOf(SecretKeyError)
      } finally {
        await keyless.close()
      }
    } finally {
      await base.close()
    }
  })
})
