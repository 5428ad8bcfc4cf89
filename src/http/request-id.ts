/**
 * The id of one request, for joining its log lines (`requestId`) and for the caller (the
 * `x-request-id` response header). A proxy we trust (TRUST_PROXY, src/http/client-address.ts) may
 * hand us the id it logged, so its lines and ours join; from anyone else the header is ignored, so
 * a client cannot make its requests look like someone else's in the log. An id that is too long or
 * holds characters outside a safe set (it goes into log lines and a header) is replaced too.
 */
import type { Config } from '../config/index.ts'
import { fromTrustedProxy } from './client-address.ts'

export const REQUEST_ID_HEADER = 'x-request-id'

const ACCEPTED = /^[A-Za-z0-9._:@/+=-]{1,128}$/

export function requestIdOf(request: Request, trust: Config['trustProxy']): string {
  if (fromTrustedProxy(request, trust)) {
    // One proxy sends one id; a list means several hops each added theirs: the nearest (ours) wins.
    const given = request.headers.get(REQUEST_ID_HEADER)?.split(',').at(-1)?.trim()
    if (given && ACCEPTED.test(given)) return given
  }
  return crypto.randomUUID()
}
