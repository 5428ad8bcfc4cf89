/**
 * First run, in process against the real app and store: `GET /` with no org is the first-run form;
 * a wrong code is a 4xx page and creates nothing; the code from the start-up log creates the org and
 * its admin, signs the admin in and lands on the integration page; the code is then spent. After
 * that `GET /` leads to an org's sign-in (straight on with one org, by its address with several).
 * Attempts are throttled per client; `okta-bridge setup-code` makes a code only before the first org.
 */
import { describe, expect, test } from 'bun:test'
import { main } from '../../src/main.ts'
import { createLogger } from '../../src/observability/log.ts'
import { createOrg } from '../../src/orgs/service.ts'
import { announceFirstRun, issueSetupCode, normalizeSetupCode } from '../../src/setup/code.ts'
import { createTestApp, PUBLIC_URL, type TestApp } from '../support/app.ts'

const PASSWORD = 'correct horse battery'

/** The first-run form's CSRF pair, as a browser holds it. */
async function openForm(app: TestApp, client = '10.0.0.1') {
  const page = await app.request('/', { headers: { 'x-forwarded-for': client } })
  const html = await page.text()
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] as string
  const cookie = (page.headers.getSetCookie()[0] ?? '').split(';')[0] as string
  return { page, html, csrf, cookie }
}

async function submit(app: TestApp, fields: Record<string, string>, client = '10.0.0.1') {
  const { csrf, cookie } = await openForm(app, client)
  return app.request('/', {
    method: 'POST',
    body: new URLSearchParams({ _csrf: csrf, ...fields }).toString(),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      cookie,
      accept: 'text/html',
      'x-forwarded-for': client,
    },
  })
}

const orgFields = (setupCode: string) => ({
  setupCode,
  slug: 'acme',
  orgName: 'Acme Inc',
  email: 'first@acme.example',
  password: PASSWORD,
})

