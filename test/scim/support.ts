/**
 * A SCIM client for tests: an org with its integration set up through the real admin API, and
 * requests sent with Okta's headers to `{orgURL}/okta/scim` through the in-process server.
 */
import { createTestApp, seedOrg, type TestApp } from '../support/app.ts'
import { setUpIntegration } from '../support/integration.ts'

export type Json = Record<string, unknown>

export interface ScimReply {
  status: number
  headers: Headers
  body: Json
  text: string
}

export interface ScimClient {
  app: TestApp
  slug: string
  orgId: string
  token: string
  base: string
  /** The org's admin API credentials (set by `scimOrg`). */
  adminAuth: Record<string, string>
  /** Sends a request; `body` objects are JSON-encoded, strings sent as they are. */
  send(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ScimReply>
  get(path: string, headers?: Record<string, string>): Promise<ScimReply>
  post(path: string, body: unknown): Promise<ScimReply>
  put(path: string, body: unknown): Promise<ScimReply>
  patch(path: string, body: unknown): Promise<ScimReply>
  delete(path: string): Promise<ScimReply>
}

/** The headers Okta's provisioning agent sends on every SCIM call. */
export const OKTA_HEADERS = {
  accept: 'application/scim+json',
  'accept-charset': 'utf-8',
  'content-type': 'application/scim+json; charset=utf-8',
  'user-agent': 'Okta SCIM Client 1.0.0',
}

export async function scimClient(
  app: TestApp,
  slug: string,
  token: string,
  orgId: string,
): Promise<ScimClient> {
  const base = `/orgs/${slug}/okta/scim`
  const send = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await app.request(`${base}${path}`, {
      method,
      headers: { ...OKTA_HEADERS, authorization: `Bearer ${token}`, ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    })
    const text = await response.text()
    let parsed: Json = {}
    if (text !== '') parsed = JSON.parse(text) as Json
    return { status: response.status, headers: response.headers, body: parsed, text }
  }
  return {
    app,
    slug,
    orgId,
    token,
    base,
    adminAuth: {},
    send,
    get: (path, headers) => send('GET', path, undefined, headers),
    post: (path, body) => send('POST', path, body),
    put: (path, body) => send('PUT', path, body),
    patch: (path, body) => send('PATCH', path, body),
    delete: (path) => send('DELETE', path),
  }
}

/** A fresh app with one org (`slug`) whose Okta integration is set up. */
export async function scimOrg(slug = 'acme', app: TestApp = createTestApp()): Promise<ScimClient> {
  const { org, auth } = await seedOrg(app.store, slug)
  const { scimToken } = await setUpIntegration(app, slug, auth)
  return { ...(await scimClient(app, slug, scimToken, org.id)), adminAuth: auth }
}

/** A user payload shaped exactly like Okta's POST /Users. */
export function oktaUser(email: string, given = 'Isabella', family = 'Ramos'): Json {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: email,
    name: { givenName: given, familyName: family },
    emails: [{ primary: true, value: email, type: 'work' }],
    displayName: `${given} ${family}`,
    locale: 'en-US',
    externalId: `00u${Bun.hash(email).toString(16)}`,
    groups: [],
    password: 'Sup3r-Secret!',
    active: true,
  }
}

export interface ChangeRow {
  kind: string
  op: string
  resource_id: string
  related_id: string | null
}

/** The org's whole `directory_changes` feed, in order. */
export async function changes(client: ScimClient): Promise<ChangeRow[]> {
  const rows = await client.app.store.syncState.changesAfter(client.orgId, 0, Number.MAX_SAFE_INTEGER)
  return rows.map(({ kind, op, resource_id, related_id }) => ({ kind, op, resource_id, related_id }))
}

export function expectScimError(reply: ScimReply, status: number, scimType?: string): void {
  if (reply.status !== status) throw new Error(`expected ${status}, got ${reply.status}: ${reply.text}`)
  if (!String(reply.headers.get('content-type')).startsWith('application/scim+json')) {
    throw new Error(`error content-type is ${reply.headers.get('content-type')}`)
  }
  const body = reply.body
  const schemas = body.schemas as string[]
  if (!schemas?.includes('urn:ietf:params:scim:api:messages:2.0:Error'))
    throw new Error(`not a SCIM error: ${reply.text}`)
  if (body.status !== String(status)) throw new Error(`status field is ${String(body.status)}`)
  if (typeof body.detail !== 'string' || body.detail === '') throw new Error('detail is empty')
  if (scimType !== undefined && body.scimType !== scimType) {
    throw new Error(`expected scimType ${scimType}, got ${String(body.scimType)}: ${reply.text}`)
  }
}
