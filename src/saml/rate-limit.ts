/**
 * A per-client token bucket for the unauthenticated SAML endpoints (ACS and SP-initiated login):
 * `capacity` requests at once, refilled at `refillPerSecond`. In memory, one instance per app (the
 * binary is one process; a restart forgetting buckets is harmless). The number of remembered
 * clients is bounded so a flood of spoofed addresses cannot grow memory without end.
 */
interface Bucket {
  tokens: number
  at: number
}

export interface RateDecision {
  allowed: boolean
  /** True for the first refusal after the bucket ran dry: audit that one, not every refused request. */
  firstRefusal: boolean
  retryAfterSeconds: number
}

export class TokenBucketLimiter {
  readonly #buckets = new Map<string, Bucket & { refused: boolean }>()

  constructor(
    readonly capacity = 20,
    readonly refillPerSecond = 0.5,
    readonly maxClients = 50_000,
  ) {}

  take(client: string, now = Date.now()): RateDecision {
    let bucket = this.#buckets.get(client)
    if (!bucket) {
      if (this.#buckets.size >= this.maxClients) this.#evict(now)
      bucket = { tokens: this.capacity, at: now, refused: false }
      this.#buckets.set(client, bucket)
    } else {
      bucket.tokens = Math.min(
        this.capacity,
        bucket.tokens + ((now - bucket.at) / 1000) * this.refillPerSecond,
      )
      bucket.at = now
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      bucket.refused = false
      return { allowed: true, firstRefusal: false, retryAfterSeconds: 0 }
    }
    const firstRefusal = !bucket.refused
    bucket.refused = true
    return {
      allowed: false,
      firstRefusal,
      retryAfterSeconds: Math.ceil((1 - bucket.tokens) / this.refillPerSecond),
    }
  }

  #evict(now: number): void {
    // Buckets that have refilled completely carry no information.
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.refillPerSecond >= this.capacity)
        this.#buckets.delete(key)
    }
    if (this.#buckets.size < this.maxClients) return
    let drop = Math.floor(this.#buckets.size / 2)
    for (const key of this.#buckets.keys()) {
      if (drop-- <= 0) break
      this.#buckets.delete(key)
    }
  }
}
