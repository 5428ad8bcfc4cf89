/**
 * Organizations, their admins and API keys: creation rules shared by the CLI and the admin API.
 * Plain functions over the store; nothing here knows about HTTP.
 */
import { conflict, invalid, notFound } from '../errors.ts'
import { hashSecret, newId, newSecret } from '../store/ids.ts'
import type { Repositories, Store } from '../store/index.ts'
import type { OrgRow } from '../store/orgs.ts'

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/
const EMAIL = /^[^\s@"<>()[\]\\,;:]+@[^\s@"<>()[\]\\,;:]+\.[^\s@"<>()[\]\\,;:]+$/

export interface Org {
  id: string
  slug: string
  name: string
  /** The org's own origin, when it has one; otherwise it is served under {PUBLIC_URL}/orgs/{slug}. */
  url: string | null
}

export function toOrg(row: OrgRow): Org {
  return { id: row.id, slug: row.slug, name: row.name, url: row.url }
}

/** `{PUBLIC_URL}/orgs/{slug}`, or the org's own origin. No trailing slash. */
export function orgUrl(org: Pick<Org, 'slug' | 'url'>, publicUrl: string): string {
  return org.url ?? `${publicUrl}/orgs/${org.slug}`
}

/** Path of the org URL as the browser sees it: `/orgs/acme`, or '' for an org on its own origin. */
export function basePathOf(org: Pick<Org, 'slug' | 'url'>, publicUrl: string): string {
  return new URL(orgUrl(org, publicUrl)).pathname.replace(/\/+$/, '')
}

export function isValidEmail(email: string): boolean {
  return email.length <= 320 && EMAIL.test(email)
}

/** Accepts an origin (`https://acme.example.com`, optional port) and returns it normalized. */
export function parseOrigin(raw: string, field: string): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw invalid(field, `${field} must be an absolute URL such as https://acme.example.com`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid(field, `${field} must use https`)
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username) {
    throw invalid(field, `${field} must be an origin only (scheme, host and port), without a path`)
  }
  return url.origin
}

/** The slug, name and origin of a new org, checked and normalized (400 naming the field). */
export function validateOrgInput(input: { slug: string; name?: string; url?: string }): {
  slug: string
  name: string
  url: string | null
} {
  const slug = input.slug.trim()
  if (!SLUG.test(slug)) {
    throw invalid(
      'slug',
      'slug must be 1–63 lowercase letters, digits or dashes, not starting or ending with a dash',
    )
  }
  const url = input.url ? parseOrigin(input.url, 'url') : null
  const name = (input.name ?? slug).trim() || slug
  if (name.length > 200) throw invalid('name', 'name must be at most 200 characters')
  return { slug, name, url }
}

export async function createOrg(
  store: Store,
  input: { slug: string; name?: string; url?: string },
): Promise<Org> {
  const { slug, name, url } = validateOrgInput(input)
  return store.transaction(async (tx) => {
    if (await tx.orgs.bySlug(slug))
      throw conflict('SLUG_TAKEN', `an organization with slug "${slug}" already exists`, 'slug')
    if (url && (await tx.orgs.byUrl(url)))
      throw conflict('URL_TAKEN', `another organization already uses ${url}`, 'url')
    const row: OrgRow = { id: newId(), slug, name, url, settings: '{}', created_at: Date.now() }
    await tx.orgs.insert(row)
    return toOrg(row)
  })
}

export async function findOrg(store: Repositories, slug: string): Promise<Org> {
  const row = await store.orgs.bySlug(slug)
  if (!row) throw notFound(`organization "${slug}"`)
  return toOrg(row)
}

export function generatePassword(): string {
  return newSecret('').slice(0, 24)
}

/** The one password rule set, for creating an admin and for changing a password. */
export function checkPassword(password: string): void {
  if (password.length < 12) throw invalid('password', 'password must be at least 12 characters')
  if (password.length > 1024) throw invalid('password', 'password must be at most 1024 characters')
}

export function hashPassword(password: string): Promise<string> {
  return Bun.password.hash(password, { algorithm: 'argon2id' })
}

/**
 * `actor` is who does it, for the audit log (`cli`, `api-key:<id>`, `admin:<id>`). `generated`
 * says whether the password was made here (callers show only a generated one back). A break-glass
 * admin may still sign in with the password while the org requires SSO for admins.
 */
export async function createAdmin(
  store: Store,
  input: { orgSlug: string; email: string; password?: string; actor?: string; breakGlass?: boolean },
): Promise<{ id: string; email: string; password: string; generated: boolean; breakGlass: boolean }> {
  const org = await findOrg(store, input.orgSlug)
  const email = input.email.trim()
  if (!isValidEmail(email)) throw invalid('email', `"${input.email}" is not a valid email address`)
  const password = input.password ?? generatePassword()
  checkPassword(password)
  const passwordHash = await hashPassword(password)
  const id = newId()
  const breakGlass = input.breakGlass === true
  await store.transaction(async (tx) => {
    if (await tx.admins.byEmail(org.id, email.toLowerCase())) {
      throw conflict('ADMIN_EXISTS', `an admin with email ${email} already exists in ${org.slug}`, 'email')
    }
    await tx.admins.insert({
      id,
      org_id: org.id,
      email,
      email_lower: email.toLowerCase(),
      password_hash: passwordHash,
      created_at: Date.now(),
      source: 'password',
      break_glass: breakGlass ? 1 : 0,
      account_id: null,
    })
    await tx.audit.record({
      orgId: org.id,
      kind: 'admin',
      action: 'admin.created',
      outcome: 'success',
      actor: input.actor ?? null,
      subject: id,
      data: breakGlass ? { email, breakGlass } : { email },
    })
  })
  return { id, email, password, generated: input.password === undefined, breakGlass }
}

export async function createApiKey(
  store: Store,
  input: { orgSlug: string; name?: string; actor?: string },
): Promise<{ id: string; name: string; key: string }> {
  const org = await findOrg(store, input.orgSlug)
  const name = (input.name ?? 'default').trim() || 'default'
  if (name.length > 100) throw invalid('name', 'name must be at most 100 characters')
  const key = newSecret('okb_key_')
  const id = newId()
  await store.apiKeys.insert({ id, org_id: org.id, name, key_hash: hashSecret(key), created_at: Date.now() })
  await store.audit.record({
    orgId: org.id,
    kind: 'admin',
    action: 'api_key.created',
    outcome: 'success',
    actor: input.actor ?? null,
    subject: id,
    data: { name },
  })
  return { id, name, key }
}
