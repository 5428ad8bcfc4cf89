/**
 * Issue 9, "every credential can be revoked", from the compiled binary as a real process:
 * `api-key list|revoke` and `admin list|remove|set-password` with `--json` (one object, lists as
 * `{"items": [...]}`), `--help`, one-line errors and exit codes. They act on the store of a server
 * that is running: a key revoked by the CLI gets 401 on its next request to that server, an admin
 * removed by it is sent to sign-in on the next page.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import type { TestApp } from '../support/app.ts'
import {
  buildBinary,
  type CommandResult,
  type RunningBinary,
  runBinary,
  startBinary,
  tempDataDir,
} from '../support/binary.ts'
import { ConsoleClient } from '../web/console-client.ts'

// Each test hashes and checks a few argon2id passwords (or spawns the binary): room on a busy machine.
const SLOW = 30_000

// biome-ignore lint/suspicious/noExplicitAny: bodies are checked field by field against the contract
type Body = any

const dataDir = tempDataDir()
let server: RunningBinary | null = null

beforeAll(async () => {
  buildBinary()
  server = await startBinary(['--data-dir', dataDir])
})
afterAll(async () => {
  if (server) await server.stop('SIGKILL')
  rmSync(dataDir, { recursive: true, force: true })
})

const cli = (...args: string[]) => runBinary([...args, '--data-dir', dataDir])
const cliWithStdin = (stdin: string, ...args: string[]) =>
  runBinary([...args, '--data-dir', dataDir], {}, stdin)
const json = (result: CommandResult): Body => {
  const lines = result.stdout.trim().split('\n')
  expect(lines, result.stderr).toHaveLength(1)
  return JSON.parse(lines[0] as string)
}

/** A browser against the running binary: the console client, with fetch not following redirects. */
function browser(): ConsoleClient {
  const origin = server?.url as string
  const app = { fetch: (request: Request) => fetch(request, { redirect: 'manual' }) } as unknown as TestApp
  return new ConsoleClient(app, origin)
}

const apiStatus = async (key: string) =>
  (await fetch(`${server?.url}/api/v1/orgs/acme/users`, { headers: { authorization: `Bearer ${key}` } }))
    .status

describe('okta-bridge api-key list|revoke', () => {
  test(
    'lists keys without secrets; a revoked key gets 401 from the running server at once',
    async () => {
      expect(cli('org', 'create', '--slug', 'acme', '--json').code).toBe(0)
      const ci = json(cli('api-key', 'create', '--org', 'acme', '--name', 'ci', '--json'))
      const deploy = json(cli('api-key', 'create', '--org', 'acme', '--name', 'deploy', '--json'))
      expect(await apiStatus(ci.key)).toBe(200)

      const list = cli('api-key', 'list', '--org', 'acme', '--json')
      expect(list.code).toBe(0)
      const { items } = json(list)
      expect(items.map((k: Body) => k.name)).toEqual(['ci', 'deploy'])
      expect(Object.keys(items[0]).sort()).toEqual(['createdAt', 'id', 'lastUsedAt', 'name'])
      expect(Object.keys(items[1]).sort()).toEqual(['createdAt', 'id', 'name'])
      expect(list.stdout).not.toContain(ci.key)
      const human = cli('api-key', 'list', '--org', 'acme')
      expect(human.stdout).toMatch(/^ID +NAME +CREATED +LAST USED\n/)
      expect(human.stdout).toContain(`${deploy.id}  deploy`)
      expect(human.stdout).toContain('never')

      const revoked = cli('api-key', 'revoke', '--org', 'acme', '--id', ci.id, '--json')
      expect(revoked.code, revoked.stderr).toBe(0)
      expect(json(revoked)).toEqual({ id: ci.id, name: 'ci', revoked: true })
      expect(await apiStatus(ci.key)).toBe(401)
      expect(await apiStatus(deploy.key)).toBe(200)
      expect(json(cli('api-key', 'list', '--org', 'acme', '--json')).items.map((k: Body) => k.id)).toEqual([
        deploy.id,
      ])

      const again = cli('api-key', 'revoke', '--org', 'acme', '--id', ci.id)
      expect(again.code).toBe(1)
      expect(again.stderr.trim().split('\n')).toEqual([`error: API key "${ci.id}" not found`])
      const missing = cli('api-key', 'revoke', '--org', 'acme', '--json')
      expect(missing.code).toBe(2)
      expect(json(missing).error.code).toBe('USAGE')
      expect(missing.stderr).toContain('--id is required')
    },
    SLOW,
  )
})