describe('first run', () => {
  test('the start-up log gives where to go and the code, whatever LOG_LEVEL says', async () => {
    const app = createTestApp()
    const lines: string[] = []
    const log = createLogger('error', (line) => lines.push(line))
    const issued = await announceFirstRun(app.store, app.config, log)
    expect(issued).not.toBeNull()
    const messages = lines.map((line) => JSON.parse(line).msg as string)
    expect(messages[0]).toBe(`open ${PUBLIC_URL} to finish set-up`)
    expect(messages[1]).toMatch(/^setup code: [A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/)
    expect(messages[1]).toBe(`setup code: ${issued?.code}`)
    // Stored as a hash only.
    const rows = app.store.engine.db.query('SELECT code_hash FROM setup_codes').all() as {
      code_hash: string
    }[]
    expect(rows).toHaveLength(1)
    expect(rows[0]?.code_hash).not.toContain((issued?.code ?? '').replace(/-/g, ''))
  })

  test('GET / with no org shows the form with the documented field names', async () => {
    const app = createTestApp()
    const { page, html } = await openForm(app)
    expect(page.status).toBe(200)
    for (const name of ['_csrf', 'setupCode', 'slug', 'orgName', 'email', 'password']) {
      expect(html).toContain(`name="${name}"`)
    }
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'")
  })

  test('a wrong code is a 403 page and creates nothing; the right one signs the admin in', async () => {
    const app = createTestApp({ trustProxy: { hops: 1 } })
    const issued = await issueSetupCode(app.store)
    const wrong = await submit(app, orgFields('AAAA-BBBB-CCCC'))
    expect(wrong.status).toBe(403)
    expect(await wrong.text()).toContain('set-up code is wrong')
    expect(await app.store.orgs.all()).toHaveLength(0)

    const ok = await submit(app, orgFields((issued?.code ?? '').toLowerCase().replace(/-/g, ' ')))
    expect(ok.status).toBe(303)
    expect(ok.headers.get('location')).toBe(`${PUBLIC_URL}/orgs/acme/admin/integration`)
    const session = ok.headers
      .getSetCookie()
      .find((c) => c.startsWith('okb_admin='))
      ?.split(';')[0] as string
    expect(session).toBeDefined()
    const console = await app.request('/orgs/acme/admin/integration', { headers: { cookie: session } })
    expect(console.status).toBe(200)
    expect(await console.text()).toContain('first@acme.example')
    const [org] = await app.store.orgs.all()
    expect(org).toMatchObject({ slug: 'acme', name: 'Acme Inc' })
    const audit = await app.store.audit.list(org?.id as string, { limit: 10 })
    expect(audit.map((row) => row.action)).toContain('org.created_at_first_run')

    // Used up: the code is gone, and the front door is now the way to sign-in.
    expect(app.store.engine.db.query('SELECT count(*) AS n FROM setup_codes').get()).toEqual({ n: 0 })
    const again = await submit(app, orgFields(issued?.code as string))
    expect(again.status).toBe(409)
    const door = await app.request('/')
    expect(door.status).toBe(303)
    expect(door.headers.get('location')).toBe(`${PUBLIC_URL}/orgs/acme/admin/login`)
  })

  test('bad fields are named, and nothing is created', async () => {
    const app = createTestApp({ trustProxy: { hops: 1 } })
    const issued = (await issueSetupCode(app.store))?.code as string
    const badSlug = await submit(app, { ...orgFields(issued), slug: 'Not A Slug' }, '10.0.1.1')
    expect(badSlug.status).toBe(400)
    expect(await badSlug.text()).toContain('slug must be')
    const short = await submit(app, { ...orgFields(issued), password: 'short' }, '10.0.1.1')
    expect(short.status).toBe(400)
    expect(await app.store.orgs.all()).toHaveLength(0)
    // The code is still good after refusals that were not about it.
    expect((await submit(app, orgFields(issued), '10.0.1.1')).status).toBe(303)
  })

  test('a forged form (no CSRF cookie) is refused', async () => {
    const app = createTestApp()
    const issued = (await issueSetupCode(app.store))?.code as string
    const response = await app.request('/', {
      method: 'POST',
      body: new URLSearchParams({ _csrf: 'x', ...orgFields(issued) }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(response.status).toBe(403)
    expect(await app.store.orgs.all()).toHaveLength(0)
  })

  test('attempts are throttled per client, before the code is checked', async () => {
    const app = createTestApp({ trustProxy: { hops: 1 } })
    const issued = (await issueSetupCode(app.store))?.code as string
    let last: Response | null = null
    for (let i = 0; i < 11; i++) last = await submit(app, orgFields('AAAA-BBBB-CCCC'), '10.9.9.9')
    expect(last?.status).toBe(429)
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0)
    // Even the right code waits on that client; another client goes through.
    expect((await submit(app, orgFields(issued), '10.9.9.9')).status).toBe(429)
    expect((await submit(app, orgFields(issued), '10.8.8.8')).status).toBe(303)
  })

  test('with several orgs, GET / asks for the address and never lists orgs', async () => {
    const app = createTestApp()
    await createOrg(app.store, { slug: 'initech' })
    await createOrg(app.store, { slug: 'globex', url: 'https://sso.globex.example' })
    const door = await app.request('/')
    expect(door.status).toBe(200)
    const html = await door.text()
    expect(html).toContain('Your organization&#39;s address')
    expect(html).not.toContain('initech')
    expect(html).not.toContain('globex')
    const bySlug = await app.request('/?org=initech')
    expect(bySlug.headers.get('location')).toBe(`${PUBLIC_URL}/orgs/initech/admin/login`)
    const byUrl = await app.request(`/?org=${encodeURIComponent(`${PUBLIC_URL}/orgs/initech/account`)}`)
    expect(byUrl.headers.get('location')).toBe(`${PUBLIC_URL}/orgs/initech/admin/login`)
    const byOrigin = await app.request(`/?org=${encodeURIComponent('https://sso.globex.example')}`)
    expect(byOrigin.headers.get('location')).toBe('https://sso.globex.example/admin/login')
    expect((await app.request('/?org=nobody')).status).toBe(404)
  })

  test('normalizing what people type', () => {
    expect(normalizeSetupCode(' abcd efgh jkmn ')).toBe('ABCD-EFGH-JKMN')
    expect(normalizeSetupCode('ABCD-EFGH-JKM')).toBeNull()
    expect(normalizeSetupCode('ABCD-EFGH-JKM0')).toBeNull() // 0 is not in the alphabet
  })
})

describe('okta-bridge setup-code', () => {
  test('prints {"code","expiresAt"} before the first org, refuses after', async () => {
    const dir = `${require('node:os').tmpdir()}/okb-setup-code-${crypto.randomUUID()}`
    const out: string[] = []
    const err: string[] = []
    const io = { out: (s: string) => out.push(s), err: (s: string) => err.push(s), stdin: async () => '' }
    expect(await main(['setup-code', '--json', '--data-dir', dir], {}, io as never)).toBe(0)
    const answer = JSON.parse(out[0] as string)
    expect(answer.code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/)
    expect(Date.parse(answer.expiresAt)).toBeGreaterThan(Date.now())
    expect(await main(['org', 'create', '--slug', 'acme', '--data-dir', dir], {}, io as never)).toBe(0)
    out.length = 0
    expect(await main(['setup-code', '--json', '--data-dir', dir], {}, io as never)).toBe(1)
    expect(JSON.parse(out[0] as string).error.code).toBe('ALREADY_SET_UP')
  })
})
