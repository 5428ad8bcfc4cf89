/**
 * Setting the integration up from the IdP's metadata, and keeping it current: `PUT …/okta` with
 * `{metadataUrl}` or `{metadataXml}` (`setUpFromMetadata`), the scheduled and the manual refresh
 * (`refreshMetadata`, `refreshMetadataNow`); single logout reads the stored SingleLogoutService
 * (src/saml/slo-endpoint.ts). Plain functions over the store; the fetch goes through src/outbound/ (https
 * only, private destinations refused unless ALLOW_PRIVATE_OUTBOUND, no redirects, 1 MB, 10 s).
 *
 * A refresh that fails keeps every value of the last good one (sign-in goes on with them) and
 * records the error, which the status shows, the audit log keeps and /metrics counts.
 */
import { conflict, invalid, ServiceError } from '../errors.ts'
import type { Metrics } from '../observability/metrics.ts'
import type { Org } from '../orgs/service.ts'
import {
  isPrivateDestination,
  type OutboundPolicy,
  OutboundRefused,
  outboundGet,
  parseOutboundUrl,
} from '../outbound/fetch.ts'
import {
  type Endpoint,
  type IdpMetadata,
  MAX_METADATA_BYTES,
  MetadataRefusal,
  parseIdpMetadata,
} from '../saml/idp-metadata.ts'
import { newId } from '../store/ids.ts'
import type { Store } from '../store/index.ts'
import type { IntegrationRow } from '../store/integrations.ts'
import { recordRotation } from './certificate-events.ts'
import { type CertificatePair, planCertificates, sameCertificate } from './certificate-plan.ts'
import { announceRotation, saveIntegration, validateIssuer, validateSsoUrl } from './service.ts'
import type { IntegrationSettings } from './settings.ts'

export const METADATA_FETCH_TIMEOUT_MS = 10_000
/** After a failed refresh the next try comes sooner than the interval, at most this long after. */
const RETRY_AFTER_FAILURE_MS = 15 * 60_000
/** How long a refresh may hold its org's lease (the fetch's timeout and the write, with room). */
export const METADATA_LEASE_MS = METADATA_FETCH_TIMEOUT_MS + 20_000

export const metadataLeaseName = (orgId: string) => `metadata:${orgId}`

export interface MetadataDeps {
  policy: OutboundPolicy
  /** METADATA_REFRESH_INTERVAL in ms. */
  refreshIntervalMs: number
  timeoutMs?: number
  metrics?: Pick<Metrics, 'idpMetadataRefreshes'>
  random?: () => number
}

/** The deps from the process settings (ALLOW_PRIVATE_OUTBOUND, METADATA_REFRESH_INTERVAL). */
export function metadataDepsOf(
  config: { allowPrivateOutbound: boolean; metadataRefreshIntervalSeconds: number },
  metrics?: Pick<Metrics, 'idpMetadataRefreshes'>,
): MetadataDeps {
  return {
    policy: { allowPrivate: config.allowPrivateOutbound },
    refreshIntervalMs: config.metadataRefreshIntervalSeconds * 1000,
    metrics,
  }
}

/** When a refresh is next due: the interval ±10 %, so orgs set up together do not fetch together. */
export function nextRefreshAt(now: number, intervalMs: number, random: () => number = Math.random): number {
  return now + Math.round(intervalMs * (0.9 + 0.2 * random()))
}

/** Fetches the metadata text at `raw`; throws MetadataRefusal saying why it could not. */
export async function fetchMetadataText(
  raw: string,
  policy: OutboundPolicy,
  timeoutMs = METADATA_FETCH_TIMEOUT_MS,
): Promise<string> {
  let url: URL
  try {
    url = parseOutboundUrl(raw.trim())
  } catch (error) {
    throw new MetadataRefusal(`the metadata URL is unusable: ${(error as Error).message}`)
  }
  if (url.protocol === 'http:' && !(policy.allowPrivate && (await isPrivateDestination(url)))) {
    throw new MetadataRefusal(
      'the metadata URL must use https (plain http only to a private address, with ALLOW_PRIVATE_OUTBOUND=1)',
    )
  }
  let answer: Awaited<ReturnType<typeof outboundGet>>
  try {
    answer = await outboundGet(
      url.toString(),
      {
        headers: { accept: 'application/samlmetadata+xml, application/xml, text/xml;q=0.9, */*;q=0.1' },
        timeoutMs,
        maxBodyBytes: MAX_METADATA_BYTES,
      },
      policy,
    )
  } catch (error) {
    if (error instanceof OutboundRefused)
      throw new MetadataRefusal(`the metadata URL is refused: ${error.message}`)
    const name = error instanceof Error ? error.name : ''
    if (name === 'TimeoutError' || name === 'AbortError')
      throw new MetadataRefusal(`the metadata URL did not answer within ${Math.round(timeoutMs / 1000)} s`)
    throw new MetadataRefusal(
      `the metadata could not be fetched: ${(error instanceof Error ? error.message : String(error)).slice(0, 200)}`,
    )
  }
  if (answer.status >= 300 && answer.status < 400) {
    throw new MetadataRefusal(
      `the metadata URL answered ${answer.status}, a redirect, which is not followed: give the final URL`,
    )
  }
  if (answer.status !== 200) throw new MetadataRefusal(`the metadata URL answered HTTP ${answer.status}`)
  if (answer.truncated) throw new MetadataRefusal('the metadata is larger than 1 MB')
  return answer.body
}