describe('okta-bridge admin list|remove|set-password', () => {
  test(
    'list; remove ends the admin’s console session on the running server; the last one needs --force',
    async () => {
      const first = json(cli('admin', 'create', '--org', 'acme', '--email', 'first@acme.example', '--json'))
      const second = json(cli('admin', 'create', '--org', 'acme', '--email', 'second@acme.example', '--json'))
      const list = json(cli('admin', 'list', '--org', 'acme', '--json'))
      expect(list.items.map((a: Body) => a.email)).toEqual(['first@acme.example', 'second@acme.example'])
      expect(Object.keys(list.items[0]).sort()).toEqual([
        'accountId',
        'breakGlass',
        'createdAt',
        'email',
        'id',
        'source',
      ])
      expect(cli('admin', 'list', '--org', 'acme').stdout).toMatch(
        /^ID +EMAIL +CREATED +SOURCE +BREAK-GLASS\n/,
      )

      const tab = browser()
      expect((await tab.signIn('/orgs/acme', second.email, second.password)).status).toBe(303)
      expect((await tab.get('/orgs/acme/admin/users')).status).toBe(200)
      const removed = cli('admin', 'remove', '--org', 'acme', '--email', 'SECOND@acme.example', '--json')
      expect(removed.code, removed.stderr).toBe(0)
      expect(json(removed)).toEqual({ id: second.id, email: second.email, endedSessions: 1 })
      const next = await tab.get('/orgs/acme/admin/users')
      expect(next.status).toBe(303)
      expect(next.headers.get('location')).toStartWith('/orgs/acme/admin/login')

      const last = cli('admin', 'remove', '--org', 'acme', '--email', first.email)
      expect(last.code).toBe(1)
      expect(last.stderr.trim().split('\n')).toHaveLength(1)
      expect(last.stderr).toContain('is the only admin of acme')
      expect(json(cli('admin', 'list', '--org', 'acme', '--json')).items).toHaveLength(1)
      const forced = cli('admin', 'remove', '--org', 'acme', '--email', first.email, '--force', '--json')
      expect(forced.code, forced.stderr).toBe(0)
      expect(json(cli('admin', 'list', '--org', 'acme', '--json'))).toEqual({ items: [] })
      expect(cli('admin', 'list', '--org', 'acme').stdout.trim()).toBe('No admins.')

      const unknown = cli('admin', 'remove', '--org', 'acme', '--email', 'nobody@acme.example')
      expect(unknown.code).toBe(1)
      expect(unknown.stderr).toContain('admin nobody@acme.example in acme not found')
    },
    SLOW,
  )

  test(
    'set-password generates one (or reads stdin) and ends the admin’s sessions',
    async () => {
      const admin = json(cli('admin', 'create', '--org', 'acme', '--email', 'ops@acme.example', '--json'))
      const laptop = browser()
      expect((await laptop.signIn('/orgs/acme', admin.email, admin.password)).status).toBe(303)

      const generated = cli('admin', 'set-password', '--org', 'acme', '--email', admin.email, '--json')
      expect(generated.code, generated.stderr).toBe(0)
      const changed = json(generated)
      expect(Object.keys(changed).sort()).toEqual(['email', 'endedSessions', 'id', 'password'])
      expect(changed.password.length).toBeGreaterThanOrEqual(16)
      expect(changed.endedSessions).toBe(1)
      expect((await laptop.get('/orgs/acme/admin/users')).status).toBe(303)
      expect((await browser().signIn('/orgs/acme', admin.email, admin.password)).status).toBe(401)
      expect((await browser().signIn('/orgs/acme', admin.email, changed.password)).status).toBe(303)

      const piped = cliWithStdin(
        'my chosen long password\n',
        'admin',
        'set-password',
        '--org',
        'acme',
        '--email',
        admin.email,
        '--password-stdin',
      )
      expect(piped.code, piped.stderr).toBe(0)
      expect(piped.stdout).toContain(`Changed the password of ${admin.email}`)
      expect(piped.stdout).toContain('ended 1 session')
      expect((await browser().signIn('/orgs/acme', admin.email, 'my chosen long password')).status).toBe(303)

      const short = cliWithStdin(
        'short\n',
        'admin',
        'set-password',
        '--org',
        'acme',
        '--email',
        admin.email,
        '--password-stdin',
        '--json',
      )
      expect(short.code).toBe(2)
      expect(json(short).error).toMatchObject({ code: 'INVALID_INPUT', field: 'password' })
      expect(short.stderr.trim()).toBe('error: password must be at least 12 characters')
    },
    SLOW,
  )

  test(
    'every command has --help, and the group help lists them',
    () => {
      for (const [group, command, mentions] of [
        ['api-key', 'list', '{"items"'],
        ['api-key', 'revoke', '401'],
        ['admin', 'list', '{"items"'],
        ['admin', 'remove', '--force'],
        ['admin', 'set-password', '--password-stdin'],
      ] as const) {
        const help = runBinary([group, command, '--help'])
        expect(help.code).toBe(0)
        expect(help.stdout).toContain(`okta-bridge ${group} ${command} --org SLUG`)
        expect(help.stdout).toContain(mentions)
      }
      expect(runBinary(['api-key', '--help']).stdout).toContain('okta-bridge api-key revoke')
      expect(runBinary(['--help']).stdout).toContain('okta-bridge admin set-password')
      const typo = cli('api-key', 'revoke', '--org', 'acme', '--key', 'x')
      expect(typo.code).toBe(2)
      expect(typo.stderr).toContain('unknown flag --key')
    },
    SLOW,
  )

  test(
    'each action is in the audit log with the actor cli',
    async () => {
      const key = json(cli('api-key', 'create', '--org', 'acme', '--name', 'audit', '--json'))
      const audit = await (
        await fetch(`${server?.url}/api/v1/orgs/acme/audit?kind=admin&limit=100`, {
          headers: { authorization: `Bearer ${key.key}` },
        })
      ).json()
      const cliActions = new Set(
        (audit as Body).items.filter((e: Body) => e.actor === 'cli').map((e: Body) => e.action),
      )
      for (const action of [
        'api_key.created',
        'api_key.revoked',
        'admin.created',
        'admin.removed',
        'admin.password_changed',
      ])
        expect(cliActions.has(action), action).toBe(true)
    },
    SLOW,
  )
})
