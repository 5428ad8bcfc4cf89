/**
 * Changing an org's integration settings without touching its Okta values: what the console's
 * settings form saves (the admin API changes them with `settings` in `PUT …/okta`, the same
 * `checkedSettings` rule: the JIT pair, SSO enforcement, the SLO URL, signed requests' SP key). Audited as `integration.settings_changed` with the names and new values of
 * what changed.
 */
import { ServiceError } from '../errors.ts'
import type { Org } from '../orgs/service.ts'
import type { Store } from '../store/index.ts'
import { checkedSettings } from './service.ts'
import { type IntegrationSettings, type IntegrationSettingsChange, readSettings } from './settings.ts'

/** The org's settings as stored, with defaults (the defaults alone without an integration). */
export async function integrationSettingsOf(store: Store, org: Org): Promise<IntegrationSettings> {
  return readSettings((await store.integrations.get(org.id))?.settings)
}

export async function updateIntegrationSettings(
  store: Store,
  org: Org,
  change: IntegrationSettingsChange,
  actor: string,
  now = Date.now(),
): Promise<IntegrationSettings> {
  return store.transaction(async (tx) => {
    const existing = await tx.integrations.get(org.id)
    if (!existing) {
      throw new ServiceError(
        404,
        'NOT_CONFIGURED',
        'the Okta integration is not set up for this organization: save the Okta values first',
      )
    }
    const current = readSettings(existing.settings)
    const next = checkedSettings(existing, change)
    const changed = Object.fromEntries(
      (Object.keys(next) as Array<keyof IntegrationSettings>)
        .filter((key) => next[key] !== current[key])
        .map((key) => [key, next[key]]),
    )
    if (Object.keys(changed).length === 0) return next
    await tx.integrations.update({
      org_id: org.id,
      sso_url: existing.sso_url,
      issuer: existing.issuer,
      certificate: existing.certificate,
      next_certificate: existing.next_certificate,
      settings: JSON.stringify(next),
      updated_at: now,
    })
    await tx.audit.record({
      orgId: org.id,
      kind: 'admin',
      action: 'integration.settings_changed',
      outcome: 'success',
      actor,
      data: { changed },
    })
    return next
  })
}
