/**
 * The Okta integration aggregate: set-up from the three values Okta shows, the status an admin
 * reads, SCIM token rotation, and removal. Plain functions over the store.
 */
import { conflict, invalid, ServiceError } from '../errors.ts'
import { type Org, orgUrl } from '../orgs/service.ts'
import { singleLogoutProblem } from '../saml/slo-endpoint.ts'
import { hashSecret, newSecret } from '../store/ids.ts'
import type { Store } from '../store/index.ts'
import type { IntegrationRow } from '../store/integrations.ts'
import { syncStatus } from '../sync/status.ts'
import { acceptCertificate, describeCertificate, parseCertificate } from './certificate.ts'
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
  metadataUrl: string
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
    metadataUrl: `${base}/okta/metadata`,
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

function validateIssuer(raw: string): string {
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
  const [row, connectedUsers, groups, sync] = await Promise.all([
    store.integrations.get(org.id),
    store.integrations.countActiveScimUsers(org.id),
    store.integrations.countGroups(org.id),
    syncStatus(store, org.id, now),
  ])
  const problem = singleLogoutProblem(row)
  const describe = (pem: string | null | undefined) =>
    pem ? describeCertificate(parseCertificate(pem, 'certificate'), now) : null
  return {
    configured: row !== null,
    ssoUrl: row?.sso_url ?? null,
    issuer: row?.issuer ?? null,
    certificate: describe(row?.certificate),
    nextCertificate: describe(row?.next_certificate),
    settings: row ? readSettings(row.settings) : null,
    ...oktaValues(org, publicUrl),
    singleLogout: { enabled: row !== null && problem === null, problem },
    connectedUsers,
    groups,
    sync,
    createdAt: row ? new Date(row.created_at).toISOString() : null,
    updatedAt: row ? new Date(row.updated_at).toISOString() : null,
  }
}

/**
 * Creates or updates the integration. The SCIM token is generated on first set-up only and returned
 * that once (the store keeps its hash); later updates keep the token.
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
    const state = await tx.syncState.get(org.id)
    if (state?.removal_running === 1) {
      throw conflict(
        'REMOVAL_IN_PROGRESS',
        'the previous integration is still being removed; try again when it is done',
      )
    }
    const existing = await tx.integrations.get(org.id)
    const settings = JSON.stringify(checkedSettings(existing, input.settings))
    if (existing) {
      await tx.integrations.update({
        org_id: org.id,
        sso_url: ssoUrl,
        issuer,
        certificate,
        next_certificate: input.nextCertificate === undefined ? existing.next_certificate : next,
        settings,
        updated_at: now,
      })
      await tx.audit.record({
        orgId: org.id,
        kind: 'admin',
        action: 'integration.updated',
        outcome: 'success',
        actor,
      })
      return { scimToken: null }
    }
    const scimToken = newSecret('okb_scim_')
    await tx.integrations.insert({
      org_id: org.id,
      sso_url: ssoUrl,
      issuer,
      certificate,
      next_certificate: next,
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
    })
    return { scimToken }
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
