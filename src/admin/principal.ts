/**
 * Who calls the admin API: `Authorization: Bearer <api key>` (hashed lookup, constant-time
 * comparison of the digest) or the console's admin session cookie. With the cookie, safe methods
 * need only the session; anything else also needs `X-CSRF-Token`, because a browser attaches the
 * cookie to requests other sites start. A credential of one org never opens another: the answer is
 * the same 404 as for an org that does not exist.
 */
import { ServiceError } from '../errors.ts'
import { resolveOrg } from '../http/org-routing.ts'
import type { Org } from '../orgs/service.ts'
import { csrfMatches } from '../sessions/service.ts'
import { hashSecret, sameDigest } from '../store/ids.ts'
import type { Store } from '../store/index.ts'
import { CSRF_HEADER, currentAdmin } from './session.ts'

// A type, not an interface: Elysia's `derive` takes only values that fit `Record<string, unknown>`.
export type AdminPrincipal = {
  org: Org
  /** Who acts, for the audit log: `api-key:<id>` or `admin:<id>`. */
  actor: string
  /** With the console cookie: the signed-in admin's email and how they signed in (password or Okta). */
  signedIn?: { email: string; via: 'password' | 'okta' }
}

/** An API key's `lastUsedAt` is written at most this often. */
const LAST_USED_PRECISION_MS = 60_000

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

export function bearerToken(header: string | null | undefined): string | null {
  if (!header) return null
  const match = /^Bearer\s+(.+)$/i.exec(header.trim())
  return match ? (match[1] as string).trim() : null
}

export async function authenticateAdmin(
  store: Store,
  slug: string,
  request: Request,
  publicUrl: string,
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
    // To the minute: a client polling the API would otherwise write on every request.
    const now = Date.now()
    if (key.last_used_at === null || now - key.last_used_at >= LAST_USED_PRECISION_MS)
      await store.apiKeys.touch(key.id, now)
    return { org: await resolveOrg(store, slug), actor: `api-key:${key.id}` }
  }
  if (orgRow) {
    const org = await resolveOrg(store, slug)
    const admin = await currentAdmin(store, org, request, publicUrl)
    if (admin) {
      if (
        !SAFE_METHODS.has(request.method) &&
        !csrfMatches(admin.csrfToken, request.headers.get(CSRF_HEADER))
      ) {
        throw new ServiceError(
          403,
          'CSRF_TOKEN_INVALID',
          'requests authenticated by the admin session cookie must send its CSRF token in X-CSRF-Token',
        )
      }
      return { org, actor: `admin:${admin.adminId}`, signedIn: { email: admin.email, via: admin.via } }
    }
  }
  throw new ServiceError(
    401,
    'UNAUTHENTICATED',
    'send Authorization: Bearer <api key>, or sign in as an admin',
  )
}
