/**
 * The signed-in person of an org, for the account page and `/me`: the user session from the cookie
 * (bound to this org), its account (which must still exist and be active: a deactivated or removed
 * account's session ends here even if nothing else ended it), and the profile with group names
 * from the SCIM directory.
 */
import type { Org } from '../orgs/service.ts'
import { orgCookieScope, readCookie } from '../pages/cookies.ts'
import { type ActiveSession, endSession, verifySession } from '../sessions/service.ts'
import type { AccountRow } from '../store/accounts.ts'
import type { Store } from '../store/index.ts'

export interface Profile {
  id: string
  email: string
  name: string
  role: string
  groups: string[]
  source: 'okta' | 'local'
}

export interface SignedIn {
  account: AccountRow
  session: ActiveSession
  token: string
}

export async function signedInAccount(
  store: Store,
  org: Org,
  cookieHeader: string | null,
  publicUrl: string,
  now = Date.now(),
): Promise<SignedIn | null> {
  const token = readCookie(cookieHeader, 'session', orgCookieScope(org, publicUrl))
  const session = await verifySession(store, token, org.id, 'user', now)
  if (!session || !token) return null
  const account = await store.accounts.byId(org.id, session.subjectId)
  const usable = account && account.active === 1 ? account : null
  if (!usable) {
    await endSession(store, token)
    return null
  }
  return { account: usable, session, token }
}

export async function profileOf(store: Store, account: AccountRow): Promise<Profile> {
  return {
    id: account.id,
    email: account.email,
    name: account.name,
    role: account.role,
    groups: await store.saml.groupsOf(account.org_id, account.id),
    source: account.source,
  }
}
