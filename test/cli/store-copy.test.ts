/**
 * `okta-bridge store copy` and `okta-bridge backup` as an operator runs them: the compiled binary,
 * its exit codes, one JSON object on stdout with --json, no password ever printed; and a backup
 * taken from a server while SCIM writes land, which is one consistent state and restores into
 * PostgreSQL. Progress on a terminal is checked in-process (a pipe is not a terminal).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { runCopyCommand } from '../../src/cli/store-commands.ts'
import { loadConfig } from '../../src/config/index.ts'
import { openStore } from '../../src/store/index.ts'
import { buildBinary, type RunningBinary, runBinary, startBinary, tempDataDir } from '../support/binary.ts'
import { selfSigned } from '../support/certs.ts'
import { createDatabase } from '../support/postgres.ts'

const dataDir = tempDataDir()
const storeFile = join(dataDir, 'okta-bridge.sqlite')
const cli = (...args: string[]) => runBinary([...args, '--data-dir', dataDir])
/** The test cluster trusts every connection, so this password is never checked — only hidden. */
const PASSWORD = 'hunter2-not-for-printing'
const withPassword = (url: string) => url.replace('postgres://postgres@', `postgres://postgres:${PASSWORD}@`)

let server: RunningBinary | null = null
afterAll(async () => {
  await server?.stop('SIGKILL')
})

beforeAll(() => {
  buildBinary()
  expect(cli('org', 'create', '--slug', 'acme').code).toBe(0)
  expect(cli('api-key', 'create', '--org', 'acme').code).toBe(0)
  expect(cli('admin', 'create', '--org', 'acme', '--email', 'admin@acme.example').code).toBe(0)
})

