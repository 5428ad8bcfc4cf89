/**
 * SAML single logout, framework-free: the three things that happen around `{orgURL}/okta/slo`.
 *
 * - **Signing out here** (`signOut`, from `POST {orgURL}/logout`): the local session is deleted
 *   first, always; then, when the org can do single logout (an IdP SLO URL, an SP key to sign with,
 *   a session that knows its NameID), a signed LogoutRequest is remembered (its ID, like an
 *   AuthnRequest's) and the browser is sent to the IdP with it.
 * - **The IdP's LogoutResponse** coming back: validated (signature when present, issuer,
 *   destination, time, InResponseTo of a request we sent, consumed once, status). The person is
 *   signed out here whatever it says; the audit log says what was wrong.
 * - **An IdP-initiated LogoutRequest**: it must be signed by the IdP (query signature or XML
 *   signature, current or next certificate) or it is refused and ends nothing. Its ID goes into the
 *   replay cache; it ends that NameID's user sessions of this org (only the named SessionIndexes
 *   when it names any), and is answered with a signed LogoutResponse (Redirect binding) to the IdP:
 *   Success, PartialLogout when the sessions could not be ended, Requester for a signed request we
 *   cannot act on. Without an SP key or SLO URL nothing can be answered: the person sees the
 *   signed-out page.
 *
 * Every outcome is audited (`kind: saml`, `action: logout`) and counted in
 * `okta_bridge_saml_logouts_total{flow, outcome}`.
 */
import { oktaValues } from '../integration/service.ts'
import { readSettings } from '../integration/settings.ts'
import type { Org } from '../orgs/service.ts'
import type { ActiveSession } from '../sessions/service.ts'
import type { IntegrationRow } from '../store/integrations.ts'
import { newRequestId } from './authn-request.ts'
import { type IncomingLogout, readLogoutMessage, type SloHttpInput } from './logout-binding.ts'
import {
  type LogoutExpectations,
  type LogoutStatus,
  logoutRequestXml,
  logoutResponseXml,
  readLogoutRequest,
  readLogoutResponse,
  readLogoutShape,
  verifiedByXmlSignature,
} from './logout-messages.ts'
import { redirectTo, verifyRedirectSignature } from './redirect-binding.ts'
import { SamlRejection } from './rejection.ts'
import { REQUEST_TTL_MS, type SamlDeps } from './service.ts'
import { idpSloEndpoint, type SloFromMetadata } from './slo-endpoint.ts'
import { attribute, type XmlElement } from './xml.ts'

type Flow = 'sp_initiated' | 'idp_initiated' | 'logout_response'

async function auditLogout(
  deps: SamlDeps,
  org: Org,
  entry: {
    flow: Flow
    client: string
    subject?: string | null
    rejection?: SamlRejection
    data?: Record<string, unknown>
  },
): Promise<void> {
  const rejection = entry.rejection
  await deps.store.audit.record({
    orgId: org.id,
    kind: 'saml',
    action: 'logout',
    outcome: rejection ? 'failure' : 'success',
    actor: entry.client,
    subject: entry.subject ?? rejection?.subject ?? null,
    reason: rejection?.reason ?? null,
    data: { flow: entry.flow, ...(rejection ? { detail: rejection.detail } : {}), ...entry.data },
  })
  deps.metrics.samlLogouts.inc({ flow: entry.flow, outcome: rejection?.reason ?? 'success' })
}

export interface SignOutInput {
  session: ActiveSession
  client: string
  /** False for a caller that cannot follow a redirect (fetch): the sign-out stays local. */
  toIdp: boolean
  now?: number
}

/**
 * Signs the person out: their session ends here at once; the answer says where to send the browser
 * next (the IdP with a signed LogoutRequest), or null when this was a local sign-out only.
 */
