/**
 * A SAML identity provider nobody here wrote, for end-to-end tests: Auth0's `samlp` middleware
 * (8.x; RSA-SHA256) behind a small node:http adapter standing in for Express (`req.query`,
 * `req.body`, a cookie-backed `req.session`, `res.send/set/redirect`).
 *
 * - `GET  /saml/sso`  `samlp.auth`: answers an AuthnRequest (verifying its query signature when the
 *   IdP is told the SP signs them) with the form of a signed assertion for the user the test
 *   signed in (`loginUrl`); each sign-in gets a fresh SessionIndex and makes the SP a session
 *   participant of that IdP session (NameID, SessionIndex, our SLO URL, our SP certificate).
 * - `GET  /saml/slo`  `samlp.logout` over the HTTP-Redirect binding: without parameters it starts
 *   an IdP-initiated logout of every participant; with our LogoutRequest it checks the signature
 *   with our certificate and answers a signed LogoutResponse; with our LogoutResponse it checks it
 *   and finishes (200).
 * - `GET  /saml/slo-post`  the same IdP-initiated start over the HTTP-POST binding (an auto-posting
 *   form with an XML-signed LogoutRequest).
 * Errors samlp hands to `next` answer 500 and are kept in `errors` for the test to show.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import samlp, { type SamlpRequest, type SamlpResponse, type SessionParticipant } from 'samlp'
import SessionParticipants from 'samlp/lib/sessionParticipants/index.js'
import type { KeyPair } from './certs.ts'

const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect'
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST'
const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'

export interface SamlpSp {
  /** The SP entity ID (our org URL), ACS and Single Logout URL, and the SP certificate (PEM). */
  entityId: string
  acsUrl: string
  sloUrl: string
  certificate: string
}

export interface SamlpIdp {
  url: string
  issuer: string
  ssoUrl: string
  sloUrl: string
  /** The IdP's signing certificate (PEM), to paste into the integration. */
  certificate: string
  /** Where a browser signs in at the IdP as `email` (stands in for the IdP's own login page). */
  loginUrl(email: string): string
  /** Check signatures on AuthnRequests with the SP certificate (the SP signs them). */
  requireSignedAuthnRequests(on: boolean): void
  /** The SP sessions the IdP knows of (its session participants), over every IdP session. */
  participants(): SessionParticipant[]
  errors: string[]
  close(): Promise<void>
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = ''
    request.setEncoding('utf8')
    request.on('data', (chunk: string) => {
      body += chunk
    })
    request.on('end', () => resolve(body))
    request.on('error', reject)
  })
}

