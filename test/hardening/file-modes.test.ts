/**
 * The store's files on disk (issue 9): a new data folder is 0700, the database and its -wal/-shm
 * files 0600 — even under the usual umask 022, which left them 0755/0644 before. Existing store
 * files with looser modes are tightened; an existing looser folder is left alone and reported, and
 * the server logs a warning for both at start.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../src/config/index.ts'
import { startServer } from '../../src/main.ts'
import { createLogger } from '../../src/observability/log.ts'
import { createOrg } from '../../src/orgs/service.ts'
import { secureStoreFiles } from '../../src/store/database.ts'
import { openStore } from '../../src/store/index.ts'

const roots: string[] = []
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true })
})
function tempRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'okb-modes-'))
  roots.push(root)
  return root
}
const modeOf = (path: string) => statSync(path).mode & 0o777

describe('store file modes', () => {
  test('a new data folder is 0700 and the database, -wal and -shm are 0600 under umask 022', async () => {
    const previous = process.umask(0o022)
    try {
      const dir = join(tempRoot(), 'data', 'nested')
      const path = join(dir, 'okta-bridge.sqlite')
      const store = openStore(path)
      await createOrg(store, { slug: 'acme' })
      expect(modeOf(dir)).toBe(0o700)
      expect(modeOf(join(dir, '..'))).toBe(0o700)
      for (const file of [path, `${path}-wal`, `${path}-shm`])
        expect({ file, mode: modeOf(file) }).toEqual({ file, mode: 0o600 })
      await store.close()
    } finally {
      process.umask(previous)
    }
  })

  test('existing store files readable by others are tightened; a loose folder is reported, not changed', async () => {
    const dir = join(tempRoot(), 'shared')
    mkdirSync(dir, { mode: 0o755 })
    chmodSync(dir, 0o755)
    const path = join(dir, 'okta-bridge.sqlite')
    await openStore(path).close()
    for (const file of [path, `${path}-wal`]) {
      closeSync(openSync(file, 'a'))
      chmodSync(file, 0o644)
    }
    const found = secureStoreFiles(path)
    expect(found).toEqual({ tightened: [path, `${path}-wal`], looseFolder: dir })
    expect(modeOf(path)).toBe(0o600)
    expect(modeOf(`${path}-wal`)).toBe(0o600)
    expect(modeOf(dir)).toBe(0o755)
    expect(secureStoreFiles(path)).toEqual({ tightened: [], looseFolder: dir })
  })

  test('the server says so at start: one warning per finding', async () => {
    const dir = join(tempRoot(), 'served')
    mkdirSync(dir)
    chmodSync(dir, 0o750)
    const path = join(dir, 'okta-bridge.sqlite')
    await openStore(path).close()
    chmodSync(path, 0o640)
    const lines: Record<string, unknown>[] = []
    const log = createLogger('info', (line) => lines.push(JSON.parse(line)))
    const config = loadConfig(
      new Map([
        ['port', '0'],
        ['host', '127.0.0.1'],
        ['data-dir', dir],
      ]),
      {},
    )
    const server = await startServer(config, log)
    await server.stop()
    expect(modeOf(path)).toBe(0o600)
    const warnings = lines.filter((line) => line.level === 'warn')
    expect(warnings).toEqual([
      expect.objectContaining({ msg: 'store files were readable by others: now 0600', files: [path] }),
      expect.objectContaining({ msg: 'the data folder is readable by others: chmod 700 it', folder: dir }),
    ])
  })
})
