/** Organizations, their admins and their API keys. */
import type { Db } from './database.ts'

export interface OrgRow {
  id: string
  slug: string
  name: string
  url: string | null
  settings: string
  created_at: number
}

/** An org with its integration's SCIM token hash (null without an integration): one SCIM request's check. */
export interface OrgWithScimToken {
  org: OrgRow
  scimTokenHash: string | null
  /** When the integration first saw a SCIM request (a setup link's live check), or null. */
  firstScimRequestAt: number | null
}

/** How an admin came to be: given a password, or made by their first console sign-in through Okta. */
export type AdminSource = 'password' | 'sso'

export interface AdminRow {
  id: string
  org_id: string
  email: string
  email_lower: string
  /** '' for an admin made through Okta, who has no password. */
  password_hash: string
  created_at: number
  source: AdminSource
  /** 1: may sign in with a password while the org requires SSO for admins. */
  break_glass: number
  /** The account this admin signs in with through Okta, once they have. */
  account_id: string | null
}

export interface ApiKeyRow {
  id: string
  org_id: string
  name: string
  key_hash: string
  created_at: number
  last_used_at: number | null
}

export function orgRepository(db: Db) {
  const insert = db.query(
    'INSERT INTO orgs (id, slug, name, url, settings, created_at) VALUES ($id, $slug, $name, $url, $settings, $created_at)',
  )
  const bySlug = db.query<OrgRow, [string]>('SELECT * FROM orgs WHERE slug = ?')
  const byId = db.query<OrgRow, [string]>('SELECT * FROM orgs WHERE id = ?')
  const byUrl = db.query<OrgRow, [string]>('SELECT * FROM orgs WHERE url = ?')
  const withScimToken = db.query<
    OrgRow & { scim_token_hash: string | null; first_scim_request_at: number | null },
    [string]
  >(
    `SELECT o.id, o.slug, o.name, o.url, o.settings, o.created_at, i.scim_token_hash, i.first_scim_request_at
     FROM orgs o LEFT JOIN integrations i ON i.org_id = o.id WHERE o.slug = ?`,
  )
  const all = db.query<OrgRow, []>('SELECT * FROM orgs ORDER BY created_at, id')
  const withUrl = db.query<{ slug: string; url: string }, []>(
    'SELECT slug, url FROM orgs WHERE url IS NOT NULL',
  )
  const updateSettings = db.query<OrgRow, [string, string]>('UPDATE orgs SET settings = ? WHERE id = ?')
  return {
    insert(row: OrgRow): void {
      insert.run(row as unknown as Record<string, string | number | null>)
    },
    bySlug: (slug: string) => bySlug.get(slug),
    byId: (id: string) => byId.get(id),
    byUrl: (url: string) => byUrl.get(url),
    /** The org of `slug` and its SCIM token hash, in one read (every SCIM request checks both). */
    bySlugWithScimToken(slug: string): OrgWithScimToken | null {
      const row = withScimToken.get(slug)
      if (!row) return null
      const { scim_token_hash, first_scim_request_at, ...org } = row
      return { org, scimTokenHash: scim_token_hash, firstScimRequestAt: first_scim_request_at }
    },
    /** The org of the first of `urls` that one has (one query for a request's candidate origins). */
    firstByUrl(urls: string[]): OrgRow | null {
      // A few lookups of a unique index are cheaper here than one json_each (measured).
      for (const url of urls) {
        const org = byUrl.get(url)
        if (org) return org
      }
      return null
    },
    all: () => all.all(),
    /** Orgs served at their own origin: the HTTP layer maps Host → slug with these. */
    withOwnOrigin: () => withUrl.all(),
    updateSettings: (id: string, settings: string) => void updateSettings.run(settings, id),
  }
}