export async function startSamlpIdp(key: KeyPair, sp: SamlpSp): Promise<SamlpIdp> {
  // Per IdP session (the idp_sid cookie): samlp's state, and the SP sessions signed in from it.
  const sessions = new Map<string, Record<string, unknown>>()
  const participantsOf = new Map<string, SessionParticipants>()
  const errors: string[] = []
  let signedRequests = false
  let counter = 0
  let url = ''
  const issuer = 'urn:test:samlp-idp'
  const common = { issuer, cert: key.certificate, key: key.privateKey }
  // A middleware per request: samlp keeps per-flow values on its options object.
  const logout = (binding: string, participants: SessionParticipants) =>
    samlp.logout({ ...common, protocolBinding: binding, deflate: true, sessionParticipants: participants })

  const handle = async (incoming: IncomingMessage, outgoing: ServerResponse) => {
    const requestUrl = new URL(incoming.url ?? '/', url)
    const cookie = /(?:^|;\s*)idp_sid=([^;]+)/.exec(incoming.headers.cookie ?? '')?.[1]
    const sid = cookie && sessions.has(cookie) ? cookie : crypto.randomUUID()
    if (!sessions.has(sid)) sessions.set(sid, {})
    if (!participantsOf.has(sid)) participantsOf.set(sid, new SessionParticipants([]))
    const participants = participantsOf.get(sid) as SessionParticipants
    const raw = incoming.method === 'POST' ? await readBody(incoming) : ''
    const req: SamlpRequest = {
      method: incoming.method ?? 'GET',
      url: incoming.url ?? '/',
      headers: incoming.headers,
      query: Object.fromEntries(requestUrl.searchParams),
      body: Object.fromEntries(new URLSearchParams(raw)),
      session: sessions.get(sid) as Record<string, unknown>,
    }
    const headers: Record<string, string> = { 'set-cookie': `idp_sid=${sid}; Path=/; HttpOnly` }
    const res: SamlpResponse = {
      set: (name, value) => {
        headers[name.toLowerCase()] = value
      },
      send: (statusOrBody, body) => {
        const status = typeof statusOrBody === 'number' ? statusOrBody : 200
        const text =
          typeof statusOrBody === 'string' ? statusOrBody : body === undefined ? 'OK' : String(body)
        outgoing.writeHead(status, headers).end(text)
      },
      redirect: (location) => {
        outgoing.writeHead(302, { ...headers, location }).end()
      },
    }
    const next = (error?: unknown) => {
      const message = error instanceof Error ? error.message : String(error ?? 'no route')
      errors.push(message)
      outgoing.writeHead(500, headers).end(message)
    }
    if (requestUrl.pathname === '/login') {
      req.session.user = requestUrl.searchParams.get('email')
      return res.send('signed in at the IdP')
    }
    if (requestUrl.pathname === '/saml/sso') {
      const email = req.session.user
      if (typeof email !== 'string') return res.send(401)
      const sessionIndex = `_samlp_session_${++counter}`
      return samlp.auth({
        ...common,
        getPostURL: (
          _audience: string,
          _dom: unknown,
          _req: unknown,
          callback: (e: null, url: string) => void,
        ) => callback(null, sp.acsUrl),
        getUserFromRequest: () => ({ id: email, emails: [{ value: email }], displayName: email, name: {} }),
        nameIdentifierFormat: EMAIL_FORMAT,
        recipient: sp.acsUrl,
        destination: sp.acsUrl,
        sessionIndex,
        lifetimeInSeconds: 300,
        ...(signedRequests ? { signingCert: sp.certificate } : {}),
        responseHandler: (response: Buffer) => {
          participants._participants.push({
            serviceProviderId: sp.entityId,
            nameId: email,
            nameIdFormat: EMAIL_FORMAT,
            sessionIndex,
            serviceProviderLogoutURL: sp.sloUrl,
            cert: sp.certificate,
            binding: REDIRECT,
          })
          res.set('content-type', 'text/html')
          res.send(
            `<form method="post" action="${sp.acsUrl}"><input type="hidden" name="SAMLResponse" value="${response.toString('base64')}"><input type="hidden" name="RelayState" value="${req.query.RelayState ?? ''}"></form>`,
          )
        },
      })(req, res, next)
    }
    if (requestUrl.pathname === '/saml/slo') return logout(REDIRECT, participants)(req, res, next)
    if (requestUrl.pathname === '/saml/slo-post') {
      // The LogoutRequest goes out over the POST binding; the SP's answer comes back to /saml/slo.
      for (const participant of participants._participants) participant.binding = POST
      return logout(POST, participants)(req, res, next)
    }
    next(new Error(`no route ${requestUrl.pathname}`))
  }

  const server = createServer((incoming, outgoing) => {
    handle(incoming, outgoing).catch((error: unknown) => {
      errors.push(String(error))
      if (!outgoing.headersSent) outgoing.writeHead(500).end(String(error))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://localhost:${(server.address() as AddressInfo).port}`
  return {
    url,
    issuer,
    ssoUrl: `${url}/saml/sso`,
    sloUrl: `${url}/saml/slo`,
    certificate: key.certificate,
    loginUrl: (email) => `${url}/login?email=${encodeURIComponent(email)}`,
    requireSignedAuthnRequests: (on) => {
      signedRequests = on
    },
    participants: () => [...participantsOf.values()].flatMap((list) => list._participants),
    errors,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
