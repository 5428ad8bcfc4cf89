/**
 * Authentication of the admin API: `Authorization: Bearer <api key>` (hashed lookup, constant-time
 * comparison of the digest) or an admin session cookie. A credential of one org never opens another:
 * the answer is the same 404 as for an org that does not exist.
 */
import { ServiceError } from '../errors.ts'
import type { Org } from '../orgs/service.ts'
import { hashSecret, sameDigest } from '../store/ids.ts'
import type { Store } from '../store/index.ts'
import { resolveOrg } from './org-routing.ts'

export type AdminPrincipal = {
  org: Org
  /** Who acts, for the audit log: `api-key:<id>` or `admin:<id>`. */
  actor: string
}

/** Resolves an admin session cookie to an admin id; provided by the sessions feature. */
export type AdminSessionLookup = (org: Org, request: Request) => Promise<{ adminId: string } | null>

export function bearerToken(header: string | null | undefined): string | null {
  if (!header) return null
  const match = /^Bearer\s+(.+)$/i.exec(header.trim())
  return match ? (match[1] as string).trim() : null
}

export async function authenticateAdmin(
  store: Store,
  slug: string,
  request: Request,
  sessionLookup?: AdminSessionLookup,
): Promise<AdminPrincipal> {
  const token = bearerToken(request.headers.get('authorization'))
  const orgRow = await store.orgs.bySlug(slug)
  if (token) {
    const digest = hashSecret(token)
    const key = await store.apiKeys.byHash(digest)
    if (!key || !sameDigest(key.key_hash, digest)) {
      throw new ServiceError(401, 'UNAUTHENTICATED', 'the API key is not valid')
    }
    if (!orgRow || key.org_id !== orgRow.id)
      throw new ServiceError(404, 'ORG_NOT_FOUND', `no organization "${slug}" here`)
    await store.apiKeys.touch(key.id, Date.now())
    return { org: await resolveOrg(store, slug), actor: `api-key:${key.id}` }
  }
  if (orgRow && sessionLookup) {
    const org = await resolveOrg(store, slug)
    const session = await sessionLookup(org, request)
    if (session) return { org, actor: `admin:${session.adminId}` }
  }
  throw new ServiceError(
    401,
    'UNAUTHENTICATED',
    'send Authorization: Bearer <api key>, or sign in as an admin',
  )
}
