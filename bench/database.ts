/**
 * Bench helper: where a benchmark's store lives. Without `--database-url` a bench keeps its SQLite
 * default. `--database-url throwaway` starts a throwaway PostgreSQL cluster with the tests' helper
 * (test/support/postgres.ts: initdb in a temp folder, a free port, fsync off, stopped when the bench
 * ends); `--database-url postgres://user@host/db` uses a server of your own, connecting to that
 * database only to create and drop the bench's. Either way each `benchDatabase` call creates a
 * fresh database (`okb_bench_<random>`), so every scenario starts empty, and `drop()` removes it.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { SQL } from 'bun'
import { testCluster } from '../test/support/postgres.ts'

export interface BenchDatabase {
  url: string
  drop(): Promise<void>
}

/** The maintenance URL for the flag's value, or null for SQLite (no flag). */
export async function benchServer(flag: string | undefined): Promise<string | null> {
  if (flag === undefined || flag === '' || flag === 'sqlite') return null
  if (flag === 'throwaway') return (await testCluster()).url
  if (!/^postgres(ql)?:\/\//i.test(flag)) {
    throw new Error('--database-url takes postgres://… or the word throwaway (a temporary cluster)')
  }
  return flag
}

/** The throwaway cluster's postmaster pid (its CPU can be measured), or null for any other server. */
export async function benchPostmaster(flag: string | undefined): Promise<number | null> {
  if (flag !== 'throwaway') return null
  const { dir } = await testCluster()
  return Number(readFileSync(join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0])
}

/** A fresh database on the server of `maintenanceUrl`. */
export async function benchDatabase(maintenanceUrl: string): Promise<BenchDatabase> {
  const name = `okb_bench_${crypto.randomUUID().replaceAll('-', '').slice(0, 16)}`
  const admin = () => new SQL(maintenanceUrl, { max: 1 })
  const create = admin()
  try {
    await create.unsafe(`CREATE DATABASE ${name}`)
  } finally {
    await create.close()
  }
  const url = new URL(maintenanceUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop() {
      const client = admin()
      try {
        await client.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } finally {
        await client.close()
      }
    },
  }
}
