/**
 * What the `store copy` tests copy: a store with rows in every table, written the way the product
 * writes them — orgs, admins and API keys by the org service, the integration and SP keys (sealed
 * with SECRET_KEY) by their services, IdP metadata and an expiry notice by their repository, the SCIM directory through the store's directory repository,
 * accounts, events, sync state, the group mirror, leases and audit rows by the sync scheduler's
 * own feed batch, sessions by the session service — and the rest (SAML caches, OAuth states,
 * linked identities, duplicates, throttles) by their repositories, webhook endpoints (secrets sealed,
 * one rotated) by the webhooks service with a cursor inside the feed and a delivery logged. Some changes are left unapplied,
 * linked identities, duplicates, throttles, setup links and codes, sign-in attempts) by their repositories. Some changes are left unapplied,
 * so the scheduler's cursor sits inside the feed, as on a live store.
 *
 * `dumpTables` reads every table of either engine sorted by its primary key, BIGINTs decoded, so
 * two stores compare with one `toEqual`.
 */
import { setUpIntegration } from '../../src/integration/service.ts'
import { createAdmin, createApiKey, createOrg, type Org } from '../../src/orgs/service.ts'
import { generateSpKeys } from '../../src/saml/sp-keys.ts'
import { createSecretBox } from '../../src/secrets/secret-box.ts'
import { issueSession } from '../../src/sessions/service.ts'
import type { Store } from '../../src/store/index.ts'
import { decodeRows } from '../../src/store/postgres/rows.ts'
import { applyFeedBatch } from '../../src/sync/feed.ts'
import { createWebhook, rotateWebhookSecret } from '../../src/webhooks/service.ts'
import { selfSigned } from '../support/certs.ts'
import { directoryWriter } from '../support/directory.ts'

export const SECRET_KEY = 'copy-test-secret-key-0123456789abcdef'
export const secretBox = () => createSecretBox(SECRET_KEY)

type Row = Record<string, unknown>

/** Writes two orgs' worth of everything; returns the orgs. `store` must be opened with `secretBox()`. */
export async function seedStore(store: Store, now = Date.now()): Promise<Org[]> {
  await store.secrets.unlock(now)
  const orgs: Org[] = []
  for (const slug of ['acme', 'globex']) {
    const org = await createOrg(store, { slug, name: `${slug} Inc` })
    orgs.push(org)
    const admin = await createAdmin(store, { orgSlug: slug, email: `admin@${slug}.example`, actor: 'cli' })
    await createApiKey(store, { orgSlug: slug, name: 'ci', actor: 'cli' })
    await setUpIntegration(
      store,
      org,
      {
        ssoUrl: `https://${slug}.okta.com/app/okta_bridge/exk1/sso/saml`,
        issuer: `http://www.okta.com/${slug}`,
        certificate: selfSigned().certificate,
      },
      'cli',
      now,
    )
    await generateSpKeys(store, org, 'cli', now)
    await store.idpMetadata.recordSuccess({
      org_id: org.id,
      url: `https://${slug}.okta.com/app/exk1/sso/saml/metadata`,
      entity_id: `http://www.okta.com/${slug}`,
      slo_url: `https://${slug}.okta.com/app/exk1/slo/saml`,
      slo_binding: 'HTTP-Redirect',
      fetched_at: now,
      next_refresh_at: now + 3_600_000,
    })
    await store.idpMetadata.noteExpiry(org.id, `fingerprint-${slug}`, 30, now)
    await store.roles.replace(org.id, [{ group: 'Admins', role: 'admin' }])

    const directory = directoryWriter(store, org.id)
    const users = await directory.users(
      Array.from({ length: 12 }, (_, i) => ({
        userName: `user${i}@${slug}.example`,
        givenName: `Given ${i}`,
        familyName: `Family ${i}`,
        externalId: `00u${slug}${i}`,
      })),
      now,
    )
    const admins = await directory.group('Admins', undefined, now)
    const engineering = await directory.group('Engineering', undefined, now)
    await directory.addMembers(admins, users.slice(0, 2), now)
    await directory.addMembers(engineering, users.slice(1, 9), now)
    await directory.removeMembers(engineering, [users[3] as string], now)
    await directory.deleteUser(users[11] as string, now)
    // The scheduler applies what is there, which writes accounts, events, the mirror and a lease.
    await applyFeedBatch(store, org.id, { holder: 'seed', leaseMs: 60_000, limit: 10_000, now })
    // Written after the batch: the cursor is now inside the feed, as on a live store.
    const late = await directory.user({ userName: `late@${slug}.example` }, now)
    await directory.addMembers(engineering, [late], now)

    const account = (await store.accounts.byScimUser(org.id, users[0] as string)) ?? null
    if (!account) throw new Error('seed: the feed batch created no account')
    const saml = { nameId: account.email, nameIdFormat: null, sessionIndex: `_session-${slug}` }
    const session = await issueSession(
      store,
      { orgId: org.id, kind: 'user', subjectId: account.id, saml },
      now,
    )
    await issueSession(store, { orgId: org.id, kind: 'admin', subjectId: admin.id }, now)
    await store.linkedIdentities.insert({
      id: `li-${slug}`,
      org_id: org.id,
      account_id: account.id,
      provider: 'github',
      login: `Octo-${slug}`,
      email: `octo@${slug}.example`,
      email_lower: `octo@${slug}.example`,
      created_at: now,
    })
    await store.oauth.insertState({
      state_hash: `state-${slug}`,
      org_id: org.id,
      account_id: account.id,
      session_hash: session.token.slice(0, 16),
      provider: 'bitbucket',
      code_verifier: `verifier-${slug}`,
      expires_at: now + 600_000,
    })
    await store.duplicates.record(org.id, users[1] as string, account.id, 'email', now)
    await store.saml.rememberAssertion(org.id, `_assertion-${slug}`, now + 300_000, now)
    await store.saml.insertRequest({
      org_id: org.id,
      request_id: `_request-${slug}`,
      browser_hash: `browser-${slug}`,
      next_path: '/admin',
      expires_at: now + 300_000,
      purpose: 'console',
    })
    await store.saml.insertLogoutRequest({
      org_id: org.id,
      request_id: `_logout-${slug}`,
      subject_id: account.id,
      expires_at: now + 300_000,
    })
    await store.transaction((tx) =>
      tx.throttles.step('sign-in', `${slug}:203.0.113.7`, now, () => ({
        state: '{"failures":2}',
        expiresAt: now + 900_000,
      })),
    )
    const hook = await createWebhook(
      store,
      org,
      { url: `https://hooks.${slug}.example/okta`, eventTypes: ['account.created'] },
      { policy: { allowPrivate: true }, actor: 'cli', now },
    )
    await rotateWebhookSecret(store, org, hook.id, { actor: 'cli', now })
    const [firstEvent] = await store.events.after(org.id, 0, 1)
    await store.webhooks.replay(org.id, hook.id, firstEvent?.id ?? 0, now)
    await store.webhooks.recordDelivery({
      org_id: org.id,
      endpoint_id: hook.id,
      message_id: `msg_${slug}_1`,
      event_ids: JSON.stringify([firstEvent?.id ?? 0]),
      attempt: 1,
      status: 'delivered',
      response_status: 200,
      response_body: 'ok',
      duration_ms: 3,
      error: null,
      at: now,
      next_attempt_at: null,
    })
    await store.samlAttempts.insert({
      id: `ATT${slug.slice(0, 1).toUpperCase()}-0000-0001`,
      org_id: org.id,
      at: now,
      outcome: 'rejected',
      reason: 'audience_mismatch',
      flow: 'idp_initiated',
      issuer: `http://www.okta.com/${slug}`,
      name_id: `user0@${slug}.example`,
      audience: 'https://wrong.example',
      destination: null,
      in_response_to: null,
      signed: 1,
      attributes: '{}',
      client_address: '203.0.113.7',
      steps: '[{"step":"audience","ok":false,"detail":"wrong"}]',
    })
    await store.setup.insertLink({
      id: `link-${slug}`,
      org_id: org.id,
      idp: 'okta',
      token_hash: `link-hash-${slug}`,
      created_by: 'cli',
      created_at: now,
      expires_at: now + 3_600_000,
    })
  }
  await store.setup.insertCode({ code_hash: 'setup-code-hash', created_at: now, expires_at: now + 3_600_000 })
  return orgs
}

