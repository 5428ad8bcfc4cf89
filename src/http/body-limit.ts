/**
 * The request body limit (MAX_BODY_BYTES). A declared Content-Length over it is refused before the
 * body is read; a body sent without one (chunked) is passed on as a stream that fails once it grows
 * past the limit, so reading stays lazy (SCIM's per-org in-flight limit still counts slow bodies)
 * and nothing larger is ever held in memory. Either way the client gets a 413 in the format of the
 * surface it called: a SCIM error, the admin API's JSON error, or a page for a browser.
 */
import { errorJson, errorPage } from './errors.ts'

export class BodyTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`request body larger than ${maxBytes} bytes`)
    this.name = 'BodyTooLargeError'
  }
}

/** Requests whose streamed body went past the limit, for the error mapper. */
const overflowed = new WeakMap<Request, { exceeded: boolean; maxBytes: number }>()

export function tooLargeResponse(path: string, maxBytes: number): Response {
  const detail = `request body larger than ${maxBytes} bytes`
  // The SAML ACS is reached by people's browsers: a page, not JSON.
  if (/\/okta\/auth$/.test(path)) {
    return errorPage(413, 'We could not sign you in', 'The sign-in message was too large to accept.')
  }
  if (/\/okta\/scim(\/|$)/.test(path)) {
    return Response.json(
      { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '413', detail },
      { status: 413, headers: { 'content-type': 'application/scim+json' } },
    )
  }
  return errorJson(413, 'BODY_TOO_LARGE', detail)
}

/** The request with its body capped (chunked bodies only); `undefined` when nothing needs doing. */
export function limitStreamedBody(request: Request, maxBytes: number): Request | undefined {
  if (request.body === null || request.headers.has('content-length')) return undefined
  const state = { exceeded: false, maxBytes }
  let size = 0
  const capped = request.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        size += chunk.byteLength
        if (size > maxBytes) {
          state.exceeded = true
          controller.error(new BodyTooLargeError(maxBytes))
          return
        }
        controller.enqueue(chunk)
      },
    }),
  )
  const limited = new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body: capped,
    duplex: 'half',
  } as RequestInit)
  overflowed.set(limited, state)
  return limited
}

/** Carries the cap's state over to a rewritten request (own-origin routing makes a new one). */
export function carryBodyLimit(from: Request, to: Request): void {
  const state = overflowed.get(from)
  if (state && to !== from) overflowed.set(to, state)
}

/** The 413 for a request whose streamed body went past the limit while a handler read it. */
export function overflowResponse(request: Request): Response | null {
  const state = overflowed.get(request)
  if (!state?.exceeded) return null
  return tooLargeResponse(new URL(request.url).pathname, state.maxBytes)
}