describe('store copy', () => {
  let target = ''

  test('--json prints one object {from, to, tables, seconds}, without the password', async () => {
    target = withPassword(await createDatabase())
    const result = runBinary(['store', 'copy', '--from', storeFile, '--to', target, '--json'])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout.trim().split('\n')).toHaveLength(1)
    const answer = JSON.parse(result.stdout)
    expect(Object.keys(answer).sort()).toEqual(['from', 'seconds', 'tables', 'to'])
    expect(answer.from).toBe(storeFile)
    expect(answer.to).toContain(':***@127.0.0.1:')
    expect(result.stdout).not.toContain(PASSWORD)
    expect(answer.tables).toMatchObject({ orgs: 1, admins: 1, api_keys: 1 })
    expect(answer.tables.audit_log).toBeGreaterThan(0)
    expect(typeof answer.seconds).toBe('number')
  })

  test('a target with rows: exit 1 and why; --force replaces them', () => {
    const refused = runBinary(['store', 'copy', '--from', storeFile, '--to', target, '--json'])
    expect(refused.code).toBe(1)
    const error = JSON.parse(refused.stdout).error
    expect(error.code).toBe('TARGET_NOT_EMPTY')
    expect(error.message).toContain('orgs (1)')
    expect(refused.stderr).toContain('pass --force')
    expect(refused.stderr + refused.stdout).not.toContain(PASSWORD)

    const forced = runBinary(['store', 'copy', '--from', storeFile, '--to', target, '--force'])
    expect(forced.code).toBe(0)
    expect(forced.stdout).toContain('Copied')
    expect(forced.stdout).toMatch(/orgs\s+1\n/)
    expect(forced.stdout).toContain('row counts verified per table')
    expect(forced.stdout).not.toContain(PASSWORD)
  })

  test('bad usage exits 2; a store it cannot reach exits 1 without the password', () => {
    const missing = runBinary(['store', 'copy', '--from', storeFile])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('--to is required')
    const scheme = runBinary(['store', 'copy', '--from', 'mysql://db/x', '--to', target, '--json'])
    expect(scheme.code).toBe(2)
    expect(JSON.parse(scheme.stdout).error.code).toBe('USAGE')
    const nowhere = runBinary(['store', 'copy', '--from', join(dataDir, 'none.sqlite'), '--to', target])
    expect(nowhere.code).toBe(1)
    expect(nowhere.stderr).toContain('there is no SQLite store at')
    const unreachable = runBinary([
      'store',
      'copy',
      '--from',
      storeFile,
      '--to',
      `postgres://postgres:${PASSWORD}@127.0.0.1:1/none`,
    ])
    expect(unreachable.code).toBe(1)
    expect(unreachable.stderr).not.toContain(PASSWORD)
    const help = runBinary(['store', 'copy', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('--force')
  })

  test('on a terminal, progress is one rewritten line on stderr', async () => {
    const written: string[] = []
    const out: string[] = []
    const io = { out: (t: string) => out.push(t), err: () => {}, readStdin: async () => '' }
    const flags = new Map([
      ['from', storeFile],
      ['to', join(tempDataDir(), 'copy.sqlite')],
    ])
    const config = loadConfig(new Map(), { DATABASE_URL: storeFile })
    const code = await runCopyCommand('store copy', flags, config, io, { write: (t) => written.push(t) })
    expect(code).toBe(0)
    expect(written.some((line) => line.startsWith('\r\x1b[2Kcopying '))).toBe(true)
    expect(written.every((line) => !line.includes('\n'))).toBe(true)
    expect(written.at(-1)).toBe('\r\x1b[2K')
    expect(out.join('\n')).toContain('Copied')
  })
})

describe('backup', () => {
  test('of the running server while SCIM writes land: one consistent state, which restores', async () => {
    server = await startBinary(['--data-dir', dataDir])
    const apiKey = JSON.parse(cli('api-key', 'create', '--org', 'acme', '--json').stdout).key
    const put = await fetch(`${server.url}/api/v1/orgs/acme/okta`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        ssoUrl: 'https://acme.okta.com/app/acme/exk1/sso/saml',
        issuer: 'http://www.okta.com/exk1',
        certificate: selfSigned().certificate,
      }),
    })
    const { scimToken } = await put.json()
    let acknowledged = 0
    let stop = false
    const push = async () => {
      // One request at a time, so at most one write is in flight when the backup ends.
      for (let i = 0; !stop; i++) {
        const response = await fetch(`${server?.url}/orgs/acme/okta/scim/Users`, {
          method: 'POST',
          headers: { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' },
          body: JSON.stringify({
            schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
            userName: `push${i}@acme.example`,
            name: { givenName: 'Push', familyName: `${i}` },
            emails: [{ value: `push${i}@acme.example`, primary: true, type: 'work' }],
            active: true,
          }),
        })
        expect(response.status).toBe(201)
        acknowledged++
      }
    }
    const pushing = push()
    while (acknowledged < 20) await Bun.sleep(5)
    const before = acknowledged
    const out = join(tempDataDir(), 'backup.sqlite')
    const backup = Bun.spawn([buildBinary(), 'backup', '--out', out, '--data-dir', dataDir, '--json'], {
      env: { PATH: process.env.PATH ?? '' },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const code = await backup.exited
    const after = acknowledged
    stop = true
    await pushing
    expect(await new Response(backup.stderr).text()).toBe('')
    expect(code).toBe(0)
    const answer = JSON.parse(await new Response(backup.stdout).text())
    expect(answer.to).toBe(out)
    expect(statSync(out).mode & 0o777).toBe(0o600)

    const copy = openStore(out)
    const db = copy.engine.db
    const users = db.query<{ id: string }, []>('SELECT id FROM scim_users').all()
    expect(users.length).toBe(answer.tables.scim_users)
    expect(users.length).toBeGreaterThanOrEqual(before)
    expect(users.length).toBeLessThanOrEqual(after + 1)
    // Each user came with its change in one transaction; each account the scheduler derived from
    // an applied change (its own transaction) is there with it, and none from a change not applied.
    const upserts = db
      .query<{ resource_id: string }, []>("SELECT resource_id FROM directory_changes WHERE kind = 'user'")
      .all()
    expect(new Set(upserts.map((row) => row.resource_id))).toEqual(new Set(users.map((row) => row.id)))
    const applied = db
      .query<{ n: number }, []>(
        `SELECT count(*) AS n FROM directory_changes d JOIN sync_state s ON s.org_id = d.org_id
          WHERE d.kind = 'user' AND d.seq <= s.applied_seq`,
      )
      .get()?.n
    const accounts = db
      .query<{ n: number }, []>('SELECT count(*) AS n FROM accounts WHERE scim_user_id IS NOT NULL')
      .get()?.n
    expect(accounts).toBe(applied ?? 0)
    await copy.close()

    const refused = runBinary(['backup', '--out', out, '--data-dir', dataDir, '--json'])
    expect(refused.code).toBe(1)
    expect(JSON.parse(refused.stdout).error.code).toBe('TARGET_EXISTS')

    const restored = withPassword(await createDatabase())
    const restore = runBinary(['store', 'copy', '--from', out, '--to', restored, '--json'])
    expect(restore.code).toBe(0)
    const { tables } = JSON.parse(restore.stdout)
    const { feed_counters: counters, ...copied } = tables
    expect(copied).toEqual(answer.tables)
    // One counter per feed that has rows: the change feed, and the event feed once the scheduler
    // has applied a change (on a loaded machine the backup may come before the first event).
    expect(counters).toBe((copied.directory_changes > 0 ? 1 : 0) + (copied.events > 0 ? 1 : 0))
  })

  test('of a PostgreSQL store (DATABASE_URL), and --force replaces an older file', async () => {
    const url = withPassword(await createDatabase())
    expect(runBinary(['store', 'copy', '--from', storeFile, '--to', url, '--force']).code).toBe(0)
    const out = join(tempDataDir(), 'pg.sqlite')
    const first = runBinary(['backup', '--out', out, '--json'], { DATABASE_URL: url })
    expect(first.code).toBe(0)
    expect(JSON.parse(first.stdout).from).not.toContain(PASSWORD)
    const again = runBinary(['backup', '--out', out, '--force', '--json'], { DATABASE_URL: url })
    expect(again.code).toBe(0)
    expect(JSON.parse(again.stdout).tables).toEqual(JSON.parse(first.stdout).tables)
  })
})
