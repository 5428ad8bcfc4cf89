/**
 * Facts about Bun.sql and PostgreSQL that the store contract (issue 10) relies on, proved on a real
 * throwaway cluster (test/support/postgres.ts): migrations under an advisory lock, transactions,
 * the error shapes the store maps (unique violation, serialization failure, deadlock, aborted
 * transaction), how BIGINT comes back, how arrays bind, bulk inserts, DDL through `sql.unsafe`.
 * docs/store.md ("Engines") summarises them; the feed ordering and leases are in
 * postgres-feed.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { SQL } from 'bun'
import { migratePostgres, StoreNewerThanBinary } from '../../src/store/postgres/migrate.ts'
import { postgresMigrations } from '../../src/store/postgres/migrations/index.ts'
import { decodeRows } from '../../src/store/postgres/rows.ts'
import { createDatabase, gate, lockWaiters } from '../support/postgres.ts'

const VERSIONS = postgresMigrations.map((migration) => migration.version)

let url: string
let sql: SQL
let other: SQL

beforeAll(async () => {
  url = await createDatabase()
  sql = new SQL(url, { max: 4 })
  other = new SQL(url, { max: 4 })
  await migratePostgres(sql)
  await sql`INSERT INTO orgs (id, slug, name, created_at) VALUES ('org-a', 'acme', 'Acme', ${Date.now()})`
}, 30_000)

afterAll(async () => {
  await sql.close()
  await other.close()
})

async function rejection(work: Promise<unknown>): Promise<SQL.PostgresError> {
  try {
    await work
  } catch (error) {
    if (error instanceof SQL.PostgresError) return error
    throw error
  }
  throw new Error('expected a PostgresError, the work succeeded')
}

describe('migrations', () => {
  test('two instances migrating one database at once apply each migration once', async () => {
    const fresh = await createDatabase()
    const first = new SQL(fresh, { max: 2 })
    const second = new SQL(fresh, { max: 2 })
    try {
      const [a, b] = await Promise.all([migratePostgres(first), migratePostgres(second)])
      // One did all the work while the other waited on the lock, then found nothing to do.
      expect([a, b].map((ran) => ran.length).sort((x, y) => x - y)).toEqual([0, VERSIONS.length])
      const recorded = decodeRows(
        await first<{ version: number }[]>`SELECT version FROM schema_migrations ORDER BY version`,
      )
      expect(recorded.map((row) => row.version)).toEqual(VERSIONS)
      expect(await migratePostgres(second)).toEqual([])
    } finally {
      await first.close()
      await second.close()
    }
  })

  test('a store migrated by a newer binary is refused with a clear message, and the lock released', async () => {
    const fresh = await createDatabase()
    const client = new SQL(fresh, { max: 2 })
    try {
      await migratePostgres(client)
      await client`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'from_the_future', 0)`
      const refused = await migratePostgres(client).catch((error: unknown) => error)
      expect(refused).toBeInstanceOf(StoreNewerThanBinary)
      expect((refused as Error).message).toContain('migration 9999')
      expect((refused as Error).message).toContain(`knows up to ${Math.max(...VERSIONS)}`)
      const [locks] = await client<{ n: number }[]>`
        SELECT count(*)::int AS n FROM pg_locks
        WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`
      expect(locks?.n).toBe(0)
    } finally {
      await client.close()
    }
  })
})

describe('transactions', () => {
  test('sql.begin commits what the callback did, and rolls it all back when it throws', async () => {
    await sql.begin(async (tx) => {
      await tx`INSERT INTO leases (name, holder, expires_at) VALUES ('tx:kept', 'a', 1)`
    })
    const failed = sql.begin(async (tx) => {
      await tx`INSERT INTO leases (name, holder, expires_at) VALUES ('tx:gone', 'a', 1)`
      throw new Error('changed my mind')
    })
    await expect(failed).rejects.toThrow('changed my mind')
    const rows = await other<{ name: string }[]>`SELECT name FROM leases WHERE name LIKE 'tx:%'`
    expect(rows.map((row) => row.name)).toEqual(['tx:kept'])
  })

  test('after an error a transaction is aborted (25P02) unless the statement ran in a savepoint', async () => {
    // SQLite lets a transaction go on after a failed statement; PostgreSQL does not.
    const insert = (client: SQL, name: string) =>
      client`INSERT INTO leases (name, holder, expires_at) VALUES (${name}, 'a', 1)`
    let next: SQL.PostgresError | null = null
    const committed = sql.begin(async (tx) => {
      await insert(tx, 'abort:1')
      await rejection(insert(tx, 'abort:1'))
      next = await rejection(tx`SELECT 1`)
    })
    // The callback caught everything, so Bun sent COMMIT, which the server answered with ROLLBACK.
    const lost = await rejection(committed)
    expect(next!.errno).toBe('25P02')
    expect(lost.code).toBe('ERR_POSTGRES_COMMIT_ROLLED_BACK')

    await sql.begin(async (tx) => {
      await insert(tx, 'savepoint:1')
      await rejection(tx.savepoint((sp) => insert(sp, 'savepoint:1')))
      await insert(tx, 'savepoint:2')
    })
    const rows = await other<{ name: string }[]>`
      SELECT name FROM leases WHERE name LIKE 'abort:%' OR name LIKE 'savepoint:%' ORDER BY name`
    expect(rows.map((row) => row.name)).toEqual(['savepoint:1', 'savepoint:2'])
  })
})

describe('errors the store maps', () => {
  test('a unique violation: errno 23505 with the constraint and table names', async () => {
    const error = await rejection(
      sql`INSERT INTO orgs (id, slug, name, created_at) VALUES ('org-b', 'acme', 'Acme again', 0)`,
    )
    expect(error.code).toBe('ERR_POSTGRES_SERVER_ERROR')
    expect(error.errno).toBe('23505')
    expect(error.constraint).toBe('orgs_slug_key')
    expect(error.table).toBe('orgs')
    expect(error.detail).toBe('Key (slug)=(acme) already exists.')
  })

  test('two instances creating the same user: the second waits for the first, then gets 23505', async () => {
    const insertUser = (client: SQL, id: string) =>
      client`INSERT INTO scim_users (id, org_id, user_name, user_name_lower, resource, created_at, updated_at)
             VALUES (${id}, 'org-a', 'Ada@example.com', 'ada@example.com', '{}', 0, 0)`
    const inserted = gate()
    const hold = gate()
    const first = sql.begin(async (tx) => {
      await insertUser(tx, 'u-first')
      inserted.open()
      await hold.opened
    })
    await inserted.opened
    // Observed at once: its failure must not be an unhandled rejection while we wait for `first`.
    const second = rejection(other.begin((tx) => insertUser(tx, 'u-second')))
    await lockWaiters(sql, 1)
    hold.open()
    await first
    const error = await second
    expect(error.errno).toBe('23505')
    expect(error.constraint).toBe('scim_users_org_id_user_name_lower_key')
    const rows = await sql<
      { id: string }[]
    >`SELECT id FROM scim_users WHERE user_name_lower = 'ada@example.com'`
    expect(rows.map((row) => row.id)).toEqual(['u-first'])
  })

  test('a serialization failure under REPEATABLE READ: errno 40001', async () => {
    await sql`INSERT INTO sync_state (org_id, updated_at) VALUES ('org-a', 0)`
    const read = gate()
    const written = gate()
    const reader = sql.begin('isolation level repeatable read', async (tx) => {
      await tx`SELECT applied_seq FROM sync_state WHERE org_id = 'org-a'`
      read.open()
      await written.opened
      await tx`UPDATE sync_state SET applied_seq = 1 WHERE org_id = 'org-a'`
    })
    await read.opened
    await other`UPDATE sync_state SET applied_seq = 2 WHERE org_id = 'org-a'`
    written.open()
    const error = await rejection(reader)
    expect(error.errno).toBe('40001')
  })

  test('a deadlock: one of the two transactions fails with errno 40P01, the other commits', async () => {
    await sql`INSERT INTO leases (name, holder, expires_at) VALUES ('dl:a', 'x', 0), ('dl:b', 'x', 0)`
    const locked = [gate(), gate()]
    const crossing = (client: SQL, mine: string, theirs: string, index: number) =>
      client.begin(async (tx) => {
        await tx`SET LOCAL deadlock_timeout = '20ms'`
        await tx`UPDATE leases SET holder = ${mine} WHERE name = ${mine}`
        locked[index]!.open()
        await locked[1 - index]!.opened
        await tx`UPDATE leases SET holder = ${mine} WHERE name = ${theirs}`
      })
    const outcomes = await Promise.allSettled([
      crossing(sql, 'dl:a', 'dl:b', 0),
      crossing(other, 'dl:b', 'dl:a', 1),
    ])
    const failures = outcomes.filter((outcome) => outcome.status === 'rejected')
    expect(failures).toHaveLength(1)
    const reason = (failures[0] as PromiseRejectedResult).reason as SQL.PostgresError
    expect(reason.errno).toBe('40P01')
  })
})

describe('values', () => {
  test('BIGINT comes back as a string (or BigInt with `bigint: true`); decodeRows makes it a number', async () => {
    const result = await sql<Record<string, unknown>[]>`
      SELECT 7::bigint AS wide, ${2 ** 40} AS bound, 5::integer AS narrow, 1::smallint AS flag,
             count(*) AS n, NULL::bigint AS missing
      FROM orgs`
    expect(result[0]).toEqual({
      wide: '7',
      bound: '1099511627776',
      narrow: 5,
      flag: 1,
      n: '1',
      missing: null,
    })
    expect(result.columns?.find((column) => column.name === 'n')?.type).toBe(20)
    expect(decodeRows(result)[0]).toEqual({
      wide: 7,
      bound: 2 ** 40,
      narrow: 5,
      flag: 1,
      n: 1,
      missing: null,
    })

    const huge = await sql<Record<string, unknown>[]>`SELECT 9007199254740993::bigint AS x`
    expect(() => decodeRows(huge)).toThrow(RangeError)

    const bigints = new SQL(url, { max: 1, bigint: true })
    try {
      const [row] = await bigints<
        Record<string, unknown>[]
      >`SELECT 7::bigint AS wide, count(*) AS n, 5::integer AS narrow FROM orgs`
      expect(row).toEqual({ wide: 7n, n: 1n, narrow: 5 })
    } finally {
      await bigints.close()
    }
  })

  test('a list binds as a PostgreSQL array (= ANY) or expands into IN (…); empty lists match nothing', async () => {
    await sql`INSERT INTO leases (name, holder, expires_at) VALUES ('in:1', 'x', 0), ('in:2', 'x', 0), ('in:3', 'x', 0)`
    const names = ['in:1', 'in:3', 'in:none']
    const any = await sql<
      { name: string }[]
    >`SELECT name FROM leases WHERE name = ANY(${names}) ORDER BY name`
    const array = await sql<
      { name: string }[]
    >`SELECT name FROM leases WHERE name = ANY(${sql.array(names)}) ORDER BY name`
    const inList = await sql<
      { name: string }[]
    >`SELECT name FROM leases WHERE name IN ${sql(names)} ORDER BY name`
    for (const rows of [any, array, inList]) expect(rows.map((row) => row.name)).toEqual(['in:1', 'in:3'])
    // One parameter (a text[]) for ANY, one per element for IN: a new statement per list length.
    expect(any.statement?.string).toMatch(/ANY\(\$1\s*\)/)
    expect(inList.statement?.string).toMatch(/IN \(\$1,\s*\$2,\s*\$3\s*\)/)
    const none: string[] = []
    expect(await sql`SELECT name FROM leases WHERE name = ANY(${none})`).toHaveLength(0)
    expect(await sql`SELECT name FROM leases WHERE name IN ${sql(none)}`).toHaveLength(0)
  })

  test('bulk insert: unnest of one array per column in one statement; sql(rows) stops at 65,535 parameters', async () => {
    const count = 10_000
    const ids = Array.from({ length: count }, (_, i) => `bulk-${i}`)
    const at = Date.now()
    const inserted = await sql`
      INSERT INTO directory_changes (seq, org_id, kind, op, resource_id, related_id, at)
      SELECT 1000000 + u.n, 'org-a', 'user', 'upsert', u.id, NULL, ${at}
      FROM unnest(${ids}::text[]) WITH ORDINALITY AS u(id, n)`
    expect(inserted.count).toBe(count)
    const [range] = decodeRows(
      await sql<{ n: number; low: number; high: number }[]>`
        SELECT count(*) AS n, min(seq) AS low, max(seq) AS high FROM directory_changes WHERE resource_id LIKE 'bulk-%'`,
    )
    expect(range).toEqual({ n: count, low: 1_000_001, high: 1_000_000 + count })

    const rows = ids.map((id, i) => ({
      seq: 2_000_000 + i,
      org_id: 'org-a',
      kind: 'user',
      op: 'add',
      resource_id: id,
      related_id: null,
      at,
    }))
    const error = await sql`INSERT INTO directory_changes ${sql(rows)}`.catch((e: unknown) => e)
    expect((error as SQL.PostgresError).code).toBe('ERR_POSTGRES_TOO_MANY_PARAMETERS')
  })

  test('DDL through sql.unsafe: several statements without parameters, rolled back with the transaction', async () => {
    const ddl = sql.begin(async (tx) => {
      await tx.unsafe('CREATE TABLE scratch (id TEXT PRIMARY KEY); CREATE INDEX scratch_id ON scratch (id);')
      const [row] = await tx<{ n: number }[]>`SELECT count(*)::int AS n FROM scratch`
      expect(row?.n).toBe(0)
      throw new Error('roll the DDL back')
    })
    await ddl.catch(() => {})
    const [exists] = await sql<{ found: string | null }[]>`SELECT to_regclass('scratch')::text AS found`
    expect(exists?.found).toBeNull()
    // With parameters a string may hold one statement only (the extended protocol).
    const error = await rejection(sql.unsafe('SELECT $1::int; SELECT 2', [1]))
    expect(error.errno).toBe('42601')
  })
})
