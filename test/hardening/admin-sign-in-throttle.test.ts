/**
 * Issue 9, "admin sign-in": throttles per client address (before any argon2id check), per (email,
 * client) with exponential backoff (someone elsewhere cannot lock the real admin out), a global
 * per-email ceiling, one audit row per refused burst, and the 429 page with Retry-After. Through
 * the real console form with real socket peers, and on the throttles (their state in a real store)
 * with a fake clock.
 */
import { afterEach, describe, expect, spyOn, test } from 'bun:test'
import { backoff as backoffPolicy, StoreThrottle, tokenBucket } from '../../src/http/throttle.ts'
import { openStore } from '../../src/store/index.ts'
import { LoginThrottle, signInThrottleStores } from '../../src/web/rate-limit.ts'
import { seedOrg } from '../support/app.ts'
import { ConsoleClient, seedAdmin } from '../web/console-client.ts'
import { createPeerApp } from './peer-app.ts'

const BASE = '/orgs/acme'
/** Each admitted attempt is a real argon2id check (~180 ms, more on a busy machine). */
const ARGON2_TIMEOUT = 30_000

async function setUp() {
  const peers = createPeerApp()
  const { org } = await seedOrg(peers.base.store, 'acme')
  const admin = await seedAdmin(peers.base, 'acme')
  const client = (address: string) => new ConsoleClient(peers.from(address))
  const rows = async () =>
    (await peers.base.store.audit.list(org.id, { kind: 'admin', limit: 500 })).filter(
      (row) => row.action === 'admin.sign_in',
    )
  return { peers, admin, client, rows }
}

let verify: ReturnType<typeof spyOn> | null = null
afterEach(() => {
  verify?.mockRestore()
  verify = null
})

describe('admin sign-in throttling', () => {
  test(
    "someone else's wrong passwords do not lock the real admin out",
    async () => {
      const { admin, client } = await setUp()
      const attacker = client('198.51.100.66')
      const statuses: number[] = []
      for (let i = 0; i < 7; i++)
        statuses.push((await attacker.signIn(BASE, admin.email, `guess-${i}`)).status)
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429])
      const real = await client('203.0.113.5').signIn(BASE, admin.email)
      expect(real.status).toBe(303)
    },
    ARGON2_TIMEOUT,
  )

  test(
    'spraying invented emails from one client is refused before any password check',
    async () => {
      const { client, rows } = await setUp()
      verify = spyOn(Bun.password, 'verify')
      const sprayer = client('198.51.100.77')
      const statuses: number[] = []
      for (let i = 0; i < 25; i++)
        statuses.push((await sprayer.signIn(BASE, `nobody-${i}@acme.example`, 'password-guess')).status)
      expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true)
      expect(statuses.slice(10).every((s) => s === 429)).toBe(true)
      // Each admitted attempt cost one argon2id verification; the refused ones none.
      expect(verify.mock.calls.length).toBe(10)
      expect((await rows()).filter((r) => r.reason === 'wrong email or password')).toHaveLength(10)
      // Another client is not affected.
      expect((await client('203.0.113.6').signIn(BASE, 'nobody@acme.example', 'x')).status).toBe(401)
    },
    ARGON2_TIMEOUT,
  )

  test(
    'a refused burst is audited once per throttle, not once per request',
    async () => {
      const { admin, client, rows } = await setUp()
      const attacker = client('198.51.100.88')
      for (let i = 0; i < 60; i++) await attacker.signIn(BASE, admin.email, `guess-${i}`)
      const limited = (await rows()).filter((r) => r.reason?.startsWith('rate limited'))
      // The (email, client) lock refused first, then the client's bucket ran dry: two bursts.
      expect(limited.map((r) => r.reason).sort()).toEqual([
        'rate limited: repeated failures for this email from this client',
        'rate limited: too many sign-in attempts from this client',
      ])
      expect(JSON.parse(limited[0]?.data ?? '{}')).toEqual({ client: '198.51.100.88' })
      expect((await rows()).filter((r) => r.reason === 'wrong email or password')).toHaveLength(5)
    },
    ARGON2_TIMEOUT,
  )

  test(
    'the 429 is the sign-in page with Retry-After',
    async () => {
      const { admin, client } = await setUp()
      const attacker = client('198.51.100.99')
      for (let i = 0; i < 5; i++) await attacker.signIn(BASE, admin.email, `guess-${i}`)
      const locked = await attacker.signIn(BASE, admin.email)
      expect(locked.status).toBe(429)
      expect(locked.headers.get('content-type')).toContain('text/html')
      expect(locked.headers.get('retry-after')).toBe('30')
      const html = await locked.text()
      expect(html).toContain('Too many sign-in attempts. Try again in 30 s.')
      expect(html).toContain('name="_csrf"')
    },
    ARGON2_TIMEOUT,
  )

  test(
    'a success clears its own backoff',
    async () => {
      const { admin, client } = await setUp()
      const person = client('203.0.113.7')
      for (let i = 0; i < 4; i++) expect((await person.signIn(BASE, admin.email, 'typo')).status).toBe(401)
      expect((await person.signIn(BASE, admin.email)).status).toBe(303)
      person.cookies.clear()
      for (let i = 0; i < 4; i++) expect((await person.signIn(BASE, admin.email, 'typo')).status).toBe(401)
    },
    ARGON2_TIMEOUT,
  )
})

