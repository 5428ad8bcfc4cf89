/**
 * Setup links: an org admin makes a link for the customer's IT admin, who needs no account. The
 * link's token is its only credential: 32 random bytes in the URL (`{orgURL}/setup/{token}`), stored
 * as a SHA-256 hash, looked up by hash and compared in constant time. A link is good for one org
 * and only for what its page does (src/web/setup-link-routes.ts); it expires (≤ 168 h) or is
 * revoked, and every use is audited. Plain functions over the store.
 */
import { invalid, notFound, ServiceError } from '../errors.ts'
import { type Org, orgUrl, toOrg } from '../orgs/service.ts'
import { hashSecret, newId, newSecret, sameDigest } from '../store/ids.ts'
import type { Store } from '../store/index.ts'
import type { SetupLinkRow } from '../store/setup.ts'
import {
  type CreatedSetupLink,
  IDPS,
  type Idp,
  MAX_LINK_HOURS,
  type SetupChecks,
  type SetupLink,
} from './model.ts'

const TOKEN_PREFIX = 'okb_setup_'
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

export function setupLinkUrl(org: Pick<Org, 'slug' | 'url'>, publicUrl: string, token: string): string {
  return `${orgUrl(org, publicUrl)}/setup/${token}`
}

function toLink(row: SetupLinkRow, now: number): SetupLink {
  return {
    id: row.id,
    idp: row.idp as Idp,
    status: row.revoked_at !== null ? 'revoked' : row.expires_at <= now ? 'expired' : 'active',
    createdAt: new Date(row.created_at).toISOString(),
    expiresAt: new Date(row.expires_at).toISOString(),
    revokedAt: iso(row.revoked_at),
    lastUsedAt: iso(row.last_used_at),
    createdBy: row.created_by,
  }
}

export async function createSetupLink(
  store: Store,
  org: Org,
  input: { idp: string; expiresInHours?: number },
  actor: string,
  publicUrl: string,
  now = Date.now(),
): Promise<CreatedSetupLink> {
  if (!(IDPS as readonly string[]).includes(input.idp)) {
    throw invalid('idp', `idp must be one of ${IDPS.join(', ')}`)
  }
  const hours = input.expiresInHours ?? 72
  if (!Number.isInteger(hours) || hours < 1 || hours > MAX_LINK_HOURS) {
    throw invalid('expiresInHours', `expiresInHours must be a whole number from 1 to ${MAX_LINK_HOURS}`)
  }
  const token = newSecret(TOKEN_PREFIX)
  const id = newId()
  const expiresAt = now + hours * 3600 * 1000
  await store.transaction(async (tx) => {
    await tx.setup.insertLink({
      id,
      org_id: org.id,
      idp: input.idp,
      token_hash: hashSecret(token),
      created_by: actor,
      created_at: now,
      expires_at: expiresAt,
    })
    await tx.audit.record(
      {
        orgId: org.id,
        kind: 'admin',
        action: 'setup_link.created',
        outcome: 'success',
        actor,
        subject: id,
        data: { idp: input.idp, expiresInHours: hours },
      },
      now,
    )
  })
  return {
    id,
    url: setupLinkUrl(org, publicUrl, token),
    idp: input.idp as Idp,
    expiresAt: new Date(expiresAt).toISOString(),
  }
}

export async function listSetupLinks(store: Store, org: Org, now = Date.now()): Promise<SetupLink[]> {
  return (await store.setup.listLinks(org.id, 200)).map((row) => toLink(row, now))
}

export async function revokeSetupLink(store: Store, org: Org, id: string, actor: string): Promise<void> {
  const now = Date.now()
  const row = await store.setup.linkById(org.id, id)
  if (!row) throw notFound(`setup link "${id}"`)
  if (!(await store.setup.revokeLink(org.id, id, now))) return
  await store.audit.record(
    { orgId: org.id, kind: 'admin', action: 'setup_link.revoked', outcome: 'success', actor, subject: id },
    now,
  )
}

/** Why a link's page does not open: the page tells the person in plain words. */
export class SetupLinkRefused extends ServiceError {
  constructor(readonly reason: 'unknown' | 'expired' | 'revoked') {
    const message = {
      unknown: 'This setup link is not valid. Ask the person who sent it for a new one.',
      expired: 'This setup link has expired. Ask the person who sent it for a new one.',
      revoked: 'This setup link was revoked. Ask the person who sent it for a new one.',
    }[reason]
    super(reason === 'unknown' ? 404 : 410, `SETUP_LINK_${reason.toUpperCase()}`, message)
  }
}

export interface OpenedLink {
  link: SetupLink
  org: Org
  /** `setup_links.id`, for the audit rows of what the page does. */
  actor: string
}

/**
 * The link for this token in this org, if it is live. A token of another org reads as unknown: the
 * link never opens another org's page. Marks the link used (`lastUsedAt`).
 */
export async function openSetupLink(
  store: Store,
  slug: string,
  token: string,
  now = Date.now(),
): Promise<OpenedLink> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 100) throw new SetupLinkRefused('unknown')
  const digest = hashSecret(token)
  const [row, orgRow] = await Promise.all([store.setup.linkByTokenHash(digest), store.orgs.bySlug(slug)])
  if (!row || !orgRow || row.org_id !== orgRow.id || !sameDigest(row.token_hash, digest)) {
    throw new SetupLinkRefused('unknown')
  }
  if (row.revoked_at !== null) throw new SetupLinkRefused('revoked')
  if (row.expires_at <= now) throw new SetupLinkRefused('expired')
  await store.setup.touchLink(row.id, now)
  return { link: toLink(row, now), org: toOrg(orgRow), actor: `setup-link:${row.id}` }
}

/** Audits one use of a link (opening its page, saving the IdP's values, showing a SCIM token). */
export async function auditLinkUse(
  store: Store,
  opened: OpenedLink,
  action: string,
  client: string,
  data: Record<string, unknown> = {},
): Promise<void> {
  await store.audit.record({
    orgId: opened.org.id,
    kind: 'admin',
    action: `setup_link.${action}`,
    outcome: 'success',
    actor: opened.actor,
    subject: opened.link.id,
    data: { client, ...data },
  })
}

/** The live checks the link's page shows, from what the store already records. */
export async function setupChecks(store: Store, org: Org): Promise<SetupChecks> {
  const progress = await store.setup.progress(org.id)
  const signedIn = progress.signed_in > 0
  return {
    checks: {
      metadataRead: progress.configured > 0,
      firstScimRequest: progress.first_scim_request_at !== null,
      firstUserProvisioned: progress.provisioned > 0,
      firstSignIn: signedIn,
    },
    reasons: { firstSignIn: signedIn ? null : progress.last_failure },
  }
}
