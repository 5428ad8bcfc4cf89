/**
 * The first run: on an instance without an organization, the set-up code (./code.ts) buys the first
 * org and its first admin, in one transaction that also uses the code up, so two people racing with
 * the same code make one org, and two instances (each with its own code) on one database make one
 * org too: the transaction takes the store's first-run lock before it counts. Attempts are throttled before anything is checked, with state in the
 * store like the admin sign-in's (src/web/rate-limit.ts): per client address a token bucket over
 * every attempt, and across all clients a ceiling on wrong codes.
 */
import { conflict, invalid, ServiceError } from '../errors.ts'
import { StoreThrottle, type ThrottleDecision, tokenBucket } from '../http/throttle.ts'
import {
  checkPassword,
  hashPassword,
  isValidEmail,
  type Org,
  toOrg,
  validateOrgInput,
} from '../orgs/service.ts'
import { newId } from '../store/ids.ts'
import type { Store } from '../store/index.ts'
import type { OrgRow } from '../store/orgs.ts'
import { checkSetupCode, isFirstRun, takeSetupCode } from './code.ts'

export interface FirstRunInput {
  setupCode: string
  slug: string
  orgName?: string
  /** The org's own origin, optional. */
  url?: string
  email: string
  password: string
}

export interface FirstRunThrottle {
  client: StoreThrottle<unknown>
  wrongCodes: StoreThrottle<unknown>
}

export function firstRunThrottle(store: Pick<Store, 'transaction'>): FirstRunThrottle {
  return {
    client: new StoreThrottle(store, 'first_run.client', tokenBucket(10, 1 / 30)) as StoreThrottle<unknown>,
    wrongCodes: new StoreThrottle(
      store,
      'first_run.wrong_codes',
      tokenBucket(100, 100 / 3600),
    ) as StoreThrottle<unknown>,
  }
}

/** Over a limit: refused before the code is looked at (429 with Retry-After). */
export class FirstRunThrottled extends ServiceError {
  constructor(readonly retryAfterSeconds: number) {
    super(429, 'RATE_LIMITED', `Too many set-up attempts. Try again in ${retryAfterSeconds} s.`)
  }
}

const refuse = (decision: ThrottleDecision) => {
  if (!decision.allowed) throw new FirstRunThrottled(decision.retryAfterSeconds)
}

/**
 * Creates the first org and its admin. Refusals: 429 over a throttle, 409 `ALREADY_SET_UP` once an
 * org exists, 403 `WRONG_SETUP_CODE`, 400 naming the field. Nothing is created on any refusal.
 */
export async function completeFirstRun(
  store: Store,
  throttle: FirstRunThrottle,
  input: FirstRunInput,
  client: string,
  now = Date.now(),
): Promise<{ org: Org; adminId: string }> {
  refuse(await throttle.client.hit(client, now))
  refuse(await throttle.wrongCodes.check('all', now))
  if (!(await isFirstRun(store))) {
    throw conflict('ALREADY_SET_UP', 'this instance is already set up; sign in to your organization')
  }
  if (!(await checkSetupCode(store, input.setupCode, now))) {
    await throttle.wrongCodes.hit('all', now)
    throw new ServiceError(
      403,
      'WRONG_SETUP_CODE',
      'That set-up code is wrong or has expired. Use the code from the server log (or `okta-bridge setup-code`).',
      'setupCode',
    )
  }
  const org = validateOrgInput({ slug: input.slug, name: input.orgName, url: input.url || undefined })
  const email = input.email.trim()
  if (!isValidEmail(email)) throw invalid('email', `"${input.email}" is not a valid email address`)
  checkPassword(input.password)
  const passwordHash = await hashPassword(input.password)
  const adminId = newId()
  const row: OrgRow = { id: newId(), ...org, settings: '{}', created_at: now }
  await store.transaction(async (tx) => {
    // Serialises first runs across instances: the count below then sees a rival's committed org.
    await tx.setup.lockFirstRun()
    if ((await tx.setup.orgCountUpTo2()) > 0) {
      throw conflict('ALREADY_SET_UP', 'this instance is already set up; sign in to your organization')
    }
    if (!(await takeSetupCode(tx, input.setupCode, now))) {
      throw new ServiceError(
        403,
        'WRONG_SETUP_CODE',
        'That set-up code was just used or has expired.',
        'setupCode',
      )
    }
    await tx.orgs.insert(row)
    await tx.admins.insert({
      id: adminId,
      org_id: row.id,
      email,
      email_lower: email.toLowerCase(),
      password_hash: passwordHash,
      created_at: now,
      source: 'password',
      break_glass: 0,
      account_id: null,
    })
    // First run is over: no other code may make a second "first" org.
    await tx.setup.clearCodes()
    await tx.audit.record(
      {
        orgId: row.id,
        kind: 'admin',
        action: 'org.created_at_first_run',
        outcome: 'success',
        actor: 'setup-code',
        subject: row.id,
        data: { slug: row.slug, client },
      },
      now,
    )
    await tx.audit.record(
      {
        orgId: row.id,
        kind: 'admin',
        action: 'admin.created',
        outcome: 'success',
        actor: 'setup-code',
        subject: adminId,
        data: { email },
      },
      now,
    )
  })
  return { org: toOrg(row), adminId }
}
