/**
 * What the person sees when the ACS or the sign-in start refuses: the friendly text for the
 * reason's group (never the internal reason), with a way forward where there is one.
 */
import { messagePage } from '../pages/shell.ts'
import { type Audience, PERSON_MESSAGES } from './rejection.ts'

export function rejectionPage(
  audience: Audience,
  loginUrl: string,
  headers: Record<string, string> = {},
): Response {
  const { status, title, message } = PERSON_MESSAGES[audience]
  const link =
    audience === 'stale' || audience === 'sp_only' || audience === 'not_provisioned'
      ? { href: loginUrl, label: 'Sign in again' }
      : undefined
  return messagePage(status, title, message, link, headers)
}
