/**
 * What the contract tests of orgs, integrations, sync state and removal share: rows shaped as the
 * features write them, writers for the org state (accounts, sessions, duplicates, linked
 * identities) and a read of what a table holds for an org, the same on both engines.
 *
 * The writers go through the store's repositories. `tableRows` reads the tables themselves on
 * purpose: it is how the tests see that a removal deleted exactly what it should and nothing of
 * another org (no repository lists, say, every session or membership of an org).
 */
import type { AccountRow } from '../../../src/store/accounts.ts'
import type { DuplicateRow } from '../../../src/store/duplicates.ts'
import type { Store } from '../../../src/store/index.ts'
import type { IntegrationRow } from '../../../src/store/integrations.ts'
import type { LinkedIdentityRow } from '../../../src/store/linked-identities.ts'
import type { OrgRow } from '../../../src/store/orgs.ts'
import { decodeRows } from '../../../src/store/postgres/rows.ts'
import type { SessionRow } from '../../../src/store/sessions.ts'

type Value = string | number | null
type Plain = Record<string, Value>

export function orgRow(id: string, extra: Partial<OrgRow> = {}): OrgRow {
  return { id, slug: `${id}-slug`, name: `${id} Inc`, url: null, settings: '{}', created_at: 1_000, ...extra }
}

export function integrationRow(orgId: string, extra: Partial<IntegrationRow> = {}): IntegrationRow {
  return {
    org_id: orgId,
    sso_url: `https://${orgId}.okta.example/sso`,
    issuer: `http://www.okta.com/${orgId}`,
    certificate: 'MIIC-current',
    next_certificate: null,
    scim_token_hash: `token-of-${orgId}`,
    settings: '{}',
    sp_private_key: null,
    sp_certificate: null,
    created_at: 1_000,
    updated_at: 1_000,
    first_scim_request_at: null,
    ...extra,
  }
}

/** An account row; `email_lower` follows `extra.email` unless given too. */
export function accountRow(orgId: string, id: string, extra: Partial<AccountRow> = {}): AccountRow {
  const email = extra.email ?? `${id}@example.com`
  return {
    id,
    org_id: orgId,
    email,
    email_lower: email.toLowerCase(),
    name: id,
    source: 'okta',
    active: 1,
    role: 'member',
    scim_user_id: null,
    created_via_integration: 0,
    last_sign_in_at: null,
    created_at: 1_000,
    updated_at: 1_000,
    ...extra,
  }
}

export function sessionRow(orgId: string, tokenHash: string, subjectId: string, kind: SessionRow['kind']) {
  const row: SessionRow = {
    token_hash: tokenHash,
    org_id: orgId,
    kind,
    subject_id: subjectId,
    csrf_token: `csrf-${tokenHash}`,
    created_at: 1_000,
    last_seen_at: 1_000,
    expires_at: 10 ** 13,
    account_id: null,
    name_id: null,
    name_id_format: null,
    session_index: null,
  }
  return row
}

export function linkedRow(
  orgId: string,
  id: string,
  accountId: string,
  provider: LinkedIdentityRow['provider'],
  extra: Partial<LinkedIdentityRow> = {},
): LinkedIdentityRow {
  const email = `${id}@users.example`
  return {
    id,
    org_id: orgId,
    account_id: accountId,
    provider,
    login: id,
    email,
    email_lower: email.toLowerCase(),
    created_at: 1_000,
    ...extra,
  }
}

export const addAccount = (store: Store, row: AccountRow) => store.accounts.insert(row)

export const addSession = (store: Store, row: SessionRow) => store.sessions.insert(row)

export async function addDuplicate(store: Store, row: DuplicateRow): Promise<void> {
  await store.duplicates.record(row.org_id, row.scim_user_id, row.account_id, row.matched_on, row.detected_at)
}

export const addLinkedIdentity = (store: Store, row: LinkedIdentityRow) => store.linkedIdentities.insert(row)

/** Sorts rows by the UTF-8 bytes of `key`, as SQLite compares TEXT. */
function byKey(key: string) {
  const encoder = new TextEncoder()
  return (a: Plain, b: Plain) =>
    Buffer.compare(encoder.encode(String(a[key])), encoder.encode(String(b[key])))
}

/**
 * Every row `table` holds for `orgId`, sorted by `key`: what a removal left behind. Only a test
 * reads tables directly; the table and key names are the test's own constants.
 */
export async function tableRows(store: Store, table: string, orgId: string, key: string): Promise<Plain[]> {
  const text = `SELECT * FROM ${table} WHERE org_id = $1`
  const found =
    store.engine.kind === 'postgres'
      ? decodeRows((await store.engine.sql.unsafe(text, [orgId])) as Plain[])
      : store.engine.db.query<Plain, [string]>(text.replace('$1', '?')).all(orgId)
  return found.sort(byKey(key))
}

/** The values of `column` in `table` for `orgId`, sorted bytewise. */
export async function columnOf(
  store: Store,
  table: string,
  orgId: string,
  column: string,
): Promise<string[]> {
  return (await tableRows(store, table, orgId, column)).map((row) => String(row[column]))
}
