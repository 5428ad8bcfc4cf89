import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CliIo } from '../../src/cli/output.ts'
import { main } from '../../src/main.ts'

const dir = mkdtempSync(join(tmpdir(), 'okb-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function run(args: string[], stdin = '') {
  const out: string[] = []
  const err: string[] = []
  const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), readStdin: async () => stdin }
  const code = await main([...args, '--data-dir', dir], {}, io)
  return { code, out: out.join('\n'), err: err.join('\n') }
}

describe('CLI', () => {
  test('org create prints one JSON object with --json', async () => {
    const res = await run(['org', 'create', '--slug', 'acme', '--name', 'Acme Inc', '--json'])
    expect(res.code).toBe(0)
    const org = JSON.parse(res.out)
    expect(Object.keys(org).sort()).toEqual(['id', 'name', 'slug', 'url'])
    expect(org).toMatchObject({ slug: 'acme', name: 'Acme Inc', url: null })
  })

  test('org create with its own origin', async () => {
    const res = await run([
      'org',
      'create',
      '--slug',
      'globex',
      '--url',
      'https://Globex.Example.com/',
      '--json',
    ])
    expect(res.code).toBe(0)
    expect(JSON.parse(res.out).url).toBe('https://globex.example.com')
  })

  test('duplicate slug, bad slug, malformed URL: non-zero exit and a clear message', async () => {
    const dup = await run(['org', 'create', '--slug', 'acme'])
    expect(dup.code).toBe(1)
    expect(dup.err).toContain('already exists')
    const bad = await run(['org', 'create', '--slug', 'Not OK'])
    expect(bad.code).toBe(2)
    expect(bad.err).toContain('slug must be')
    const url = await run(['org', 'create', '--slug', 'initech', '--url', 'https://x.example/path'])
    expect(url.code).toBe(2)
    expect(url.err).toContain('origin only')
    const missing = await run(['org', 'create'])
    expect(missing.code).toBe(2)
    expect(missing.err).toContain('--slug is required')
  })

  test('admin create generates a password, or takes one from stdin', async () => {
    const generated = await run([
      'admin',
      'create',
      '--org',
      'acme',
      '--email',
      'admin@acme.example',
      '--json',
    ])
    expect(generated.code).toBe(0)
    const admin = JSON.parse(generated.out)
    expect(Object.keys(admin).sort()).toEqual(['email', 'id', 'password'])
    expect(admin.password.length).toBeGreaterThanOrEqual(16)

    const given = await run(
      ['admin', 'create', '--org', 'acme', '--email', 'ops@acme.example', '--password-stdin', '--json'],
      'correct horse battery staple\n',
    )
    expect(JSON.parse(given.out).password).toBe('correct horse battery staple')
  })

  test('admin create refuses unknown orgs and malformed emails', async () => {
    const unknown = await run(['admin', 'create', '--org', 'nope', '--email', 'a@b.example'])
    expect(unknown.code).toBe(1)
    expect(unknown.err).toContain('organization "nope" not found')
    const email = await run(['admin', 'create', '--org', 'acme', '--email', 'not-an-email'])
    expect(email.code).toBe(2)
    expect(email.err).toContain('not a valid email')
  })

  test('api-key create shows the key once', async () => {
    const res = await run(['api-key', 'create', '--org', 'acme', '--name', 'ci', '--json'])
    expect(res.code).toBe(0)
    const key = JSON.parse(res.out)
    expect(Object.keys(key).sort()).toEqual(['id', 'key'])
    expect(key.key).toMatch(/^okb_key_/)
  })

  test('--version, --help and per-command help', async () => {
    expect((await run(['--version'])).out).toMatch(/^okta-bridge \d+\.\d+\.\d+/)
    expect((await run(['--help'])).out).toContain('org create --slug')
    expect((await run(['org', 'create', '--help'])).out).toContain('--url')
    const unknown = await run(['frobnicate'])
    expect(unknown.code).toBe(2)
  })

  test('an invalid setting is one line and exit code 2', async () => {
    const out: string[] = []
    const err: string[] = []
    const code = await main(
      ['serve'],
      { PORT: 'eighty' },
      { out: (t) => out.push(t), err: (t) => err.push(t), readStdin: async () => '' },
    )
    expect(code).toBe(2)
    expect(err).toEqual(['okta-bridge: invalid setting PORT: "eighty" is not a whole number'])
  })
})
