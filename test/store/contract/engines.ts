/**
 * The contract suite's engines: every file under test/store/contract/ describes each behaviour once
 * inside `eachEngine(…)`, and it runs on the embedded SQLite store and on PostgreSQL (a throwaway
 * cluster, test/support/postgres.ts), so both engines must give the same answers.
 *
 * `open()` gives a fresh, migrated, empty store: a new SQLite file in a temp folder, or a new
 * PostgreSQL database. `openTwin(store)` opens a second store on the SAME database (another pool on
 * PostgreSQL, another connection on SQLite) — what a second instance would have — for races.
 * Close what you open (`store.close()`), in afterAll.
 */
import { afterAll, beforeAll, describe } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Store } from '../../../src/store/index.ts'
import { openStore } from '../../../src/store/index.ts'
import { openPostgresStore } from '../../../src/store/postgres/index.ts'
import { createDatabase } from '../../support/postgres.ts'

export interface Engine {
  name: 'sqlite' | 'postgres'
  open(): Promise<Store>
  openTwin(store: Store): Promise<Store>
}

const folders: string[] = []
process.on('exit', () => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true })
})

export const sqliteEngine: Engine = {
  name: 'sqlite',
  async open() {
    const folder = mkdtempSync(join(tmpdir(), 'okb-contract-'))
    folders.push(folder)
    return openStore(join(folder, 'store.db'))
  },
  async openTwin(store) {
    if (store.engine.kind !== 'sqlite') throw new Error('not a SQLite store')
    return openStore(store.engine.path)
  },
}

export const postgresEngine: Engine = {
  name: 'postgres',
  async open() {
    return openPostgresStore(await createDatabase(), { poolSize: 6 })
  },
  async openTwin(store) {
    if (store.engine.kind !== 'postgres') throw new Error('not a PostgreSQL store')
    return openPostgresStore(store.engine.url, { poolSize: 6 })
  },
}

/** Describes the same behaviours once per engine (`describe('sqlite' | 'postgres', …)`). */
export function eachEngine(define: (engine: Engine) => void): void {
  for (const engine of [sqliteEngine, postgresEngine]) describe(engine.name, () => define(engine))
}

/**
 * Opens a fresh store of the engine and its twin (a second instance on the same database) before
 * the file's tests — `ready` gets both and seeds what the tests share — and closes both after them.
 */
export function openStores(engine: Engine, ready: (store: Store, twin: Store) => void | Promise<void>): void {
  let opened: [Store, Store] | null = null
  beforeAll(async () => {
    const store = await engine.open()
    const twin = await engine.openTwin(store)
    opened = [store, twin]
    await ready(store, twin)
  }, 30_000)
  afterAll(async () => {
    if (!opened) return
    await opened[1].close()
    await opened[0].close()
  })
}
