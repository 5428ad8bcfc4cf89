/**
 * An SP-initiated sign-in as an HTTP answer, for `/okta/login` (./routes.ts) and the console's
 * `/admin/sso` (src/web/admin-sso-routes.ts): the AuthnRequest remembered for this browser
 * (`startSignIn`), the 302 to the IdP's Single Sign-On URL, and the browser-binding cookie that the
 * ACS checks the answer against.
 */
import type { Org } from '../orgs/service.ts'
import { orgCookieScope, readCookie, setCookie } from '../pages/cookies.ts'
import { redirect } from '../pages/shell.ts'
import type { SamlRequestPurpose } from '../store/saml.ts'
import { REQUEST_TTL_MS, type SamlDeps, startSignIn } from './service.ts'

export async function signInRedirect(
  deps: SamlDeps,
  org: Org,
  request: Request,
  options: { next: string | null; purpose?: SamlRequestPurpose },
): Promise<Response> {
  const scope = orgCookieScope(org, deps.publicUrl)
  const start = await startSignIn(deps, org, {
    next: options.next,
    bindingToken: readCookie(request.headers.get('cookie'), 'samlRequest', scope),
    purpose: options.purpose,
  })
  return redirect(
    start.location,
    { 'set-cookie': setCookie('samlRequest', scope, start.bindingToken, REQUEST_TTL_MS / 1000) },
    302,
  )
}
