/**
 * The org's sign-in attempts as the admin API and the console read them: newest first, filtered by
 * outcome, keyset cursor on (at, id); one by its reference (as the person typed it), with the
 * advice of src/saml/explain.ts computed against the org's values now (the ones to type into Okta).
 */
import { notFound } from '../../errors.ts'
import { oktaValues } from '../../integration/service.ts'
import type { Org } from '../../orgs/service.ts'
import { attemptItem, normalizeReference } from '../../saml/attempts.ts'
import type { AttemptDetail, AttemptItem, AttemptOutcome } from '../../saml/attempts-model.ts'
import { explainAttempt } from '../../saml/explain.ts'
import type { Store } from '../../store/index.ts'
import { decodeCursor, encodeCursor, type Page, pageLimit } from './pagination.ts'

export async function listAttempts(
  store: Store,
  orgId: string,
  query: { outcome?: AttemptOutcome; limit?: number; cursor?: string },
): Promise<Page<AttemptItem>> {
  const limit = pageLimit(query.limit)
  const position = decodeCursor<[number, string]>(query.cursor, ['number', 'string'])
  const rows = await store.samlAttempts.list(orgId, {
    outcome: query.outcome,
    before: position ? { at: position[0], id: position[1] } : undefined,
    limit: limit + 1,
  })
  const items = rows.slice(0, limit)
  const last = items.at(-1)
  return {
    items: items.map(attemptItem),
    nextCursor: rows.length > limit && last ? encodeCursor([last.at, last.id]) : null,
  }
}

/** One attempt of the org by its reference, with advice; null for an unknown one or another org's. */
export async function findAttempt(
  store: Store,
  org: Org,
  reference: string,
  publicUrl: string,
): Promise<AttemptDetail | null> {
  const id = normalizeReference(reference)
  const row = id ? await store.samlAttempts.byId(org.id, id) : null
  if (!row) return null
  const item = attemptItem(row)
  const integration = await store.integrations.get(org.id)
  const okta = oktaValues(org, publicUrl)
  const advice = explainAttempt(item, {
    audience: okta.audience,
    acsUrl: okta.acsUrl,
    issuer: integration?.issuer ?? null,
    loginUrl: okta.loginUrl,
  })
  return { ...item, advice }
}

export async function getAttempt(store: Store, org: Org, reference: string, publicUrl: string) {
  const found = await findAttempt(store, org, reference, publicUrl)
  if (!found) throw notFound('sign-in attempt')
  return found
}
