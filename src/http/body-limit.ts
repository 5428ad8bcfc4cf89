/**
 * The request body guard, run before routing on every request that carries a body. It refuses a
 * content type the surface does not take (415) and a declared Content-Length over MAX_BODY_BYTES
 * (413) without reading a byte. Otherwise the body is passed on as a stream that counts its bytes
 * and checks its shape (JSON depth and value count, form fields: http/body-shape.ts) as it flows,
 * failing the read the moment a limit is crossed. Reading stays lazy (SCIM's per-org in-flight
 * limit still counts slow bodies) and nothing over a limit is ever held whole or parsed. Whoever
 * reads the body then sees the failure: the app's error mapper answers it with `refusedBody`, the
 * SCIM routes turn it into a SCIM error; either way in the format of the surface that was called
 * (http/body-policy.ts).
 */
import {
  type BodyPolicy,
  bodyPolicyOf,
  mediaTypeOf,
  type RefusalCode,
  refuseBody,
  shapeScannerFor,
  unsupportedMediaType,
} from './body-policy.ts'
import type { ShapeViolation } from './body-shape.ts'

/** A body refused while it streamed in; `code` says why, the message gives the limit. */
export class BodyRefusedError extends Error {
  constructor(
    readonly code: RefusalCode,
    message: string,
  ) {
    super(message)
    this.name = 'BodyRefusedError'
  }
}

export class BodyTooLargeError extends BodyRefusedError {
  constructor(readonly maxBytes: number) {
    super('BODY_TOO_LARGE', `request body larger than ${maxBytes} bytes`)
    this.name = 'BodyTooLargeError'
  }
}

/** Too deep or too wide to parse cheaply: a 400 that never echoes the body. */
export class BodyShapeError extends BodyRefusedError {
  constructor(violation: ShapeViolation) {
    super('BODY_TOO_COMPLEX', describeViolation(violation))
    this.name = 'BodyShapeError'
  }
}

function describeViolation({ kind, limit }: ShapeViolation): string {
  if (kind === 'depth') return `the JSON body nests deeper than ${limit} levels`
  if (kind === 'values') return `the JSON body has more than ${limit} values`
  if (kind === 'members') return `an object in the JSON body has more than ${limit} members`
  return `the form has more than ${limit} fields`
}

interface Guarded {
  policy: BodyPolicy
  error: BodyRefusedError | null
}

/** Requests whose body is guarded, with what went wrong while it was read. */
const guarded = new WeakMap<Request, Guarded>()

function hasBody(request: Request): boolean {
  const declared = request.headers.get('content-length')
  return declared === null || Number(declared) > 0
}

/**
 * The request to route (its body wrapped in the checks when it has one), or the refusal to send
 * right away.
 */
export function guardBody(request: Request, maxBytes: number): Request | Response {
  const declared = request.headers.get('content-length')
  const policy = bodyPolicyOf(new URL(request.url).pathname)
  if (declared !== null && Number(declared) > maxBytes) {
    return refuseBody(policy, 'BODY_TOO_LARGE', `request body larger than ${maxBytes} bytes`, request)
  }
  if (request.body === null || !hasBody(request)) return request
  const mediaType = mediaTypeOf(request.headers.get('content-type'))
  if (policy.refusesOthers && !policy.accepts.includes(mediaType))
    return unsupportedMediaType(policy, request)
  const scan = shapeScannerFor(policy, mediaType)
  // Known size, nothing to scan: the body can go on untouched.
  if (declared !== null && scan === null) return request
  const state: Guarded = { policy, error: null }
  let size = 0
  const checked = request.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        size += chunk.byteLength
        const violation = scan?.(chunk) ?? null
        if (size > maxBytes) state.error = new BodyTooLargeError(maxBytes)
        else if (violation) state.error = new BodyShapeError(violation)
        if (state.error) {
          controller.error(state.error)
          return
        }
        controller.enqueue(chunk)
      },
    }),
  )
  const wrapped = new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body: checked,
    duplex: 'half',
  } as RequestInit)
  guarded.set(wrapped, state)
  return wrapped
}

/**
 * The answer for a request whose body failed its checks while a handler or parser read it (they
 * fail with the guard's error or a wrapped one); null when the body was fine or never guarded.
 */
export function refusedBody(request: Request): Response | null {
  const state = guarded.get(request)
  if (!state?.error) return null
  return refuseBody(state.policy, state.error.code, state.error.message, request)
}