export async function signOut(
  deps: SamlDeps,
  org: Org,
  input: SignOutInput,
): Promise<{ redirectTo: string | null }> {
  const { store } = deps
  const now = input.now ?? Date.now()
  const { session } = input
  const integration = await store.integrations.get(org.id)
  const endpoint = integration ? idpSloEndpoint(integration, await store.idpMetadata.get(org.id)) : null
  const key =
    integration && endpoint && session.saml ? await store.integrations.spPrivateKey(integration) : null
  const localOnly = !input.toIdp
    ? 'not_a_browser'
    : !integration
      ? 'no_integration'
      : !endpoint
        ? 'no_slo_url'
        : !session.saml
          ? 'no_saml_subject'
          : !key
            ? 'no_sp_key'
            : null
  const id = newRequestId()
  await store.transaction(async (tx) => {
    await tx.sessions.remove(session.tokenHash)
    if (localOnly === null) {
      await tx.saml.prune(now)
      await tx.saml.insertLogoutRequest({
        org_id: org.id,
        request_id: id,
        subject_id: session.subjectId,
        expires_at: now + REQUEST_TTL_MS,
      })
    }
  })
  await auditLogout(deps, org, {
    flow: 'sp_initiated',
    client: input.client,
    subject: session.subjectId,
    data: localOnly === null ? { sentToIdp: true, requestId: id } : { sentToIdp: false, localOnly },
  })
  if (localOnly !== null || !endpoint || !key || !session.saml) return { redirectTo: null }
  const xml = logoutRequestXml({
    id,
    destination: endpoint.location,
    issuer: oktaValues(org, deps.publicUrl).audience,
    nameId: session.saml.nameId,
    nameIdFormat: session.saml.nameIdFormat,
    sessionIndex: session.saml.sessionIndex,
    now,
  })
  return { redirectTo: redirectTo(endpoint.location, { param: 'SAMLRequest', xml, signingKey: key }) }
}

export type SloOutcome =
  | { kind: 'redirect'; location: string }
  | { kind: 'page'; page: 'signed_out' | 'refused' | 'not_configured' }

interface Context {
  deps: SamlDeps
  org: Org
  integration: IntegrationRow
  sloFromMetadata: SloFromMetadata
  message: IncomingLogout
  client: string
  now: number
  expect: LogoutExpectations
  policy: { certificates: string[]; allowSha1: boolean }
}

/** The signed LogoutResponse to the IdP, or null when this org cannot send one (no SLO URL or SP key). */
async function answerFor(
  ctx: Context,
  inResponseTo: string,
  status: LogoutStatus,
  message?: string,
): Promise<string | null> {
  const endpoint = idpSloEndpoint(ctx.integration, ctx.sloFromMetadata)
  const key = endpoint ? await ctx.deps.store.integrations.spPrivateKey(ctx.integration) : null
  if (!endpoint || !key) return null
  const xml = logoutResponseXml({
    id: newRequestId(),
    inResponseTo,
    destination: endpoint.responseLocation,
    issuer: oktaValues(ctx.org, ctx.deps.publicUrl).audience,
    status,
    message,
    now: ctx.now,
  })
  return redirectTo(endpoint.responseLocation, {
    param: 'SAMLResponse',
    xml,
    relayState: ctx.message.relayState,
    signingKey: key,
  })
}

/** The IdP-signed part of a LogoutRequest; a refusal here ends nothing and answers nothing. */
function verifiedRequest(ctx: Context): XmlElement {
  const shape = readLogoutShape(ctx.message.xml, 'LogoutRequest')
  if (ctx.message.binding === 'post') return verifiedByXmlSignature(shape, ctx.policy, 'LogoutRequest')
  verifyRedirectSignature(ctx.message.query, ctx.policy.certificates, ctx.policy.allowSha1)
  return shape.root
}

async function onLogoutRequest(ctx: Context): Promise<SloOutcome> {
  const { deps, org } = ctx
  const flow = 'idp_initiated'
  let root: XmlElement
  try {
    root = verifiedRequest(ctx)
  } catch (error) {
    if (!(error instanceof SamlRejection)) throw error
    await auditLogout(deps, org, { flow, client: ctx.client, rejection: error })
    return { kind: 'page', page: 'refused' }
  }
  const requestId = attribute(root, 'ID') as string
  let request: ReturnType<typeof readLogoutRequest>
  try {
    request = readLogoutRequest(root, ctx.expect)
  } catch (error) {
    if (!(error instanceof SamlRejection)) throw error
    // Signed by the IdP but not something we can act on: tell the IdP so, when we can.
    const location = await answerFor(ctx, requestId, 'requester', 'The LogoutRequest could not be accepted')
    await auditLogout(deps, org, {
      flow,
      client: ctx.client,
      rejection: error,
      data: { requestId, answered: location !== null },
    })
    return location ? { kind: 'redirect', location } : { kind: 'page', page: 'refused' }
  }
  let ended: string[] | null = null
  try {
    ended = await deps.store.transaction(async (tx) => {
      await tx.saml.prune(ctx.now)
      if (!(await tx.saml.rememberAssertion(org.id, `logout:${request.id}`, request.replayUntil, ctx.now))) {
        throw new SamlRejection(
          'replayed',
          `LogoutRequest ${request.id.slice(0, 80)} was already used`,
          request.nameId,
        )
      }
      return tx.sessions.removeForNameId(org.id, request.nameId, request.sessionIndexes)
    })
  } catch (error) {
    if (error instanceof SamlRejection) {
      await auditLogout(deps, org, { flow, client: ctx.client, rejection: error, data: { requestId } })
      return { kind: 'page', page: 'refused' }
    }
    // The store failed: nothing ended. The IdP hears PartialLogout, the audit (if it can) why.
    ended = null
  }
  const location = await answerFor(ctx, request.id, ended === null ? 'partial' : 'success')
  const data = {
    requestId: request.id,
    nameId: request.nameId,
    sessionIndexes: request.sessionIndexes,
    binding: ctx.message.binding,
    answered: location !== null,
  }
  if (ended === null) {
    await auditLogout(deps, org, {
      flow,
      client: ctx.client,
      rejection: new SamlRejection(
        'logout_failed',
        'the sessions could not be ended (store error)',
        request.nameId,
      ),
      data,
    }).catch(() => undefined)
  } else {
    const accounts = [...new Set(ended)]
    await auditLogout(deps, org, {
      flow,
      client: ctx.client,
      subject: accounts.length === 1 ? accounts[0] : request.nameId,
      data: { ...data, endedSessions: ended.length, accounts },
    })
  }
  return location ? { kind: 'redirect', location } : { kind: 'page', page: 'signed_out' }
}

