/**
 * Organizations, their admins and their API keys on PostgreSQL: the twins of `../orgs.ts`, one
 * statement per operation. Uniqueness (an org's slug and url, an admin's email per org, a key's
 * hash) is the unique indexes' decision, also between instances; the engine core turns a refusal
 * into `UniqueViolation`. Lists order ids byte by byte (`COLLATE "C"`), as SQLite orders TEXT, so
 * both engines list rows with equal creation times in the same order whatever the collation.
 */
import type { Repositories } from '../contract.ts'
import type { AdminRow, ApiKeyRow, OrgRow } from '../orgs.ts'
import { changed, first, type PgContext, rows } from './executor.ts'

/** A row interface as the executor's helpers take it (they require an index signature). */
type Row<T> = T & Record<string, unknown>

export function orgRepository(ctx: PgContext): Repositories['orgs'] {
  const { sql } = ctx
  return {
    async insert(row) {
      await sql`
        INSERT INTO orgs (id, slug, name, url, settings, created_at)
        VALUES (${row.id}, ${row.slug}, ${row.name}, ${row.url ?? null}, ${row.settings}, ${row.created_at})`
    },
    bySlug: (slug) => first<Row<OrgRow>>(sql`SELECT * FROM orgs WHERE slug = ${slug}`),
    byId: (id) => first<Row<OrgRow>>(sql`SELECT * FROM orgs WHERE id = ${id}`),
    byUrl: (url) => first<Row<OrgRow>>(sql`SELECT * FROM orgs WHERE url = ${url}`),
    async bySlugWithScimToken(slug) {
      const row = await first<
        Row<OrgRow & { scim_token_hash: string | null; first_scim_request_at: number | null }>
      >(sql`
        SELECT o.id, o.slug, o.name, o.url, o.settings, o.created_at, i.scim_token_hash,
          i.first_scim_request_at
        FROM orgs o LEFT JOIN integrations i ON i.org_id = o.id WHERE o.slug = ${slug}`)
      if (!row) return null
      const { scim_token_hash, first_scim_request_at, ...org } = row
      return {
        org,
        scimTokenHash: scim_token_hash,
        firstScimRequestAt: first_scim_request_at === null ? null : Number(first_scim_request_at),
      }
    },
    async firstByUrl(urls) {
      if (urls.length === 0) return null
      const found = await rows<Row<OrgRow>>(sql`SELECT * FROM orgs WHERE url = ANY(${urls}::text[])`)
      for (const url of urls) {
        const org = found.find((row) => row.url === url)
        if (org) return org
      }
      return null
    },
    all: () => rows<Row<OrgRow>>(sql`SELECT * FROM orgs ORDER BY created_at, id COLLATE "C"`),
    withOwnOrigin: () =>
      rows<{ slug: string; url: string }>(sql`SELECT slug, url FROM orgs WHERE url IS NOT NULL`),
    async updateSettings(id, settings) {
      await sql`UPDATE orgs SET settings = ${settings} WHERE id = ${id}`
    },
  }
}

export function adminRepository(ctx: PgContext): Repositories['admins'] {
  const { sql } = ctx
  return {
    async insert(row) {
      await sql`
        INSERT INTO admins (id, org_id, email, email_lower, password_hash, created_at, source, break_glass, account_id)
        VALUES (${row.id}, ${row.org_id}, ${row.email}, ${row.email_lower}, ${row.password_hash},
          ${row.created_at}, ${row.source}, ${row.break_glass}, ${row.account_id})`
    },
    byAccount: (orgId, accountId) =>
      first<Row<AdminRow>>(sql`
        SELECT * FROM admins WHERE org_id = ${orgId} AND account_id = ${accountId}
        ORDER BY created_at, id COLLATE "C" LIMIT 1`),
    linkAccount: async (orgId, id, accountId) =>
      (await changed(
        sql`UPDATE admins SET account_id = ${accountId} WHERE org_id = ${orgId} AND id = ${id}`,
      )) > 0,
    setBreakGlass: async (orgId, id, breakGlass) =>
      (await changed(
        sql`UPDATE admins SET break_glass = ${breakGlass ? 1 : 0} WHERE org_id = ${orgId} AND id = ${id}`,
      )) > 0,
    byEmail: (orgId, emailLower) =>
      first<Row<AdminRow>>(sql`SELECT * FROM admins WHERE org_id = ${orgId} AND email_lower = ${emailLower}`),
    byId: (orgId, id) =>
      first<Row<AdminRow>>(sql`SELECT * FROM admins WHERE org_id = ${orgId} AND id = ${id}`),
    list: (orgId) =>
      rows<Row<AdminRow>>(
        sql`SELECT * FROM admins WHERE org_id = ${orgId} ORDER BY created_at, id COLLATE "C"`,
      ),
    count: async (orgId) =>
      (await first<{ n: number }>(sql`SELECT count(*) AS n FROM admins WHERE org_id = ${orgId}`))?.n ?? 0,
    remove: async (orgId, id) =>
      (await changed(sql`DELETE FROM admins WHERE org_id = ${orgId} AND id = ${id}`)) > 0,
    setPasswordHash: async (orgId, id, hash) =>
      (await changed(sql`UPDATE admins SET password_hash = ${hash} WHERE org_id = ${orgId} AND id = ${id}`)) >
      0,
  }
}

export function apiKeyRepository(ctx: PgContext): Repositories['apiKeys'] {
  const { sql } = ctx
  return {
    async insert(row) {
      await sql`
        INSERT INTO api_keys (id, org_id, name, key_hash, created_at)
        VALUES (${row.id}, ${row.org_id}, ${row.name}, ${row.key_hash}, ${row.created_at})`
    },
    byHash: (hash) => first<Row<ApiKeyRow>>(sql`SELECT * FROM api_keys WHERE key_hash = ${hash}`),
    async touch(id, at) {
      await sql`UPDATE api_keys SET last_used_at = ${at} WHERE id = ${id}`
    },
    byId: (orgId, id) =>
      first<Row<ApiKeyRow>>(sql`SELECT * FROM api_keys WHERE org_id = ${orgId} AND id = ${id}`),
    list: (orgId) =>
      rows<Row<ApiKeyRow>>(
        sql`SELECT * FROM api_keys WHERE org_id = ${orgId} ORDER BY created_at, id COLLATE "C"`,
      ),
    remove: async (orgId, id) =>
      (await changed(sql`DELETE FROM api_keys WHERE org_id = ${orgId} AND id = ${id}`)) > 0,
  }
}
