/**
 * A tiny cookie-keeping client for the console's server-rendered pages in in-process tests: it
 * remembers Set-Cookie answers like a browser would, and reads the CSRF token out of a page.
 */
import { createAdmin } from '../../src/orgs/service.ts'
import type { TestApp } from '../support/app.ts'

export const ADMIN_PASSWORD = 'correct horse battery staple'

export function csrfOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html)
  if (!match) throw new Error('no CSRF field on the page')
  return match[1] as string
}

export class ConsoleClient {
  readonly cookies = new Map<string, string>()
  constructor(
    readonly app: TestApp,
    readonly origin = 'http://localhost:3000',
  ) {}

  get cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers)
    if (this.cookies.size > 0) headers.set('cookie', this.cookieHeader)
    if (!headers.has('accept')) headers.set('accept', 'text/html')
    const response = await this.app.fetch(new Request(`${this.origin}${path}`, { ...init, headers }))
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const eq = (pair as string).indexOf('=')
      const name = (pair as string).slice(0, eq)
      const value = (pair as string).slice(eq + 1)
      if (/Max-Age=0/i.test(line) || value === '') this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    return response
  }

  get(path: string): Promise<Response> {
    return this.request(path)
  }

  post(path: string, fields: Record<string, string>): Promise<Response> {
    return this.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    })
  }

  /** Opens the sign-in form and signs in; returns the answer to the POST. */
  async signIn(base: string, email: string, password = ADMIN_PASSWORD, next?: string): Promise<Response> {
    const form = await this.get(`${base}/admin/login${next ? `?next=${encodeURIComponent(next)}` : ''}`)
    const html = await form.text()
    const hiddenNext = /name="next" value="([^"]*)"/.exec(html)?.[1] ?? ''
    return this.post(`${base}/admin/login`, {
      _csrf: csrfOf(html),
      next: hiddenNext.replace(/&amp;/g, '&'),
      email,
      password,
    })
  }

  /** GETs a page and returns its HTML and the session's CSRF token from it. */
  async page(path: string): Promise<{ status: number; html: string; csrf: string }> {
    const response = await this.get(path)
    const html = await response.text()
    return { status: response.status, html, csrf: /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '' }
  }
}

export async function seedAdmin(app: TestApp, slug: string, email = `admin@${slug}.example`) {
  return createAdmin(app.store, { orgSlug: slug, email, password: ADMIN_PASSWORD })
}
