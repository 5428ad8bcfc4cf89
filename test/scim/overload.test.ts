/**
 * Overload protection: an org with 64 SCIM requests in flight (bodies still arriving) gets a 429
 * with Retry-After and a SCIM error body; another org is unaffected, and once the bodies arrive
 * everything completes and the org is served again. Deterministic: each held request signals when
 * the server starts reading its body, which happens after it took its in-flight slot.
 */
import { describe, expect, test } from 'bun:test'
import { createTestApp } from '../support/app.ts'
import { expectScimError, oktaUser, type ScimClient, scimOrg } from './support.ts'

interface HeldRequest {
  reading: Promise<void>
  finish(): void
  response: Promise<Response>
}

function heldPost(scim: ScimClient, email: string): HeldRequest {
  let started!: () => void
  const reading = new Promise<void>((resolve) => {
    started = resolve
  })
  let controller!: ReadableStreamDefaultController<Uint8Array>
  const body = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c
      },
      pull() {
        started()
      },
    },
    { highWaterMark: 0 },
  )
  const response = scim.app.request(`${scim.base}/Users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${scim.token}`, 'content-type': 'application/scim+json' },
    body,
    duplex: 'half',
  } as RequestInit)
  return {
    reading,
    response,
    finish() {
      controller.enqueue(new TextEncoder().encode(JSON.stringify(oktaUser(email))))
      controller.close()
    },
  }
}

describe('overload', () => {
  test('the 65th in-flight request of an org is a 429 with Retry-After; others carry on', async () => {
    const app = createTestApp()
    const busy = await scimOrg('busy', app)
    const calm = await scimOrg('calm', app)
    const held = Array.from({ length: 64 }, (_, i) => heldPost(busy, `held${i}@busy.example`))
    await Promise.all(held.map((h) => h.reading))

    const refused = await busy.get('/Users')
    expectScimError(refused, 429)
    expect(refused.headers.get('retry-after')).toBe('1')
    expect((await calm.get('/Users')).status).toBe(200)

    for (const h of held) h.finish()
    const statuses = await Promise.all(held.map(async (h) => (await h.response).status))
    expect(statuses.every((s) => s === 201)).toBe(true)
    const after = await busy.get('/Users?count=0')
    expect(after.status).toBe(200)
    expect(after.body.totalResults).toBe(64)
    expect(app.deps.metrics.scimOperations.get({ resource: 'User', operation: 'list', status: '429' })).toBe(
      1,
    )
    expect(
      app.deps.metrics.scimOperations.get({ resource: 'User', operation: 'create', status: '201' }),
    ).toBe(64)
  })
})
