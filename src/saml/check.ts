/**
 * The checker (`POST /api/v1/orgs/{slug}/saml/check`, the console's "paste a SAMLResponse"): the
 * whole ACS pipeline over a pasted response as a dry run. It writes nothing — no replay-cache
 * entry, no AuthnRequest consumed, no account created or touched, no session, no audit row and no
 * sign-in attempt (a dry run is the admin's own test, not somebody's sign-in) — and answers the
 * same steps as a real attempt, the outcome the sign-in would have, the advice, and the account it
 * would land on. The commit's checks are answered by reads: is the assertion ID in the replay
 * cache, is the request outstanding (the browser binding cannot be checked without the browser's
 * cookie), which account has the email.
 */
import { invalid } from '../errors.ts'
import { oktaValues } from '../integration/service.ts'
import { readSettings } from '../integration/settings.ts'
import type { Org } from '../orgs/service.ts'
import type { CheckResult } from './attempts-model.ts'
import { explainAttempt } from './explain.ts'
import { decodeSamlResponse } from './form.ts'
import { verifySamlResponse } from './pipeline.ts'
import { SamlRejection } from './rejection.ts'
import { expectationsFor, type SamlDeps } from './service.ts'
import { flowOf, SamlTrace } from './trace.ts'

export async function checkSamlResponse(
  deps: SamlDeps,
  org: Org,
  samlResponse: string,
  now = Date.now(),
): Promise<CheckResult> {
  let xml: string
  try {
    xml = decodeSamlResponse(samlResponse)
  } catch (error) {
    if (!(error instanceof SamlRejection)) throw error
    throw invalid(
      'samlResponse',
      `${error.detail} (paste the SAMLResponse value exactly as the browser posts it)`,
    )
  }
  const { store } = deps
  const trace = new SamlTrace()
  trace.pass('form', 'pasted SAMLResponse (dry run: nothing is stored or changed)')
  let landsOn: CheckResult['landsOn'] = null
  let reason: SamlRejection['reason'] | null = null
  const integration = await store.integrations.get(org.id)
  try {
    if (!integration) {
      trace.fail('integration', 'the Okta integration is not set up')
      throw new SamlRejection('integration_missing', 'the Okta integration is not set up')
    }
    const verified = verifySamlResponse(xml, await expectationsFor(deps, org, integration, now, trace))
    if (await store.saml.isRemembered(org.id, verified.assertionId, now)) {
      trace.fail('replay', `assertion ${verified.assertionId.slice(0, 80)} was already used`)
      throw new SamlRejection('replayed', 'already used')
    }
    trace.pass('replay', 'not used before (a dry run does not remember it)')
    if (verified.requestId !== null) {
      if (!(await store.saml.requestOutstanding(org.id, verified.requestId, now))) {
        trace.fail('request', `InResponseTo ${verified.requestId.slice(0, 80)} is no outstanding request`)
        throw new SamlRejection('in_response_to_unknown', 'no outstanding request')
      }
      trace.pass(
        'request',
        'the request is outstanding; at sign-in it must come back to the browser that started it',
      )
    }
    const email = verified.identity.email
    const account = await store.accounts.byEmail(org.id, email.toLowerCase())
    if (account && account.active !== 1) {
      trace.fail('account', `account ${account.id} is deactivated`)
      throw new SamlRejection('user_inactive', 'deactivated')
    }
    if (account) {
      trace.pass('account', `would sign in to account ${account.id} (${account.email})`)
      landsOn = { accountId: account.id, email: account.email, createsAccount: false }
    } else if (readSettings(integration.settings).justInTimeProvisioning) {
      trace.pass('account', `no account with email ${email}: just-in-time provisioning would create one`)
      landsOn = { accountId: null, email, createsAccount: true }
    } else {
      trace.fail('account', `no account with email ${email} in this org`)
      throw new SamlRejection('user_not_provisioned', 'no account')
    }
  } catch (error) {
    if (!(error instanceof SamlRejection)) throw error
    reason = error.reason
  }
  const values = trace.values
  const found = { reason, ...values }
  const okta = oktaValues(org, deps.publicUrl)
  return {
    outcome: reason === null ? 'accepted' : 'rejected',
    reason,
    flow: flowOf(values),
    issuer: values.issuer,
    nameId: values.nameId,
    audience: values.audience,
    destination: values.destination,
    inResponseTo: values.inResponseTo,
    signed: values.signed,
    attributes: values.attributes,
    steps: trace.steps,
    advice: explainAttempt(found, {
      audience: okta.audience,
      acsUrl: okta.acsUrl,
      issuer: integration?.issuer ?? null,
      loginUrl: okta.loginUrl,
    }),
    landsOn,
  }
}