export function adminRepository(db: Db) {
  const insert = db.query(
    `INSERT INTO admins (id, org_id, email, email_lower, password_hash, created_at, source, break_glass, account_id)
     VALUES ($id, $org_id, $email, $email_lower, $password_hash, $created_at, $source, $break_glass, $account_id)`,
  )
  const byAccount = db.query<AdminRow, [string, string]>(
    'SELECT * FROM admins WHERE org_id = ? AND account_id = ? ORDER BY created_at, id LIMIT 1',
  )
  const linkAccount = db.query('UPDATE admins SET account_id = ? WHERE org_id = ? AND id = ?')
  const setBreakGlass = db.query('UPDATE admins SET break_glass = ? WHERE org_id = ? AND id = ?')
  const byEmail = db.query<AdminRow, [string, string]>(
    'SELECT * FROM admins WHERE org_id = ? AND email_lower = ?',
  )
  const byId = db.query<AdminRow, [string, string]>('SELECT * FROM admins WHERE org_id = ? AND id = ?')
  const list = db.query<AdminRow, [string]>('SELECT * FROM admins WHERE org_id = ? ORDER BY created_at, id')
  const count = db.query<{ n: number }, [string]>('SELECT COUNT(*) AS n FROM admins WHERE org_id = ?')
  const remove = db.query('DELETE FROM admins WHERE org_id = ? AND id = ?')
  const setPassword = db.query('UPDATE admins SET password_hash = ? WHERE org_id = ? AND id = ?')
  return {
    insert(row: AdminRow): void {
      insert.run(row as unknown as Record<string, string | number | null>)
    },
    byEmail: (orgId: string, emailLower: string) => byEmail.get(orgId, emailLower),
    byId: (orgId: string, id: string) => byId.get(orgId, id),
    /** The admin who signs in through Okta with this account, or null. */
    byAccount: (orgId: string, accountId: string) => byAccount.get(orgId, accountId),
    /** Links the admin to the account they sign in with through Okta; returns whether the row exists. */
    linkAccount: (orgId: string, id: string, accountId: string) =>
      linkAccount.run(accountId, orgId, id).changes > 0,
    setBreakGlass: (orgId: string, id: string, breakGlass: boolean) =>
      setBreakGlass.run(breakGlass ? 1 : 0, orgId, id).changes > 0,
    /** Oldest first; an org has a handful of admins, so no paging. */
    list: (orgId: string) => list.all(orgId),
    count: (orgId: string) => count.get(orgId)?.n ?? 0,
    /** Returns whether a row went away. */
    remove: (orgId: string, id: string) => remove.run(orgId, id).changes > 0,
    setPasswordHash: (orgId: string, id: string, hash: string) =>
      setPassword.run(hash, orgId, id).changes > 0,
  }
}

export function apiKeyRepository(db: Db) {
  const insert = db.query(
    `INSERT INTO api_keys (id, org_id, name, key_hash, created_at)
     VALUES ($id, $org_id, $name, $key_hash, $created_at)`,
  )
  const byHash = db.query<ApiKeyRow, [string]>('SELECT * FROM api_keys WHERE key_hash = ?')
  const touch = db.query('UPDATE api_keys SET last_used_at = ? WHERE id = ?')
  const list = db.query<ApiKeyRow, [string]>(
    'SELECT * FROM api_keys WHERE org_id = ? ORDER BY created_at, id',
  )
  const byId = db.query<ApiKeyRow, [string, string]>('SELECT * FROM api_keys WHERE org_id = ? AND id = ?')
  const remove = db.query('DELETE FROM api_keys WHERE org_id = ? AND id = ?')
  return {
    insert(row: Omit<ApiKeyRow, 'last_used_at'>): void {
      insert.run(row as unknown as Record<string, string | number>)
    },
    byHash: (hash: string) => byHash.get(hash),
    touch: (id: string, at: number) => void touch.run(at, id),
    byId: (orgId: string, id: string) => byId.get(orgId, id),
    /** Oldest first; rows carry only the hash, never the key. */
    list: (orgId: string) => list.all(orgId),
    /** Deletes the key (the next request with it finds no row: 401); returns whether one went away. */
    remove: (orgId: string, id: string) => remove.run(orgId, id).changes > 0,
  }
}