/** The integration's values from parsed metadata, checked like the fields of a manual set-up. */
function valuesOf(parsed: IdpMetadata, field: string) {
  const where = (what: string, error: unknown) => {
    if (error instanceof ServiceError) return invalid(field, `the metadata's ${what}: ${error.message}`)
    return error
  }
  let ssoUrl: string
  let issuer: string
  try {
    ssoUrl = validateSsoUrl(parsed.sso.url)
  } catch (error) {
    throw where('SingleSignOnService', error)
  }
  try {
    issuer = validateIssuer(parsed.entityId)
  } catch (error) {
    throw where('entityID', error)
  }
  let slo: Endpoint | null = null
  try {
    if (parsed.slo) slo = { url: validateSsoUrl(parsed.slo.url), binding: parsed.slo.binding }
  } catch {
    slo = null // an unusable logout endpoint only means no single logout
  }
  return { ssoUrl, issuer, slo }
}

const trustedOf = (row: IntegrationRow | null): string[] =>
  row ? [row.certificate, row.next_certificate].filter((pem): pem is string => !!pem) : []

const pairOf = (row: IntegrationRow | null): CertificatePair | null =>
  row ? { current: row.certificate, next: row.next_certificate } : null

export interface MetadataSetUpInput {
  metadataUrl?: string
  metadataXml?: string
  settings?: Partial<IntegrationSettings>
}

/**
 * Creates or updates the integration from the IdP's metadata (fetched from `metadataUrl`, or the
 * pasted `metadataXml`). With a URL, the refresh loop reads it again every METADATA_REFRESH_INTERVAL.
 * Anything unusable is a 400 naming the field. On first set-up the answer has the SCIM token.
 */
export async function setUpFromMetadata(
  store: Store,
  org: Org,
  input: MetadataSetUpInput,
  deps: MetadataDeps,
  actor: string,
  now = Date.now(),
): Promise<{ scimToken: string | null }> {
  const url = input.metadataUrl?.trim() || null
  const field = url ? 'metadataUrl' : 'metadataXml'
  if (!url && !input.metadataXml?.trim()) throw invalid(field, 'metadataXml is empty: paste the IdP metadata')
  const existing = await store.integrations.get(org.id)
  let parsed: IdpMetadata
  try {
    const text = url
      ? await fetchMetadataText(url, deps.policy, deps.timeoutMs)
      : (input.metadataXml as string)
    parsed = parseIdpMetadata(text, { now, trustedCertificates: trustedOf(existing) })
  } catch (error) {
    if (error instanceof MetadataRefusal) throw invalid(field, error.message)
    throw error
  }
  const { ssoUrl, issuer, slo } = valuesOf(parsed, field)
  return store.transaction(async (tx) => {
    const plan = planCertificates(pairOf(await tx.integrations.get(org.id)), parsed.certificates)
    const values = {
      ssoUrl,
      issuer,
      certificate: plan.current,
      nextCertificate: plan.next,
      settings: input.settings,
    }
    const saved = await saveIntegration(tx, org, values, actor, now, 'metadata')
    await tx.idpMetadata.recordSuccess({
      org_id: org.id,
      url,
      entity_id: parsed.entityId,
      slo_url: slo?.url ?? null,
      slo_binding: slo?.binding ?? null,
      fetched_at: now,
      next_refresh_at: url ? nextRefreshAt(now, deps.refreshIntervalMs, deps.random) : null,
    })
    await announceRotation(tx, org, saved, plan.current, 'metadata', now)
    return { scimToken: saved.scimToken }
  })
}

export type RefreshOutcome =
  | { ok: true; changed: string[] }
  | { ok: false; error: string }
  /** Nothing to refresh: no integration, or no metadata URL (any more). */
  | { ok: null }

/** What changed between the integration's row and the values a refresh read. */
function changesOf(row: IntegrationRow, ssoUrl: string, issuer: string, plan: CertificatePair): string[] {
  const changed: string[] = []
  if (row.sso_url !== ssoUrl) changed.push('ssoUrl')
  if (row.issuer !== issuer) changed.push('issuer')
  if (!sameCertificate(row.certificate, plan.current)) changed.push('certificate')
  if (
    !(plan.next === null ? row.next_certificate === null : sameCertificate(row.next_certificate, plan.next))
  )
    changed.push('nextCertificate')
  return changed
}

