/**
 * Sign-in through SAML, framework-free: the ACS outcome for one posted form (cheap gate →
 * validation pipeline → one transaction that burns the assertion ID, consumes the AuthnRequest,
 * finds or creates the account and opens the session), and the SP-initiated start. Every outcome
 * is audited with its real reason, kept as a sign-in attempt with its trace (attempts.ts: one insert
 * in the same transaction as the sign-in or the rejection's audit row) and counted in metrics; the
 * caller only renders it.
 *
 * An AuthnRequest remembers its purpose: 'account' (`{orgURL}/okta/login`) or 'console'
 * (`{orgURL}/admin/sso`). Only the answer to a console request opens an admin session, and only
 * for an account whose role is admin (src/admin/sso.ts); every other sign-in opens a user session.
 */

import { createAccount } from '../accounts/service.ts'
import { consoleAdminFor, consoleLanding, recordConsoleSignIn } from '../admin/sso.ts'
import { oktaValues } from '../integration/service.ts'
import { readSettings } from '../integration/settings.ts'
import type { Metrics } from '../observability/metrics.ts'
import { type Org, orgUrl } from '../orgs/service.ts'
import { lifetimeOf } from '../sessions/lifetime.ts'
import { type IssuedSession, issueSession } from '../sessions/service.ts'
import type { AccountRow } from '../store/accounts.ts'
import { hashSecret, newSecret } from '../store/ids.ts'
import type { Repositories, Store } from '../store/index.ts'
import type { IntegrationRow } from '../store/integrations.ts'
import type { SamlRequestPurpose } from '../store/saml.ts'
import { recordAttempt } from './attempts.ts'
import { newRequestId, redirectUrl } from './authn-request.ts'
import { readAcsForm } from './form.ts'
import { type SamlExpectations, verifySamlResponse } from './pipeline.ts'
import { type Audience, REASONS, type RejectionReason, SamlRejection } from './rejection.ts'
import { safeNextUrl } from './relay-state.ts'
import type { SignedInIdentity } from './steps/identity.ts'
import { SamlTrace } from './trace.ts'

/** How long an AuthnRequest may stay outstanding. */
export const REQUEST_TTL_MS = 10 * 60_000

export interface SamlDeps {
  store: Store
  metrics: Metrics
  publicUrl: string
  /** `SAML_MAX_ASSERTION_VALIDITY` in ms; the pipeline's default (24 h) when absent. */
  maxAssertionValidityMs?: number
}

export interface AcsRequest {
  contentType: string | null
  body: string
  /** The browser-binding cookie set when this browser started an SP-initiated sign-in. */
  bindingToken: string | null
  client: string
  now?: number
}

export type AcsOutcome =
  | {
      ok: true
      account: AccountRow
      /** 'admin' for the answer to a console request (`{orgURL}/admin/sso`), 'user' otherwise. */
      kind: 'user' | 'admin'
      session: IssuedSession
      redirectTo: string
    }
  | { ok: false; reason: RejectionReason; audience: Audience; reference: string | null }

async function integrationOf(store: Store, org: Org, trace?: SamlTrace): Promise<IntegrationRow> {
  const integration = await store.integrations.get(org.id)
  if (!integration) {
    trace?.fail('integration', 'the Okta integration is not set up')
    throw new SamlRejection('integration_missing', 'the Okta integration is not set up')
  }
  return integration
}

/**
 * The account of this org with this email, active, or a just-in-time one when the org does not
 * require SCIM provisioning (`requireScimProvisioned: false`, the same as `justInTimeProvisioning`).
 */
async function accountFor(
  store: Repositories,
  org: Org,
  identity: SignedInIdentity,
  jit: boolean,
  now: number,
): Promise<AccountRow> {
  const emailLower = identity.email.toLowerCase()
  const existing = await store.accounts.byEmail(org.id, emailLower)
  if (existing) {
    if (existing.active !== 1)
      throw new SamlRejection('user_inactive', `account ${existing.id} is deactivated`)
    return existing
  }
  if (!jit)
    throw new SamlRejection('user_not_provisioned', `no account with email ${identity.email} in this org`)
  const name = identity.name || identity.email
  return createAccount(
    store,
    { orgId: org.id, email: identity.email, name, role: 'member', origin: { via: 'saml_jit' } },
    now,
  )
}

