/** Reading SAML xs:dateTime values strictly: an ISO 8601 instant with a time zone, nothing looser. */
import { SamlRejection } from '../rejection.ts'

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/

export function parseInstant(value: string | null, what: string): number | null {
  if (value === null) return null
  const at = INSTANT.test(value) ? Date.parse(value) : Number.NaN
  if (Number.isNaN(at))
    throw new SamlRejection('time_invalid', `${what} "${value.slice(0, 40)}" is not a valid instant`)
  return at
}
