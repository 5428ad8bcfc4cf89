/**
 * The part of Auth0's `samlp` (8.x, CommonJS, no typings of its own) that the test IdP uses:
 * Express-style middleware over `req.query`, `req.body`, `req.session` and `res.send/set/redirect`.
 */
declare module 'samlp' {
  export interface SamlpRequest {
    method: string
    url: string
    headers: Record<string, string | string[] | undefined>
    query: Record<string, string>
    body: Record<string, string>
    session: Record<string, unknown>
    user?: unknown
  }
  export interface SamlpResponse {
    set(name: string, value: string): void
    send(statusOrBody: number | string, body?: unknown): void
    redirect(location: string): void
  }
  export type Middleware = (req: SamlpRequest, res: SamlpResponse, next: (error?: unknown) => void) => void

  export interface SessionParticipant {
    serviceProviderId: string
    nameId: string
    nameIdFormat?: string
    sessionIndex?: string
    serviceProviderLogoutURL: string
    cert?: string
    binding?: string
  }

  export function auth(options: Record<string, unknown>): Middleware
  export function logout(options: Record<string, unknown>): Middleware
}

declare module 'samlp/lib/sessionParticipants/index.js' {
  import type { SessionParticipant } from 'samlp'
  export default class SessionParticipants {
    constructor(participants?: SessionParticipant[])
    _participants: SessionParticipant[]
    hasElements(): boolean
  }
}