/** What the pipeline expects of this org's responses (integration values, settings, the SP key). */
export async function expectationsFor(
  deps: SamlDeps,
  org: Org,
  integration: IntegrationRow,
  now: number,
  trace: SamlTrace,
): Promise<SamlExpectations> {
  const settings = readSettings(integration.settings)
  const values = oktaValues(org, deps.publicUrl)
  return {
    issuer: integration.issuer,
    certificates: [integration.certificate, integration.next_certificate].filter((c): c is string => !!c),
    acsUrl: values.acsUrl,
    audience: values.audience,
    allowIdpInitiated: settings.allowIdpInitiated,
    allowSha1: settings.allowSha1,
    clockSkewSeconds: settings.clockSkewSeconds,
    maxAssertionValidityMs: deps.maxAssertionValidityMs,
    emailAttribute: settings.emailAttribute,
    spPrivateKey: await deps.store.integrations.spPrivateKey(integration),
    now,
    trace,
  }
}

/**
 * Audits a refusal and keeps its trace as a sign-in attempt, in one transaction; answers the
 * attempt's reference (what the person's page shows).
 */
export async function recordRejection(
  deps: SamlDeps,
  org: Org,
  rejection: SamlRejection,
  client: string,
  options: { trace?: SamlTrace; now?: number; action?: 'sign_in' | 'logout' } = {},
): Promise<string | null> {
  const action = options.action ?? 'sign_in'
  const now = options.now ?? Date.now()
  const reference = await deps.store.transaction(async (tx) => {
    // A sign-in is kept as an attempt with its trace; a refused logout message is only audited.
    const id =
      action === 'sign_in'
        ? await recordAttempt(tx, {
            orgId: org.id,
            at: now,
            outcome: rejection.reason === 'rate_limited' ? 'rate_limited' : 'rejected',
            rejection,
            trace: options.trace ?? new SamlTrace(),
            client,
          })
        : null
    await tx.audit.record(
      {
        orgId: org.id,
        kind: 'saml',
        action,
        outcome: 'failure',
        actor: client,
        subject: rejection.subject,
        reason: rejection.reason,
        data: id ? { detail: rejection.detail, attempt: id } : { detail: rejection.detail },
      },
      now,
    )
    return id
  })
  deps.metrics.samlLogins.inc({ outcome: rejection.reason })
  return reference
}

