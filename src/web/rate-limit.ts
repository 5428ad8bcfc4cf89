/**
 * The admin sign-in form's throttles, all decided before any argon2id check (~180 ms each), so a
 * guessing or spraying flood stays cheap to refuse:
 * - per client address: a token bucket over every attempt (10 at once, then one per 30 s), whatever
 *   the email, so spraying invented emails from one address is bounded too;
 * - per (email, client): failures back off exponentially (5 free, then 30 s doubling up to 15 min),
 *   so someone guessing elsewhere never locks the real admin out of their own address;
 * - per email, across clients: a much higher ceiling (100 failures, refilled at 100 an hour) that
 *   bounds guessing spread over many addresses.
 * A success resets only its own (email, client) backoff. The state is in the store
 * (`StoreThrottle`), so every instance on one database counts against the same limits.
 */
import {
  backoff,
  StoreThrottle,
  type ThrottleDecision,
  type ThrottleStore,
  tokenBucket,
} from '../http/throttle.ts'
import type { Store } from '../store/index.ts'

export interface SignInAttempt {
  orgId: string
  /** Trimmed and lower-cased. */
  email: string
  client: string
}

export interface SignInRefusal {
  retryAfterSeconds: number
  /** The first refusal of a burst: the one worth an audit row. */
  firstRefusal: boolean
  reason: string
}

export interface SignInThrottleStores {
  client: ThrottleStore
  emailClient: ThrottleStore
  email: ThrottleStore
}

/** The sign-in throttles as the console uses them, their state in `store`. */
export function signInThrottleStores(store: Pick<Store, 'transaction'>): SignInThrottleStores {
  return {
    client: new StoreThrottle(store, 'sign_in.client', tokenBucket(10, 1 / 30)),
    emailClient: new StoreThrottle(store, 'sign_in.email_client', backoff(5, 30, 15 * 60)),
    email: new StoreThrottle(store, 'sign_in.email', tokenBucket(100, 100 / 3600)),
  }
}

export class LoginThrottle {
  constructor(readonly stores: SignInThrottleStores) {}

  /** Counts the attempt against its client and says whether it may go on to the password check. */
  async admit(attempt: SignInAttempt, now = Date.now()): Promise<SignInRefusal | null> {
    const byClient = await this.stores.client.hit(attempt.client, now)
    if (!byClient.allowed) return refusal(byClient, 'too many sign-in attempts from this client')
    const byEmailClient = await this.stores.emailClient.check(emailClientKey(attempt), now)
    if (!byEmailClient.allowed)
      return refusal(byEmailClient, 'repeated failures for this email from this client')
    const byEmail = await this.stores.email.check(emailKey(attempt), now)
    return byEmail.allowed ? null : refusal(byEmail, 'too many failures for this email')
  }

  async failed(attempt: SignInAttempt, now = Date.now()): Promise<void> {
    await this.stores.emailClient.hit(emailClientKey(attempt), now)
    await this.stores.email.hit(emailKey(attempt), now)
  }

  /** The email's global ceiling is left alone: a success says nothing about other clients' guesses. */
  async succeeded(attempt: SignInAttempt): Promise<void> {
    await this.stores.emailClient.reset(emailClientKey(attempt))
  }
}

function refusal(decision: ThrottleDecision, why: string): SignInRefusal {
  const { retryAfterSeconds, firstRefusal } = decision
  return { retryAfterSeconds, firstRefusal, reason: `rate limited: ${why}` }
}

const emailKey = (a: SignInAttempt) => `${a.orgId}\u0000${a.email}`
const emailClientKey = (a: SignInAttempt) => `${a.orgId}\u0000${a.email}\u0000${a.client}`
