/**
 * The SQLite engine's serialisation of the async contract on one connection: no statement of
 * another caller runs inside an open transaction, concurrent transactions share a commit but fail
 * alone, and using the root store inside a transaction is an error rather than a hang.
 */
import { Database } from 'bun:sqlite'
import { describe, expect, test } from 'bun:test'
import { StoreMisuse, UniqueViolation } from '../../src/store/errors.ts'
import { type Asynced, asyncRepository, serialConnection } from '../../src/store/sqlite/serial.ts'

function setup(gate: () => () => void = () => () => {}) {
  const db = new Database(':memory:', { strict: true })
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)')
  let commits = 0
  const repo = (d: Database) => ({
    put: (k: string, v: number) => d.query('INSERT INTO t (k, v) VALUES (?, ?)').run(k, v).changes,
    get: (k: string) => d.query<{ v: number }, [string]>('SELECT v FROM t WHERE k = ?').get(k)?.v ?? null,
    count: () => d.query<{ n: number }, []>('SELECT count(*) AS n FROM t').get()?.n ?? 0,
  })
  // Spelled out: a type inferred from `bindTx` would refer to itself through `transaction`.
  interface Tx {
    t: Asynced<ReturnType<typeof repo>>
    transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>
  }
  const bindTx = (
    guard: Parameters<typeof asyncRepository>[1],
    savepoint: <T>(work: (tx: Tx) => Promise<T>) => Promise<T>,
  ): Tx => ({ t: asyncRepository(repo(db), guard), transaction: savepoint })
  const serial = serialConnection<Tx>({
    exec: (sql) => {
      if (sql === 'COMMIT') commits++
      db.exec(sql)
    },
    inTransaction: () => db.inTransaction,
    holdWriteGate: gate,
    bind: (guard, savepoint) => bindTx(guard, savepoint),
  })
  const root = asyncRepository(repo(db), serial.guard)
  return { db, root, serial, commits: () => commits }
}

describe('sqlite serial connection', () => {
  test('a read outside the transaction waits for its commit instead of seeing its writes', async () => {
    const { root, serial } = setup()
    let release!: () => void
    const hold = new Promise<void>((resolve) => {
      release = resolve
    })
    const writing = serial.transaction(async (tx) => {
      await tx.t.put('a', 1)
      await hold
      await tx.t.put('b', 2)
    })
    // Let the transaction start and park at `hold`.
    await new Promise((resolve) => setImmediate(resolve))
    await new Promise((resolve) => setImmediate(resolve))
    const reading = root.count()
    let seen: number | null = null
    void reading.then((n) => {
      seen = n
    })
    await new Promise((resolve) => setImmediate(resolve))
    expect(seen).toBeNull()
    release()
    await writing
    expect(await reading).toBe(2)
  })

  test('concurrent transactions share one commit, and one that fails rolls back alone', async () => {
    const { root, serial, commits } = setup()
    const results = await Promise.allSettled([
      serial.transaction(async (tx) => tx.t.put('a', 1)),
      serial.transaction(async (tx) => {
        await tx.t.put('b', 2)
        await tx.t.put('a', 3)
      }),
      serial.transaction(async (tx) => tx.t.put('c', 4)),
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(UniqueViolation)
    expect(await root.get('b')).toBeNull()
    expect(await root.get('a')).toBe(1)
    expect(await root.count()).toBe(2)
    expect(commits()).toBe(1)
  })

  test('nested transactions are savepoints of the outer one', async () => {
    const { root, serial } = setup()
    await serial.transaction(async (tx) => {
      await tx.t.put('a', 1)
      await expect(
        tx.transaction(async (inner) => {
          await inner.t.put('b', 2)
          throw new Error('undo b')
        }),
      ).rejects.toThrow('undo b')
    })
    expect(await root.get('a')).toBe(1)
    expect(await root.get('b')).toBeNull()
  })

  test('the root store inside a transaction is refused, not a deadlock', async () => {
    const { root, serial } = setup()
    await expect(
      serial.transaction(async (tx) => {
        await tx.t.put('a', 1)
        await root.count()
      }),
    ).rejects.toBeInstanceOf(StoreMisuse)
    await expect(serial.transaction(async () => serial.transaction(async () => 1))).rejects.toBeInstanceOf(
      StoreMisuse,
    )
    expect(await root.count()).toBe(0)
  })

  test('every caller gets its own result, in the order asked', async () => {
    const { root, serial } = setup()
    const values = await Promise.all(
      Array.from({ length: 600 }, (_, i) =>
        serial.transaction(async (tx) => {
          await tx.t.put(`k${i}`, i)
          return tx.t.get(`k${i}`)
        }),
      ),
    )
    expect(values).toEqual(Array.from({ length: 600 }, (_, i) => i))
    expect(await root.count()).toBe(600)
  })
  test('a write gate that cannot be taken fails that batch and frees the connection', async () => {
    let refuse = true
    const { root, serial } = setup(() => {
      if (refuse) throw new Error('database is locked (write gate held for 5 s)')
      return () => {}
    })
    await expect(serial.transaction(async (tx) => tx.t.put('a', 1))).rejects.toThrow('write gate')
    refuse = false
    expect(await root.count()).toBe(0)
    await serial.transaction(async (tx) => tx.t.put('b', 2))
    expect(await root.get('b')).toBe(2)
  })
})
