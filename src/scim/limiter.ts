/**
 * A per-org bound on SCIM requests in flight. Request handling itself is synchronous (bun:sqlite),
 * so requests pile up only while their bodies arrive; an org holding more than `limit` of them
 * gets a 429 with Retry-After instead of growing the server's memory. One limiter per service
 * instance, never a module singleton.
 */
export class InFlightLimiter {
  private readonly counts = new Map<string, number>()

  constructor(readonly limit: number) {}

  tryAcquire(key: string): boolean {
    const current = this.counts.get(key) ?? 0
    if (current >= this.limit) return false
    this.counts.set(key, current + 1)
    return true
  }

  release(key: string): void {
    const current = this.counts.get(key) ?? 0
    if (current <= 1) this.counts.delete(key)
    else this.counts.set(key, current - 1)
  }

  inFlight(key: string): number {
    return this.counts.get(key) ?? 0
  }
}
