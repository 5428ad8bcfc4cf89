/**
 * How long a session lives in an org: `sessionIdleMinutes` (no request for that long ends it) and
 * `sessionMaxHours` (that long after sign-in ends it), integration settings that apply to user and
 * admin sessions alike. A session is checked against the org's *current* settings on every request
 * (the settings come with the session row in one read, `sessions.forRequest`), so lowering either
 * ends older sessions at once. The end written at issue (`expires_at`, what housekeeping deletes
 * by) is the maximum of that moment, so raising the maximum lengthens only sessions opened after.
 */
import { type IntegrationSettings, readSettings } from '../integration/settings.ts'
import type { Repositories } from '../store/index.ts'

export interface SessionLifetime {
  idleMs: number
  maxMs: number
}

/** An org without an integration (or settings): 8 h idle, 7 days at most, as before these settings. */
export const DEFAULT_LIFETIME: SessionLifetime = lifetimeOf(readSettings(null))

export function lifetimeOf(
  settings: Pick<IntegrationSettings, 'sessionIdleMinutes' | 'sessionMaxHours'>,
): SessionLifetime {
  return { idleMs: settings.sessionIdleMinutes * 60_000, maxMs: settings.sessionMaxHours * 3_600_000 }
}

/** The lifetime the org's integration settings (JSON, or null without an integration) give. */
export function lifetimeFromSettings(json: string | null | undefined): SessionLifetime {
  return json ? lifetimeOf(readSettings(json)) : DEFAULT_LIFETIME
}

/** The org's session lifetime, read from the store (for issuing a session; checks use the joined read). */
export async function orgSessionLifetime(store: Repositories, orgId: string): Promise<SessionLifetime> {
  return lifetimeFromSettings((await store.integrations.get(orgId))?.settings)
}