/**
 * Reads the org's metadata URL again and applies it: new signing certificates staged as next,
 * vanished ones retired, SSO URL / issuer / logout endpoint updated. A failure changes nothing but
 * the row's error (and the time of the next try). Run it under the org's lease (`metadata:<org>`).
 */
export async function refreshMetadata(
  store: Store,
  orgId: string,
  deps: MetadataDeps,
  now = Date.now(),
): Promise<RefreshOutcome> {
  const [row, integration] = await Promise.all([store.idpMetadata.get(orgId), store.integrations.get(orgId)])
  if (!row?.url || !integration) return { ok: null }
  const url = row.url
  let values: ReturnType<typeof valuesOf>
  let parsed: IdpMetadata
  try {
    const text = await fetchMetadataText(url, deps.policy, deps.timeoutMs)
    parsed = parseIdpMetadata(text, { now, trustedCertificates: trustedOf(integration) })
    values = valuesOf(parsed, 'metadataUrl')
  } catch (error) {
    if (!(error instanceof MetadataRefusal || error instanceof ServiceError)) throw error
    const message = error.message.slice(0, 500)
    const retryMs = Math.min(deps.refreshIntervalMs, RETRY_AFTER_FAILURE_MS)
    await store.transaction(async (tx) => {
      if ((await tx.idpMetadata.get(orgId))?.url !== url) return
      await tx.idpMetadata.recordFailure(orgId, message, now, nextRefreshAt(now, retryMs, deps.random))
      await tx.audit.record({
        orgId,
        kind: 'admin',
        action: 'integration.metadata_refresh',
        outcome: 'failure',
        actor: 'metadata',
        reason: 'metadata_refresh_failed',
        data: { url, error: message },
      })
    })
    deps.metrics?.idpMetadataRefreshes.inc({ outcome: 'failure' })
    return { ok: false, error: message }
  }
  const outcome = await store.transaction(async (tx): Promise<RefreshOutcome> => {
    const [current, meta] = await Promise.all([tx.integrations.get(orgId), tx.idpMetadata.get(orgId)])
    // Set up by hand (or removed) while the fetch ran: that decision stands.
    if (!current || meta?.url !== url) return { ok: null }
    const plan = planCertificates(pairOf(current), parsed.certificates)
    const changed = changesOf(current, values.ssoUrl, values.issuer, plan)
    if (changed.length > 0) {
      await tx.integrations.update({
        org_id: orgId,
        sso_url: values.ssoUrl,
        issuer: values.issuer,
        certificate: plan.current,
        next_certificate: plan.next,
        settings: current.settings,
        updated_at: now,
      })
      await tx.audit.record({
        orgId,
        kind: 'admin',
        action: 'integration.metadata_refresh',
        outcome: 'success',
        actor: 'metadata',
        data: { url, changed },
      })
    }
    await tx.idpMetadata.recordSuccess({
      org_id: orgId,
      url,
      entity_id: parsed.entityId,
      slo_url: values.slo?.url ?? null,
      slo_binding: values.slo?.binding ?? null,
      fetched_at: now,
      next_refresh_at: nextRefreshAt(now, deps.refreshIntervalMs, deps.random),
    })
    await recordRotation(tx, orgId, current.certificate, plan.current, 'metadata', now)
    return { ok: true, changed }
  })
  if (outcome.ok !== null) deps.metrics?.idpMetadataRefreshes.inc({ outcome: 'success' })
  return outcome
}

/**
 * `POST …/okta/metadata/refresh`: a refresh now, under the org's lease (409 while another instance
 * or the loop is refreshing it). The caller answers with the status, which shows the outcome.
 */
export async function refreshMetadataNow(
  store: Store,
  org: Org,
  deps: MetadataDeps,
  now = Date.now(),
): Promise<RefreshOutcome> {
  const [row, integration] = await Promise.all([
    store.idpMetadata.get(org.id),
    store.integrations.get(org.id),
  ])
  if (!integration)
    throw new ServiceError(404, 'NOT_CONFIGURED', 'the Okta integration is not set up for this organization')
  if (!row?.url) {
    throw conflict(
      'NO_METADATA_URL',
      row
        ? 'the integration was set up from pasted metadata XML: paste it again to update it'
        : 'the integration was set up by hand, not from a metadata URL',
    )
  }
  const holder = `manual:${newId()}`
  const lease = metadataLeaseName(org.id)
  if (!(await store.leases.tryAcquire(lease, holder, now, METADATA_LEASE_MS)))
    throw conflict('REFRESH_IN_PROGRESS', 'a refresh of this metadata is running; try again in a few seconds')
  try {
    return await refreshMetadata(store, org.id, deps, now)
  } finally {
    await store.leases.release(lease, holder).catch(() => false)
  }
}