async function onLogoutResponse(ctx: Context): Promise<SloOutcome> {
  const { deps, org } = ctx
  let signed = false
  let subject: string | null = null
  try {
    const shape = readLogoutShape(ctx.message.xml, 'LogoutResponse')
    let root = shape.root
    if (ctx.message.binding === 'redirect' && ctx.message.query.signature) {
      verifyRedirectSignature(ctx.message.query, ctx.policy.certificates, ctx.policy.allowSha1)
      signed = true
    } else if (ctx.message.binding === 'post' && shape.signature) {
      root = verifiedByXmlSignature(shape, ctx.policy, 'LogoutResponse')
      signed = true
    }
    const response = readLogoutResponse(root, ctx.expect)
    const pending = await deps.store.saml.takeLogoutRequest(org.id, response.inResponseTo, ctx.now)
    if (!pending) {
      throw new SamlRejection(
        'in_response_to_unknown',
        `InResponseTo ${response.inResponseTo.slice(0, 80)} is no outstanding LogoutRequest of this org`,
      )
    }
    subject = pending.subject_id
    if (!response.success)
      throw new SamlRejection(
        'status_not_success',
        `the IdP answered ${response.status.slice(0, 200)}`,
        subject,
      )
    await auditLogout(deps, org, {
      flow: 'logout_response',
      client: ctx.client,
      subject,
      data: { signed, requestId: response.inResponseTo },
    })
  } catch (error) {
    if (!(error instanceof SamlRejection)) throw error
    await auditLogout(deps, org, {
      flow: 'logout_response',
      client: ctx.client,
      subject,
      rejection: error,
      data: { signed },
    })
  }
  // The local session ended before the browser went to the IdP: signed out here either way.
  return { kind: 'page', page: 'signed_out' }
}

/** One request to `{orgURL}/okta/slo`. Never throws a `SamlRejection`: it becomes an outcome. */
export async function handleSlo(
  deps: SamlDeps,
  org: Org,
  input: SloHttpInput & { client: string; now?: number },
): Promise<SloOutcome> {
  const now = input.now ?? Date.now()
  const integration = await deps.store.integrations.get(org.id)
  let message: IncomingLogout
  try {
    if (!integration) throw new SamlRejection('integration_missing', 'the Okta integration is not set up')
    message = readLogoutMessage(input)
  } catch (error) {
    if (!(error instanceof SamlRejection)) throw error
    await auditLogout(deps, org, { flow: 'idp_initiated', client: input.client, rejection: error })
    return { kind: 'page', page: integration ? 'refused' : 'not_configured' }
  }
  const settings = readSettings(integration.settings)
  const ctx: Context = {
    deps,
    org,
    integration,
    sloFromMetadata: await deps.store.idpMetadata.get(org.id),
    message,
    client: input.client,
    now,
    expect: {
      issuer: integration.issuer,
      sloUrl: oktaValues(org, deps.publicUrl).singleLogoutUrl,
      clockSkewSeconds: settings.clockSkewSeconds,
      now,
    },
    policy: {
      certificates: [integration.certificate, integration.next_certificate].filter((c): c is string => !!c),
      allowSha1: settings.allowSha1,
    },
  }
  return message.param === 'SAMLRequest' ? onLogoutRequest(ctx) : onLogoutResponse(ctx)
}
