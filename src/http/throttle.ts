/**
 * Throttles for unauthenticated endpoints (SAML sign-in, admin sign-in). A throttle is an algorithm
 * (a `ThrottlePolicy`: plain functions from a small JSON-able state and the time to the next state
 * and a decision) and its state, which lives in the store (`throttle_state`), so several instances
 * on one database share every limit: five bad passwords spread over two instances count as five, and
 * a client refused by one is refused by the other (issue 10: memory may cache, never decide). Each
 * decision is one atomic read-modify-write of one row (`store.throttles.step` in a transaction).
 *
 * Memory stays bounded whatever clients send: keys are hashed (a row's size does not depend on an
 * invented email), and each row expires when its state carries no information any more (a bucket
 * refilled, a failure streak forgotten), after which it reads as absent and housekeeping deletes it.
 */
import type { Store } from '../store/index.ts'

export interface ThrottleDecision {
  allowed: boolean
  /** The first refusal since the key was last allowed: audit that one, not every refused request. */
  firstRefusal: boolean
  retryAfterSeconds: number
}

/** One throttle's decisions by key; the state behind them is shared through the store. */
export interface ThrottleStore {
  /** Counts one event (a request, a failed sign-in) and says whether it was within the limit. */
  hit(key: string, now?: number): Promise<ThrottleDecision>
  /** Whether one more event would be within the limit, without counting it. */
  check(key: string, now?: number): Promise<ThrottleDecision>
  /** Forgets the key (a successful sign-in). */
  reset(key: string): Promise<void>
}

/** A state (null: none, the key is clean) after one event, and what was decided. */
export interface ThrottleStep<S> {
  state: S | null
  decision: ThrottleDecision
}

/** An algorithm, pure: no clock, no storage, so it runs the same on every instance. */
export interface ThrottlePolicy<S> {
  hit(state: S | null, now: number): ThrottleStep<S>
  check(state: S | null, now: number): ThrottleStep<S>
  /** When the state says nothing a missing one would not: the row may go from then on. */
  expiresAt(state: S): number
  /** A stored state, or null when it is not one of ours (a row from another version). */
  decode(value: unknown): S | null
}

const ALLOWED: ThrottleDecision = { allowed: true, firstRefusal: false, retryAfterSeconds: 0 }

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null
const finite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value)

export interface Bucket {
  tokens: number
  at: number
  refused: boolean
}

/**
 * `capacity` events at once, then `refillPerSecond`. A hit that is refused costs no token. Instances'
 * clocks differ a little: a state never goes back in time, so a late clock cannot take tokens away.
 */
export function tokenBucket(capacity: number, refillPerSecond: number): ThrottlePolicy<Bucket> {
  const tokensAt = (bucket: Bucket, now: number) =>
    Math.min(capacity, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * refillPerSecond)
  const check = (state: Bucket | null, now: number): ThrottleStep<Bucket> => {
    if (!state) return { state: null, decision: ALLOWED }
    const tokens = tokensAt(state, now)
    const at = Math.max(now, state.at)
    if (tokens >= 1) return { state: { tokens, at, refused: false }, decision: ALLOWED }
    return {
      state: { tokens, at, refused: true },
      decision: {
        allowed: false,
        firstRefusal: !state.refused,
        retryAfterSeconds: Math.ceil((1 - tokens) / refillPerSecond),
      },
    }
  }
  return {
    check,
    hit(state, now) {
      const checked = check(state, now)
      if (!checked.decision.allowed) return checked
      const bucket = checked.state ?? { tokens: capacity, at: now, refused: false }
      return { state: { ...bucket, tokens: bucket.tokens - 1 }, decision: ALLOWED }
    },
    // A bucket that has refilled completely carries no information.
    expiresAt: (bucket) => bucket.at + Math.ceil(((capacity - bucket.tokens) / refillPerSecond) * 1000),
    decode: (value) =>
      isRecord(value) && finite(value.tokens) && finite(value.at) && typeof value.refused === 'boolean'
        ? { tokens: value.tokens, at: value.at, refused: value.refused }
        : null,
  }
}

export interface Failures {
  count: number
  lockedUntil: number
  lastAt: number
  refused: boolean
}

