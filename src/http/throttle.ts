/**
 * Throttles for unauthenticated endpoints (SAML sign-in, admin sign-in), behind one small interface
 * so their state can move into the store when several instances share it (issue 10): a decision is
 * `hit(key, now)` / `check(key, now)` / `reset(key)`, nothing else. The two in-memory
 * implementations here are what one process uses today; a restart forgetting them is harmless. Each
 * bounds the number of keys it remembers, so a flood of spoofed addresses or invented emails cannot
 * grow memory without end.
 */

export interface ThrottleDecision {
  allowed: boolean
  /** The first refusal since the key was last allowed: audit that one, not every refused request. */
  firstRefusal: boolean
  retryAfterSeconds: number
}

/** One throttle's state by key. A store-backed implementation makes these async. */
export interface ThrottleStore {
  /** Counts one event (a request, a failed sign-in) and says whether it was within the limit. */
  hit(key: string, now?: number): ThrottleDecision
  /** Whether one more event would be within the limit, without counting it. */
  check(key: string, now?: number): ThrottleDecision
  /** Forgets the key (a successful sign-in). */
  reset(key: string): void
}

const ALLOWED: ThrottleDecision = { allowed: true, firstRefusal: false, retryAfterSeconds: 0 }

/** Adds a key to a full map only after forgetting stale entries, then (still full) the oldest half. */
function addBounded<V>(
  map: Map<string, V>,
  key: string,
  value: V,
  maxKeys: number,
  stale: (v: V) => boolean,
) {
  if (map.size >= maxKeys) {
    for (const [k, v] of map) if (stale(v)) map.delete(k)
    let drop = map.size >= maxKeys ? Math.floor(map.size / 2) : 0
    for (const k of map.keys()) {
      if (drop-- <= 0) break
      map.delete(k)
    }
  }
  map.set(key, value)
}

interface Bucket {
  tokens: number
  at: number
  refused: boolean
}

/** `capacity` events at once, then `refillPerSecond`. A hit that is refused costs no token. */
export class TokenBucketThrottle implements ThrottleStore {
  readonly #buckets = new Map<string, Bucket>()

  constructor(
    readonly capacity: number,
    readonly refillPerSecond: number,
    readonly maxKeys = 50_000,
  ) {}

  hit(key: string, now = Date.now()): ThrottleDecision {
    const decision = this.check(key, now)
    if (decision.allowed) {
      const bucket = this.#buckets.get(key)
      if (bucket) bucket.tokens -= 1
      else {
        const fresh = { tokens: this.capacity - 1, at: now, refused: false }
        // A bucket that has refilled completely carries no information.
        addBounded(this.#buckets, key, fresh, this.maxKeys, (b) => this.#tokens(b, now) >= this.capacity)
      }
    }
    return decision
  }

  check(key: string, now = Date.now()): ThrottleDecision {
    const bucket = this.#buckets.get(key)
    if (!bucket) return ALLOWED
    bucket.tokens = this.#tokens(bucket, now)
    bucket.at = now
    if (bucket.tokens >= 1) {
      bucket.refused = false
      return ALLOWED
    }
    const firstRefusal = !bucket.refused
    bucket.refused = true
    return {
      allowed: false,
      firstRefusal,
      retryAfterSeconds: Math.ceil((1 - bucket.tokens) / this.refillPerSecond),
    }
  }

  reset(key: string): void {
    this.#buckets.delete(key)
  }

  #tokens(bucket: Bucket, now: number): number {
    return Math.min(this.capacity, bucket.tokens + ((now - bucket.at) / 1000) * this.refillPerSecond)
  }
}

interface Failures {
  count: number
  lockedUntil: number
  lastAt: number
  refused: boolean
}

/**
 * Failures with exponential backoff: `freeFailures` in a row are allowed, then each further failure
 * locks the key for `baseSeconds` doubled per failure, at most `maxSeconds`. A key left alone for
 * `forgetAfterMs` starts over.
 */
export class BackoffThrottle implements ThrottleStore {
  readonly #failures = new Map<string, Failures>()

  constructor(
    readonly freeFailures = 5,
    readonly baseSeconds = 30,
    readonly maxSeconds = 15 * 60,
    readonly forgetAfterMs = 60 * 60_000,
    readonly maxKeys = 50_000,
  ) {}

  /** The failure that uses up the free ones starts the lock; it was itself within the limit. */
  hit(key: string, now = Date.now()): ThrottleDecision {
    let state = this.#current(key, now)
    if (!state) {
      state = { count: 0, lockedUntil: 0, lastAt: now, refused: false }
      addBounded(this.#failures, key, state, this.maxKeys, (f) => this.#forgotten(f, now))
    }
    state.count++
    state.lastAt = now
    state.refused = false
    const over = state.count - this.freeFailures
    if (over < 0) return ALLOWED
    state.lockedUntil = now + Math.min(this.maxSeconds, this.baseSeconds * 2 ** over) * 1000
    const retryAfterSeconds = Math.ceil((state.lockedUntil - now) / 1000)
    return over === 0 ? ALLOWED : { allowed: false, firstRefusal: false, retryAfterSeconds }
  }

  check(key: string, now = Date.now()): ThrottleDecision {
    const state = this.#current(key, now)
    if (!state || state.lockedUntil <= now) return ALLOWED
    const firstRefusal = !state.refused
    state.refused = true
    return { allowed: false, firstRefusal, retryAfterSeconds: Math.ceil((state.lockedUntil - now) / 1000) }
  }

  reset(key: string): void {
    this.#failures.delete(key)
  }

  #current(key: string, now: number): Failures | undefined {
    const state = this.#failures.get(key)
    if (state && this.#forgotten(state, now)) {
      this.#failures.delete(key)
      return undefined
    }
    return state
  }

  #forgotten(state: Failures, now: number): boolean {
    return state.lastAt + this.forgetAfterMs <= now && state.lockedUntil <= now
  }
}