/** The store's tables (the engine's own and the migrations' bookkeeping left out). */
export async function tableNames(store: Store): Promise<string[]> {
  if (store.engine.kind === 'sqlite') {
    return store.engine.db
      .query<{ name: string }, []>(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name",
      )
      .all()
      .map((row) => row.name)
  }
  const rows = await store.engine.sql.unsafe<Array<{ table_name: string }>>(
    `SELECT table_name FROM information_schema.tables
      WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations'
      ORDER BY table_name`,
  )
  return rows.map((row) => row.table_name)
}

/** The primary key's columns of a table, in key order. */
async function keyOf(store: Store, table: string): Promise<string[]> {
  if (store.engine.kind === 'sqlite') {
    return store.engine.db
      .query<{ name: string; pk: number }, []>(`PRAGMA table_info("${table}")`)
      .all()
      .filter((column) => column.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((column) => column.name)
  }
  const rows = await store.engine.sql.unsafe<Array<{ column_name: string }>>(
    `SELECT k.column_name FROM information_schema.table_constraints c
       JOIN information_schema.key_column_usage k
         ON k.constraint_schema = c.constraint_schema AND k.constraint_name = c.constraint_name
      WHERE c.table_schema = current_schema() AND c.constraint_type = 'PRIMARY KEY' AND k.table_name = $1
      ORDER BY k.ordinal_position`,
    [table],
  )
  return rows.map((row) => row.column_name)
}

/** One table's rows ordered by `order` (default: its primary key). */
export async function tableRows(store: Store, table: string, order?: string): Promise<Row[]> {
  const by = order ?? (await keyOf(store, table)).map((column) => `"${column}"`).join(', ')
  const text = `SELECT * FROM "${table}" ORDER BY ${by}`
  if (store.engine.kind === 'sqlite') return store.engine.db.query<Row, []>(text).all()
  return [...decodeRows(await store.engine.sql.unsafe<Row[]>(text))]
}

/**
 * Every table's rows; `except` leaves tables out (those an engine has alone). The rows are sorted
 * by their JSON, since the engines' keys differ (`directory_changes` is keyed by seq on SQLite,
 * by org and seq on PostgreSQL).
 */
export async function dumpTables(store: Store, except: string[] = []): Promise<Record<string, Row[]>> {
  const dump: Record<string, Row[]> = {}
  for (const table of await tableNames(store)) {
    if (except.includes(table)) continue
    const rows = (await tableRows(store, table)).map((row) => ({ json: JSON.stringify(row), row }))
    dump[table] = rows.sort((a, b) => (a.json < b.json ? -1 : a.json > b.json ? 1 : 0)).map(({ row }) => row)
  }
  return dump
}