/**
 * Failures with exponential backoff: `freeFailures` in a row are allowed, then each further failure
 * locks the key for `baseSeconds` doubled per failure, at most `maxSeconds`. A key left alone for
 * `forgetAfterMs` (and no longer locked) starts over. The failure that uses up the free ones starts
 * the lock; it was itself within the limit.
 */
export function backoff(
  freeFailures = 5,
  baseSeconds = 30,
  maxSeconds = 15 * 60,
  forgetAfterMs = 60 * 60_000,
): ThrottlePolicy<Failures> {
  const expiresAt = (state: Failures) => Math.max(state.lastAt + forgetAfterMs, state.lockedUntil)
  const current = (state: Failures | null, now: number) => (state && expiresAt(state) > now ? state : null)
  const retryAfter = (state: Failures, now: number) => Math.ceil((state.lockedUntil - now) / 1000)
  return {
    expiresAt,
    hit(state, now) {
      const previous = current(state, now)
      const count = (previous?.count ?? 0) + 1
      const lastAt = Math.max(now, previous?.lastAt ?? now)
      const over = count - freeFailures
      if (over < 0) {
        return {
          state: { count, lockedUntil: previous?.lockedUntil ?? 0, lastAt, refused: false },
          decision: ALLOWED,
        }
      }
      const next = {
        count,
        lockedUntil: now + Math.min(maxSeconds, baseSeconds * 2 ** over) * 1000,
        lastAt,
        refused: false,
      }
      const decision =
        over === 0
          ? ALLOWED
          : { allowed: false, firstRefusal: false, retryAfterSeconds: retryAfter(next, now) }
      return { state: next, decision }
    },
    check(state, now) {
      const live = current(state, now)
      if (!live || live.lockedUntil <= now) return { state: live, decision: ALLOWED }
      return {
        state: { ...live, refused: true },
        decision: { allowed: false, firstRefusal: !live.refused, retryAfterSeconds: retryAfter(live, now) },
      }
    },
    decode: (value) =>
      isRecord(value) &&
      finite(value.count) &&
      finite(value.lockedUntil) &&
      finite(value.lastAt) &&
      typeof value.refused === 'boolean'
        ? { count: value.count, lockedUntil: value.lockedUntil, lastAt: value.lastAt, refused: value.refused }
        : null,
  }
}

/** The stored key: a hash, so its size is fixed whatever the client sent (emails, addresses). */
function storedKey(key: string): string {
  return new Bun.CryptoHasher('sha256').update(key).digest('base64url')
}

function parse(raw: string | null): unknown {
  if (raw === null) return null
  try {
    return JSON.parse(raw)
  } catch {
    return null
  }
}

/**
 * A policy's decisions over state in the store, under `name` (one per throttle: the SAML bucket and
 * the sign-in bucket count the same client addresses separately). Every call is one transaction.
 */
export class StoreThrottle<S> implements ThrottleStore {
  constructor(
    readonly store: Pick<Store, 'transaction'>,
    readonly name: string,
    readonly policy: ThrottlePolicy<S>,
  ) {}

  hit(key: string, now = Date.now()): Promise<ThrottleDecision> {
    return this.#step(key, now, (state) => this.policy.hit(state, now))
  }

  check(key: string, now = Date.now()): Promise<ThrottleDecision> {
    return this.#step(key, now, (state) => this.policy.check(state, now))
  }

  async reset(key: string): Promise<void> {
    await this.#step(key, Date.now(), () => ({ state: null, decision: ALLOWED }))
  }

  async #step(
    key: string,
    now: number,
    next: (state: S | null) => ThrottleStep<S>,
  ): Promise<ThrottleDecision> {
    // The update may run more than once (PostgreSQL repeats a step that lost a race): the decision
    // is the one of the run whose state was stored.
    let decision = ALLOWED
    await this.store.transaction((tx) =>
      tx.throttles.step(this.name, storedKey(key), now, (raw) => {
        const stepped = next(this.policy.decode(parse(raw)))
        decision = stepped.decision
        const { state } = stepped
        return state === null
          ? { state: null, expiresAt: 0 }
          : { state: JSON.stringify(state), expiresAt: Math.ceil(this.policy.expiresAt(state)) }
      }),
    )
    return decision
  }
}
