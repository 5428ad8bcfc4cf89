/**
 * Failed sign-in counting for the admin sign-in form: after `maxFailures` failures for one key
 * (an org's admin email, or a client address when a trusted proxy names it) within `windowMs`, that
 * key is refused without checking the password until the window has passed. Refusing before the
 * argon2id check keeps a password-guessing flood cheap to reject. One instance per app (not a module
 * singleton), in memory: the binary is one process, and a restart forgetting counts is acceptable.
 */

interface Window {
  failures: number
  resetAt: number
}

export class LoginThrottle {
  readonly #windows = new Map<string, Window>()

  constructor(
    readonly maxFailures = 5,
    readonly windowMs = 15 * 60_000,
    /** Bound on remembered keys, so a flood of distinct emails cannot grow memory without end. */
    readonly maxKeys = 50_000,
  ) {}

  /** Seconds until `key` may try again, or 0 when it may try now. */
  retryAfter(keys: string[], now = Date.now()): number {
    let wait = 0
    for (const key of keys) {
      const window = this.#windows.get(key)
      if (!window) continue
      if (window.resetAt <= now) this.#windows.delete(key)
      else if (window.failures >= this.maxFailures)
        wait = Math.max(wait, Math.ceil((window.resetAt - now) / 1000))
    }
    return wait
  }

  fail(keys: string[], now = Date.now()): void {
    if (this.#windows.size >= this.maxKeys) this.#prune(now)
    for (const key of keys) {
      const window = this.#windows.get(key)
      if (!window || window.resetAt <= now)
        this.#windows.set(key, { failures: 1, resetAt: now + this.windowMs })
      else window.failures++
    }
  }

  succeed(keys: string[]): void {
    for (const key of keys) this.#windows.delete(key)
  }

  #prune(now: number): void {
    for (const [key, window] of this.#windows) if (window.resetAt <= now) this.#windows.delete(key)
    // Still full of live windows: forget the oldest half rather than grow without bound.
    if (this.#windows.size >= this.maxKeys) {
      let drop = Math.floor(this.#windows.size / 2)
      for (const key of this.#windows.keys()) {
        if (drop-- <= 0) break
        this.#windows.delete(key)
      }
    }
  }
}