/** Handles one POST to the ACS. Never throws a `SamlRejection`: it becomes the failure outcome. */
export async function completeSignIn(deps: SamlDeps, org: Org, request: AcsRequest): Promise<AcsOutcome> {
  const { store, metrics } = deps
  const now = request.now ?? Date.now()
  const base = orgUrl(org, deps.publicUrl)
  const trace = new SamlTrace()
  try {
    const integration = await integrationOf(store, org, trace)
    const form = trace.step(
      'form',
      () => readAcsForm(request.contentType, request.body),
      (f) => `form post with a SAMLResponse${f.relayState === null ? '' : ' and a RelayState'}`,
    )
    const settings = readSettings(integration.settings)
    const verified = verifySamlResponse(form.xml, await expectationsFor(deps, org, integration, now, trace))
    const subject = verified.identity.email
    const mark = trace.mark()
    const committed = await store.transaction(async (tx) => {
      // PostgreSQL may run this again from the start: its steps are listed once.
      trace.resetTo(mark)
      await tx.saml.prune(now)
      if (!(await tx.saml.rememberAssertion(org.id, verified.assertionId, verified.replayUntil, now))) {
        trace.fail('replay', `assertion ${verified.assertionId.slice(0, 80)} was already used`)
        throw new SamlRejection('replayed', `assertion ${verified.assertionId} was already used`, subject)
      }
      trace.pass('replay', 'first use of this assertion; remembered until it expires')
      let nextPath: string | null = null
      let purpose: SamlRequestPurpose = 'account'
      if (verified.requestId !== null) {
        const pending = request.bindingToken
          ? await tx.saml.takeRequest(org.id, verified.requestId, hashSecret(request.bindingToken), now)
          : null
        if (!pending) {
          const detail = `InResponseTo ${verified.requestId.slice(0, 80)} is no outstanding request of this browser`
          trace.fail('request', detail)
          throw new SamlRejection('in_response_to_unknown', detail, subject)
        }
        trace.pass('request', `answers this browser's request ${verified.requestId.slice(0, 80)}`)
        nextPath = pending.next_path
        purpose = pending.purpose
      }
      let account: AccountRow
      try {
        const jit = settings.justInTimeProvisioning || !settings.requireScimProvisioned
        account = await accountFor(tx, org, verified.identity, jit, now)
      } catch (error) {
        if (error instanceof SamlRejection) {
          error.subject ??= subject
          trace.fail('account', error.detail)
        }
        throw error
      }
      if (purpose === 'console' && account.role !== 'admin') {
        const detail = `console sign-in refused: account ${account.id} has the role ${account.role}, not admin (role mappings)`
        trace.fail('account', detail)
        throw new SamlRejection('not_console_admin', detail, subject)
      }
      trace.pass('account', `account ${account.id} (${account.email})`)
      await tx.accounts.recordSignIn(org.id, account.id, now)
      const lifetime = lifetimeOf(settings)
      const consoleAdmin =
        purpose === 'console' ? await consoleAdminFor(tx, org, account, request.client, now) : null
      // A console session ends with a console sign-out; single logout ends the account's sessions.
      const session = consoleAdmin
        ? await issueSession(
            tx,
            { orgId: org.id, kind: 'admin', subjectId: consoleAdmin.id, accountId: account.id, lifetime },
            now,
          )
        : await issueSession(
            tx,
            { orgId: org.id, kind: 'user', subjectId: account.id, lifetime, saml: verified.subject },
            now,
          )
      trace.pass('session', consoleAdmin ? 'console session opened' : 'session opened')
      const attempt = await recordAttempt(tx, {
        orgId: org.id,
        at: now,
        outcome: 'accepted',
        rejection: null,
        trace,
        client: request.client,
      })
      await tx.audit.record({
        orgId: org.id,
        kind: 'saml',
        action: 'sign_in',
        outcome: 'success',
        actor: request.client,
        subject: account.id,
        data: {
          email: account.email,
          flow: verified.requestId ? 'sp_initiated' : 'idp_initiated',
          purpose,
          assertionId: verified.assertionId,
          attempt,
          // The IdP's clock against ours (this row's `at`): what `okta-bridge doctor` reads for skew.
          issueInstant: new Date(verified.issuedAt).toISOString(),
          signed: verified.signed,
          // An unsafe RelayState is ignored, not followed; the admin can see that it happened.
          relayStateIgnored: form.relayState !== null && safeNextUrl(form.relayState, base) === null,
        },
      })
      if (consoleAdmin) await recordConsoleSignIn(tx, org, consoleAdmin, account, request.client)
      return { account, session, nextPath, console: consoleAdmin !== null }
    })
    metrics.samlLogins.inc({ outcome: 'success' })
    // A console sign-in lands in the console only (RelayState, which anyone can set, is not followed).
    const redirectTo = committed.console
      ? consoleLanding(org, deps.publicUrl, committed.nextPath)
      : (safeNextUrl(form.relayState, base) ?? safeNextUrl(committed.nextPath, base) ?? `${base}/account`)
    return {
      ok: true,
      account: committed.account,
      kind: committed.console ? 'admin' : 'user',
      session: committed.session,
      redirectTo,
    }
  } catch (error) {
    if (!(error instanceof SamlRejection)) throw error
    const reference = await recordRejection(deps, org, error, request.client, { trace, now })
    return { ok: false, reason: error.reason, audience: REASONS[error.reason], reference }
  }
}

export interface LoginStart {
  location: string
  /** The browser-binding token to (re)set as a cookie. */
  bindingToken: string
}

/**
 * SP-initiated start: remembers a new AuthnRequest for this browser (its binding token, reused
 * when the browser already has one, so several tabs can sign in at once) and the safe `next` path.
 */
export async function startSignIn(
  deps: SamlDeps,
  org: Org,
  input: { next: string | null; bindingToken: string | null; purpose?: SamlRequestPurpose; now?: number },
): Promise<LoginStart> {
  const integration = await integrationOf(deps.store, org)
  const now = input.now ?? Date.now()
  const values = oktaValues(org, deps.publicUrl)
  const base = orgUrl(org, deps.publicUrl)
  const bindingToken =
    input.bindingToken && /^[A-Za-z0-9_-]{43}$/.test(input.bindingToken) ? input.bindingToken : newSecret('')
  const next = safeNextUrl(input.next, base)
  const id = newRequestId()
  // Signed only when the org asks for it (set-up refuses the setting without an SP key).
  const signingKey = readSettings(integration.settings).signAuthnRequests
    ? await deps.store.integrations.spPrivateKey(integration)
    : null
  await deps.store.transaction(async (tx) => {
    await tx.saml.prune(now)
    await tx.saml.insertRequest({
      org_id: org.id,
      request_id: id,
      browser_hash: hashSecret(bindingToken),
      next_path: next ? new URL(next).pathname + new URL(next).search : null,
      expires_at: now + REQUEST_TTL_MS,
      purpose: input.purpose ?? 'account',
    })
  })
  return {
    location: redirectUrl(
      { id, ssoUrl: integration.sso_url, acsUrl: values.acsUrl, issuer: values.audience, now },
      signingKey,
    ),
    bindingToken,
  }
}
