/**
 * The Okta integration aggregate: set-up from the three values Okta shows, the status an admin
 * reads, SCIM token rotation, and removal. Plain functions over the store. Set-up from the IdP's
 * metadata (./metadata.ts) writes through `saveIntegration` here too.
 */
import { conflict, invalid, ServiceError } from '../errors.ts'
import { type Org, orgUrl } from '../orgs/service.ts'
import { singleLogoutProblem } from '../saml/slo-endpoint.ts'
import { hashSecret, newSecret } from '../store/ids.ts'
import type { Repositories, Store } from '../store/index.ts'
import type { IntegrationRow } from '../store/integrations.ts'
import { syncStatus } from '../sync/status.ts'
import { acceptCertificate, describeCertificate, parseCertificate } from './certificate.ts'
import { type RotationVia, recordRotation } from './certificate-events.ts'
import type { IntegrationStatus } from './model.ts'
import {
  type IntegrationSettings,
  type IntegrationSettingsChange,
  mergeSettings,
  readSettings,
} from './settings.ts'

export interface OktaValues {
  acsUrl: string
  audience: string
  scimBaseUrl: string
  /** Our SP metadata (`metadataUrl` in the status is the IdP's). */
  spMetadataUrl: string
  loginUrl: string
  /** Our Single Logout service (Okta's "Single Logout URL"). */
  singleLogoutUrl: string
}

export interface SetUpInput {
  ssoUrl: string
  issuer: string
  certificate: string
  nextCertificate?: string | null
  settings?: IntegrationSettingsChange
}