describe('the throttles', () => {
  test('backoff: five failures free, then a lock that doubles up to the cap; reset forgets', async () => {
    const backoff = new StoreThrottle(openStore(':memory:'), 'backoff', backoffPolicy(5, 30, 15 * 60))
    let now = 1_000_000
    for (let i = 0; i < 4; i++) await backoff.hit('k', now)
    expect((await backoff.check('k', now)).allowed).toBe(true)
    await backoff.hit('k', now)
    expect(await backoff.check('k', now)).toEqual({
      allowed: false,
      firstRefusal: true,
      retryAfterSeconds: 30,
    })
    expect((await backoff.check('k', now)).firstRefusal).toBe(false)
    const locks: number[] = []
    for (let i = 0; i < 7; i++) {
      now += (await backoff.check('k', now)).retryAfterSeconds * 1000
      expect((await backoff.check('k', now)).allowed).toBe(true)
      await backoff.hit('k', now)
      const refused = await backoff.check('k', now)
      expect(refused.firstRefusal).toBe(true)
      locks.push(refused.retryAfterSeconds)
    }
    expect(locks).toEqual([60, 120, 240, 480, 900, 900, 900])
    expect((await backoff.check('other', now)).allowed).toBe(true)
    await backoff.reset('k')
    expect((await backoff.check('k', now)).allowed).toBe(true)
  })

  test('token bucket: check does not spend, hit does; refused hits spend nothing', async () => {
    const bucket = new StoreThrottle(openStore(':memory:'), 'bucket', tokenBucket(2, 1))
    expect((await bucket.check('k', 0)).allowed).toBe(true)
    expect((await bucket.hit('k', 0)).allowed).toBe(true)
    expect((await bucket.hit('k', 0)).allowed).toBe(true)
    expect(await bucket.hit('k', 0)).toEqual({ allowed: false, firstRefusal: true, retryAfterSeconds: 1 })
    expect((await bucket.hit('k', 500)).firstRefusal).toBe(false)
    expect((await bucket.hit('k', 1000)).allowed).toBe(true)
  })

  test('the per-email ceiling holds across many clients, and only for that email', async () => {
    const throttle = new LoginThrottle(signInThrottleStores(openStore(':memory:')))
    const attempt = (client: string, email = 'admin@acme.example') => ({ orgId: 'o1', email, client })
    const now = 5_000_000
    // 25 addresses, four failures each: no single (email, client) is locked.
    for (let c = 0; c < 25; c++) {
      for (let i = 0; i < 4; i++) {
        expect(await throttle.admit(attempt(`192.0.2.${c}`), now)).toBeNull()
        await throttle.failed(attempt(`192.0.2.${c}`), now)
      }
    }
    const refused = await throttle.admit(attempt('203.0.113.200'), now)
    expect(refused?.reason).toBe('rate limited: too many failures for this email')
    expect(refused?.firstRefusal).toBe(true)
    expect(await throttle.admit(attempt('203.0.113.200', 'other@acme.example'), now)).toBeNull()
  })
})
