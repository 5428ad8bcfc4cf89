/**
 * The first-run set-up code: while the instance has no organization, the server makes a one-time
 * code at start (and `okta-bridge setup-code` makes another), prints it, and keeps only its hash.
 * The first-run page (src/web/first-run-routes.ts) asks for it before it creates the first org and
 * its admin. A code is 12 characters from an alphabet without look-alikes (60 bits), shown as
 * `XXXX-XXXX-XXXX`; it expires when used (every code goes once the first org exists) or after 24 h.
 */
import type { Config } from '../config/index.ts'
import type { Logger } from '../observability/log.ts'
import { hashSecret, sameDigest } from '../store/ids.ts'
import type { Repositories, Store } from '../store/index.ts'

export const SETUP_CODE_TTL_MS = 24 * 60 * 60 * 1000
const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'
const LENGTH = 12

export interface SetupCode {
  code: string
  expiresAt: string
}

/** A fresh random code, formatted `XXXX-XXXX-XXXX`. */
export function generateSetupCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(LENGTH))
  // 256 is a multiple of 32: every character is equally likely.
  const chars = [...bytes].map((b) => ALPHABET[b % ALPHABET.length]).join('')
  return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8)}`
}

/** What a person typed, in the canonical form (upper case, dashes where they go), or null. */
export function normalizeSetupCode(input: string): string | null {
  const chars = input.toUpperCase().replace(/[\s-]/g, '')
  if (chars.length !== LENGTH || [...chars].some((c) => !ALPHABET.includes(c))) return null
  return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8)}`
}

/** True while the instance has no organization: the first-run page is open. */
export async function isFirstRun(store: Pick<Repositories, 'setup'>): Promise<boolean> {
  return (await store.setup.orgCountUpTo2()) === 0
}

/** Makes and stores a new code; null when the instance already has an organization. */
export async function issueSetupCode(store: Store, now = Date.now()): Promise<SetupCode | null> {
  if (!(await isFirstRun(store))) return null
  const code = generateSetupCode()
  await store.setup.purgeExpiredCodes(now)
  await store.setup.insertCode({
    code_hash: hashSecret(code),
    created_at: now,
    expires_at: now + SETUP_CODE_TTL_MS,
  })
  return { code, expiresAt: new Date(now + SETUP_CODE_TTL_MS).toISOString() }
}

/** Whether `input` is a live code (nothing is used up: `takeSetupCode` does that, in a transaction). */
export async function checkSetupCode(
  store: Pick<Repositories, 'setup'>,
  input: string,
  now = Date.now(),
): Promise<boolean> {
  const code = normalizeSetupCode(input)
  if (!code) return false
  const digest = hashSecret(code)
  const row = await store.setup.findCode(digest, now)
  return row !== null && sameDigest(row.code_hash, digest)
}

/** Uses the code up; true when it was live. Run inside the transaction that creates the first org. */
export async function takeSetupCode(
  tx: Pick<Repositories, 'setup'>,
  input: string,
  now = Date.now(),
): Promise<boolean> {
  const code = normalizeSetupCode(input)
  return code !== null && (await tx.setup.takeCode(hashSecret(code), now))
}

/**
 * At start: on an instance without an organization, the first log lines say where to go and give
 * the code, whatever LOG_LEVEL says. Returns the code (tests read it), or null.
 */
export async function announceFirstRun(
  store: Store,
  config: Pick<Config, 'publicUrl'>,
  log: Logger,
): Promise<SetupCode | null> {
  const issued = await issueSetupCode(store)
  if (!issued) return null
  const say = log.always ?? log.warn
  say(`open ${config.publicUrl} to finish set-up`, { url: config.publicUrl })
  say(`setup code: ${issued.code}`, { expiresAt: issued.expiresAt })
  return issued
}