/** The values an Okta admin types into the app's SAML and provisioning settings. */
export function oktaValues(org: Org, publicUrl: string): OktaValues {
  const base = orgUrl(org, publicUrl)
  return {
    acsUrl: `${base}/okta/auth`,
    audience: base,
    scimBaseUrl: `${base}/okta/scim`,
    spMetadataUrl: `${base}/okta/metadata`,
    loginUrl: `${base}/okta/login`,
    singleLogoutUrl: `${base}/okta/slo`,
  }
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

/** An absolute https URL (http only for localhost) without credentials: the IdP's SSO or SLO URL. */
export function validateSsoUrl(raw: string, field = 'ssoUrl'): string {
  let url: URL
  try {
    url = new URL(raw.trim())
  } catch {
    throw invalid(
      field,
      `${field} must be an absolute URL, e.g. https://acme.okta.com/app/acme_app/exk.../${field === 'ssoUrl' ? 'sso' : 'slo'}/saml`,
    )
  }
  if (url.protocol === 'http:' && !LOCAL_HOSTS.has(url.hostname)) {
    throw invalid(field, `${field} must use https (http is accepted only for localhost)`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid(field, `${field} must use https`)
  if (url.username || url.password) throw invalid(field, `${field} must not contain credentials`)
  return url.toString()
}

/**
 * The merged settings, checked against the row they go into: the SLO URL is a URL like the SSO
 * URL, and signed AuthnRequests need the SP key that signs them.
 */
export function checkedSettings(
  existing: IntegrationRow | null,
  change: IntegrationSettingsChange | undefined,
): IntegrationSettings {
  const settings = mergeSettings(readSettings(existing?.settings), change, { configured: existing !== null })
  if (settings.sloUrl !== null) settings.sloUrl = validateSsoUrl(settings.sloUrl, 'settings.sloUrl')
  if (settings.signAuthnRequests && !existing?.sp_certificate) {
    throw invalid(
      'settings.signAuthnRequests',
      'signAuthnRequests needs an SP key to sign with: create one first (POST …/okta/sp-keys), then turn this on',
    )
  }
  return settings
}

export function validateIssuer(raw: string): string {
  const issuer = raw.trim()
  if (!issuer)
    throw invalid('issuer', 'issuer must not be empty: paste the Identity Provider Issuer from Okta')
  if (issuer.length > 1024) throw invalid('issuer', 'issuer must be at most 1024 characters')
  return issuer
}

export async function integrationStatus(
  store: Store,
  org: Org,
  publicUrl: string,
  now = Date.now(),
): Promise<IntegrationStatus> {
  const [row, metadata, connectedUsers, groups, sync] = await Promise.all([
    store.integrations.get(org.id),
    store.idpMetadata.get(org.id),
    store.integrations.countActiveScimUsers(org.id),
    store.integrations.countGroups(org.id),
    syncStatus(store, org.id, now),
  ])
  const problem = singleLogoutProblem(row, metadata)
  const describe = (pem: string | null | undefined) =>
    pem ? describeCertificate(parseCertificate(pem, 'certificate'), now) : null
  return {
    configured: row !== null,
    ssoUrl: row?.sso_url ?? null,
    issuer: row?.issuer ?? null,
    certificate: describe(row?.certificate),
    nextCertificate: describe(row?.next_certificate),
    settings: row ? readSettings(row.settings) : null,
    metadataUrl: metadata?.url ?? null,
    metadataFetchedAt: metadata ? new Date(metadata.fetched_at).toISOString() : null,
    metadataError: metadata?.error ?? null,
    metadataNextRefreshAt: metadata?.next_refresh_at
      ? new Date(metadata.next_refresh_at).toISOString()
      : null,
    idpSloUrl: metadata?.slo_url ?? null,
    idpSloBinding: (metadata?.slo_binding as 'HTTP-Redirect' | 'HTTP-POST' | null | undefined) ?? null,
    ...oktaValues(org, publicUrl),
    singleLogout: { enabled: row !== null && problem === null, problem },
    connectedUsers,
    groups,
    sync,
    createdAt: row ? new Date(row.created_at).toISOString() : null,
    updatedAt: row ? new Date(row.updated_at).toISOString() : null,
  }
}

/** Validated values to write into the integration's row. */
export interface IntegrationValues {
  ssoUrl: string
  issuer: string
  certificate: string
  /** undefined keeps the next certificate that is set; null drops it. */
  nextCertificate: string | null | undefined
  settings?: Partial<IntegrationSettings>
}

/** What a save changed that the caller announces: the SCIM token of a first set-up, a rotation. */
export interface SavedIntegration {
  scimToken: string | null
  /** The current certificate before the save (null on first set-up). */
  previousCertificate: string | null
  created: boolean
}

/**
 * Writes the integration's row inside `tx`: inserts it (with a new SCIM token, returned that once;
 * the store keeps its hash) or updates it, and audits. The caller announces a rotation last
 * (`announceRotation`), after anything else it writes.
 */
export async function saveIntegration(
  tx: Repositories,
  org: Org,
  values: IntegrationValues,
  actor: string,
  now: number,
  via: RotationVia = 'admin',
): Promise<SavedIntegration> {
  const state = await tx.syncState.get(org.id)
  if (state?.removal_running === 1) {
    throw conflict(
      'REMOVAL_IN_PROGRESS',
      'the previous integration is still being removed; try again when it is done',
    )
  }
  const existing = await tx.integrations.get(org.id)
  const settings = JSON.stringify(checkedSettings(existing, values.settings))
  if (existing) {
    await tx.integrations.update({
      org_id: org.id,
      sso_url: values.ssoUrl,
      issuer: values.issuer,
      certificate: values.certificate,
      next_certificate:
        values.nextCertificate === undefined ? existing.next_certificate : values.nextCertificate,
      settings,
      updated_at: now,
    })
    await tx.audit.record({
      orgId: org.id,
      kind: 'admin',
      action: 'integration.updated',
      outcome: 'success',
      actor,
      ...(via === 'metadata' ? { data: { via } } : {}),
    })
    return { scimToken: null, previousCertificate: existing.certificate, created: false }
  }
  const scimToken = newSecret('okb_scim_')
  await tx.integrations.insert({
    org_id: org.id,
    sso_url: values.ssoUrl,
    issuer: values.issuer,
    certificate: values.certificate,
    next_certificate: values.nextCertificate ?? null,
    scim_token_hash: hashSecret(scimToken),
    settings,
    sp_private_key: null,
    sp_certificate: null,
    created_at: now,
    updated_at: now,
  })
  await tx.syncState.ensure(org.id)
  await tx.audit.record({
    orgId: org.id,
    kind: 'admin',
    action: 'integration.created',
    outcome: 'success',
    actor,
    ...(via === 'metadata' ? { data: { via } } : {}),
  })
  return { scimToken, previousCertificate: null, created: true }
}

/** The feed entry of a save that changed the current certificate: call it last in the transaction. */
export function announceRotation(
  tx: Repositories,
  org: Org,
  saved: SavedIntegration,
  certificate: string,
  via: RotationVia,
  now: number,
): Promise<boolean> {
  return recordRotation(tx, org.id, saved.previousCertificate, certificate, via, now)
}

/**
 * Creates or updates the integration from the three values Okta shows. The integration is then set
 * up by hand: a metadata URL it had is forgotten (no more refreshes).
 */
export async function setUpIntegration(
  store: Store,
  org: Org,
  input: SetUpInput,
  actor: string,
  now = Date.now(),
): Promise<{ scimToken: string | null }> {
  const ssoUrl = validateSsoUrl(input.ssoUrl)
  const issuer = validateIssuer(input.issuer)
  const certificate = acceptCertificate(input.certificate, 'certificate', now).pem
  const next =
    input.nextCertificate == null || input.nextCertificate.trim() === ''
      ? null
      : acceptCertificate(input.nextCertificate, 'nextCertificate', now).pem
  return store.transaction(async (tx) => {
    const values = {
      ssoUrl,
      issuer,
      certificate,
      nextCertificate: input.nextCertificate === undefined ? undefined : next,
      settings: input.settings,
    }
    const saved = await saveIntegration(tx, org, values, actor, now)
    if (!saved.created) await tx.idpMetadata.remove(org.id)
    await announceRotation(tx, org, saved, certificate, 'admin', now)
    return { scimToken: saved.scimToken }
  })
}

export async function rotateScimToken(store: Store, org: Org, actor: string): Promise<{ scimToken: string }> {
  return store.transaction(async (tx) => {
    if (!(await tx.integrations.get(org.id))) throw notConfigured()
    const scimToken = newSecret('okb_scim_')
    await tx.integrations.setTokenHash(org.id, hashSecret(scimToken), Date.now())
    await tx.audit.record({
      orgId: org.id,
      kind: 'admin',
      action: 'scim_token.rotated',
      outcome: 'success',
      actor,
    })
    return { scimToken }
  })
}

export interface RemovalResult {
  deletedUsers: number
  deletedGroups: number
  dryRun: boolean
}

/**
 * Removes the integration: the SCIM token and SAML settings go at once; the accounts it created are
 * deleted in batches by the sync scheduler (progress in `…/sync`). A dry run only counts.
 */
export async function removeIntegration(
  store: Store,
  org: Org,
  dryRun: boolean,
  actor: string,
): Promise<RemovalResult> {
  return store.transaction(async (tx) => {
    if (!(await tx.integrations.get(org.id))) throw notConfigured()
    const deletedUsers = await tx.integrations.countRemovableUsers(org.id)
    const deletedGroups = await tx.integrations.countGroups(org.id)
    if (!dryRun) {
      await tx.integrations.remove(org.id)
      await tx.syncState.startRemoval(org.id, deletedUsers)
      await tx.audit.record({
        orgId: org.id,
        kind: 'admin',
        action: 'integration.removed',
        outcome: 'success',
        actor,
        data: { deletedUsers, deletedGroups },
      })
    }
    return { deletedUsers, deletedGroups, dryRun }
  })
}

function notConfigured(): ServiceError {
  return new ServiceError(404, 'NOT_CONFIGURED', 'the Okta integration is not set up for this organization')
}
