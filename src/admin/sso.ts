/**
 * Console sign-in with Okta: who the console admin of an Okta account is, and where the browser
 * lands. The flow itself is the SAML one (src/saml/service.ts): `{orgURL}/admin/sso` stores an
 * AuthnRequest with purpose 'console', and the ACS, for such a request only, checks the account's
 * role is `admin` and calls `consoleAdminFor` here to open an ADMIN-kind session. An IdP-initiated
 * response carries no request, so it never becomes a console session.
 *
 * An admin signed in through Okta is an `admins` row like any other, so the console's principal,
 * the Access page and the audit log (`admin:<id>`, `actorEmail`) name them the same way:
 * - the admin already linked to the account (`account_id`), else
 * - the admin with the account's email (linked now: one person, one row), else
 * - a new row with `source: 'sso'` and no password, created on this first sign-in (audited).
 * The session carries the account too, so it ends once the account is deactivated or loses the
 * admin role (src/sessions/service.ts), whatever the admin row says.
 */
import { basePathOf, type Org, orgUrl } from '../orgs/service.ts'
import type { AccountRow } from '../store/accounts.ts'
import { newId } from '../store/ids.ts'
import type { Repositories, Store } from '../store/index.ts'
import type { AdminRow } from '../store/orgs.ts'
import { safeNext } from './sign-in.ts'

/** The admin row this account signs in to the console as (found, linked or created; inside the ACS transaction). */
export async function consoleAdminFor(
  tx: Repositories,
  org: Org,
  account: AccountRow,
  actor: string,
  now: number,
): Promise<AdminRow> {
  const linked = await tx.admins.byAccount(org.id, account.id)
  if (linked) return linked
  const sameEmail = await tx.admins.byEmail(org.id, account.email_lower)
  if (sameEmail) {
    await tx.admins.linkAccount(org.id, sameEmail.id, account.id)
    await tx.audit.record({
      orgId: org.id,
      kind: 'admin',
      action: 'admin.linked_to_account',
      outcome: 'success',
      actor,
      subject: sameEmail.id,
      data: { email: sameEmail.email, accountId: account.id },
    })
    return { ...sameEmail, account_id: account.id }
  }
  const row: AdminRow = {
    id: newId(),
    org_id: org.id,
    email: account.email,
    email_lower: account.email_lower,
    password_hash: '',
    created_at: now,
    source: 'sso',
    break_glass: 0,
    account_id: account.id,
  }
  await tx.admins.insert(row)
  await tx.audit.record({
    orgId: org.id,
    kind: 'admin',
    action: 'admin.created',
    outcome: 'success',
    actor,
    subject: row.id,
    data: { email: row.email, source: 'sso', accountId: account.id },
  })
  return row
}

/** The console sign-in's own audit row (beside the SAML one): who, through which account. */
export async function recordConsoleSignIn(
  tx: Repositories,
  org: Org,
  admin: AdminRow,
  account: AccountRow,
  client: string,
): Promise<void> {
  await tx.audit.record({
    orgId: org.id,
    kind: 'admin',
    action: 'admin.signed_in',
    outcome: 'success',
    actor: `admin:${admin.id}`,
    subject: admin.id,
    data: { method: 'okta', email: admin.email, accountId: account.id, client },
  })
}

/** Where a console sign-in lands: the remembered console path, or the integration page. */
export function consoleLanding(org: Org, publicUrl: string, nextPath: string | null): string {
  const origin = new URL(orgUrl(org, publicUrl)).origin
  return `${origin}${safeNext(nextPath, basePathOf(org, publicUrl))}`
}

/** Whether "Sign in with Okta" can be offered on the console's sign-in page (the integration is set up). */
export async function consoleSsoAvailable(store: Store, org: Org): Promise<boolean> {
  return (await store.integrations.get(org.id)) !== null
}
