/**
 * How the async store contract runs on one synchronous bun:sqlite connection.
 *
 * A SQLite connection has one transaction at a time, and with async callers another request's
 * statement could otherwise run inside someone else's open transaction (seeing, or being rolled
 * back with, its writes). So every use of the connection goes through one FIFO queue:
 * - a statement outside a transaction runs at once, synchronously, while the queue is free (the
 *   common case: no cost beyond a resolved promise), and waits its turn while a transaction is open;
 * - transactions are group-committed: those asked for in the same event-loop turn run one after the
 *   other inside ONE `BEGIN IMMEDIATE … COMMIT`, each in its own savepoint. A commit costs far more
 *   than the rows in it on a WAL file (~400 µs alone, ~80 µs per SCIM user when eight share one),
 *   and an IdP push arrives as many concurrent requests. A transaction that fails rolls back alone
 *   and its caller gets its error; each caller is answered only after the commit that holds its
 *   writes, so an acknowledged write is as durable as with its own commit.
 *
 * Inside a transaction, use only its `tx` handle: the root store would wait for the transaction
 * that is waiting for it. That mistake is detected (AsyncLocalStorage marks the transaction's
 * async context) and thrown as `StoreMisuse` instead of hanging. Awaiting anything but the store
 * inside a transaction holds every other writer of the process: do slow work (hashing, HTTP)
 * before or after.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { StoreBusy, StoreError, StoreMisuse, UniqueViolation } from '../errors.ts'

/** How a transaction is run (the contract's `store.transaction(work, options)`). */
export interface TransactionOptions {
  /**
   * Work that may wait for other writers and must not delay them (webhook acknowledgements). On
   * SQLite it waits for the write gate without blocking the request-serving thread and without
   * making the scheduler's batch give way; elsewhere it runs like any other transaction.
   */
  background?: boolean
}

/** A FIFO lock handed from holder to the next waiter, so no waiter is overtaken. */
export class ConnectionQueue {
  #held = false
  readonly #waiters: Array<() => void> = []

  get held(): boolean {
    return this.#held
  }

  acquire(): Promise<void> {
    if (!this.#held) {
      this.#held = true
      return Promise.resolve()
    }
    return new Promise<void>((resolve) => this.#waiters.push(resolve))
  }

  release(): void {
    const next = this.#waiters.shift()
    if (next) next()
    else this.#held = false
  }
}

/** Engine errors as store errors (the contract's vocabulary). */
export function storeErrorOf(error: unknown): unknown {
  if (error instanceof StoreError) return error
  const code = (error as { code?: unknown } | null)?.code
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const message = (error as Error).message
    return new UniqueViolation(/: (.+)$/.exec(message)?.[1] ?? null, { cause: error })
  }
  if (typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))) {
    return new StoreBusy('the SQLite database stayed locked', { cause: error })
  }
  return error
}

/** Runs a synchronous statement, answering a promise, with engine errors mapped. */
function settle<T>(run: () => T): Promise<T> {
  try {
    return Promise.resolve(run())
  } catch (error) {
    return Promise.reject(storeErrorOf(error))
  }
}

/** The repositories with every function made async: the shape the contract's interfaces have. */
export type Asynced<R> = {
  [K in keyof R]: R[K] extends (...args: infer A) => infer T ? (...args: A) => Promise<T> : R[K]
}

type Guard = <T>(run: () => T) => Promise<T>

/** Wraps each function of `repo` so it runs through `guard`. */
export function asyncRepository<R extends object>(repo: R, guard: Guard): Asynced<R> {
  const wrapped: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(repo)) {
    wrapped[name] =
      typeof value === 'function'
        ? (...args: unknown[]) => guard(() => (value as (...a: unknown[]) => unknown).apply(repo, args))
        : value
  }
  return wrapped as Asynced<R>
}

export interface SerialConnection<Tx> {
  /** For repositories used outside a transaction: runs now when free, else after the open one. */
  guard: Guard
  /** The contract's `transaction(async (tx) => …, options)`. */
  transaction<T>(work: (tx: Tx) => Promise<T>, options?: TransactionOptions): Promise<T>
}

interface Job<Tx> {
  work: (tx: Tx) => Promise<unknown>
  resolve(value: unknown): void
  reject(error: unknown): void
}

export interface SerialOptions<Tx> {
  exec(sql: string): void
  /** True while the connection has an open transaction (bun:sqlite's `db.inTransaction`). */
  inTransaction(): boolean
  /** Takes the process-wide write gate (shared with the scheduler's thread); returns its release. */
  holdWriteGate(): () => void
  /**
   * True while the connection is the priority side of a write gate shared with another thread (the
   * HTTP thread's): its transactions then take the gate with the two functions below, which wait
   * without blocking the thread, instead of `holdWriteGate`.
   */
  priorityWriter?(): boolean
  /** Takes the gate, asynchronously (`enterWriteGate` in ./write-gate.ts). */
  enterWriteGate?(): Promise<() => void>
  /**
   * For background transactions: takes the gate once it is free and `ready()`, without making the
   * other thread give way; null after its longest wait (`enterInBackground` in ./write-gate.ts).
   */
  enterInBackground?(ready: () => boolean): Promise<(() => void) | null>
  /** The transaction handle: repositories bound to this connection, with `transaction` as savepoints. */
  bind(guard: Guard, savepoint: <T>(work: (tx: Tx) => Promise<T>) => Promise<T>): Tx
  /** At most this many transactions share one commit. */
  maxBatch?: number
}

export function serialConnection<Tx>(options: SerialOptions<Tx>): SerialConnection<Tx> {
  const queue = new ConnectionQueue()
  const context = new AsyncLocalStorage<symbol>()
  /** Marks the async context of the batch being run, to catch root-store use inside it. */
  let running: symbol | null = null
  const maxBatch = options.maxBatch ?? 256
  let pending: Job<Tx>[] = []
  let scheduled = false
  let background: Job<Tx>[] = []
  let backgroundScheduled = false
  let waitingForGate = false
  let savepoints = 0

  const insideRunningBatch = () => running !== null && context.getStore() === running

  const guard: Guard = (run) => {
    if (!queue.held) return settle(run)
    if (insideRunningBatch()) {
      return Promise.reject(
        new StoreMisuse('the root store was used inside a transaction: use the transaction handle'),
      )
    }
    return queue.acquire().then(
      () => {
        try {
          return settle(run)
        } finally {
          queue.release()
        }
      },
      (error) => Promise.reject(error),
    )
  }

  // Inside a transaction the connection is ours: statements run at once.
  const direct: Guard = (run) => settle(run)

  async function savepoint<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const name = `sp_${++savepoints}`
    options.exec(`SAVEPOINT ${name}`)
    try {
      const value = await work(tx)
      options.exec(`RELEASE ${name}`)
      return value
    } catch (error) {
      options.exec(`ROLLBACK TO ${name}`)
      options.exec(`RELEASE ${name}`)
      throw storeErrorOf(error)
    }
  }
  const tx = options.bind(direct, savepoint)

  type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown }

  async function flush(): Promise<void> {
    scheduled = false
    let releaseGate: (() => void) | null = null
    if (options.priorityWriter?.() && options.enterWriteGate) {
      // The gate first, then the connection: while the batch waits for the other thread's, this
      // connection's reads (and the thread) go on; nothing holding the queue waits for the gate.
      // One flush waits at a time, and takes its jobs once the gate is its own: the transactions
      // asked for meanwhile share its commit, as they did when the wait blocked the thread.
      if (waitingForGate) return
      waitingForGate = true
      try {
        releaseGate = await options.enterWriteGate()
      } catch (error) {
        for (const job of pending.splice(0)) job.reject(storeErrorOf(error))
        return
      } finally {
        waitingForGate = false
      }
    }
    const jobs = pending.slice(0, maxBatch)
    pending = pending.slice(jobs.length)
    if (pending.length > 0 && !scheduled) schedule()
    if (jobs.length === 0) {
      releaseGate?.()
      return
    }
    await queue.acquire()
    await commitBatch(jobs, releaseGate)
  }

  /**
   * Background transactions wait for the gate apart from the others, so that a request's
   * transaction never waits behind them, and run as a batch of their own once it is theirs.
   */
  async function flushBackground(
    enter: (ready: () => boolean) => Promise<(() => void) | null>,
  ): Promise<void> {
    backgroundScheduled = true
    try {
      while (background.length > 0) {
        // The gate taken and the connection free, in one synchronous step; or null after the
        // longest wait: the jobs join the ordinary queue.
        const releaseGate = await enter(() => !queue.held)
        const jobs = background.slice(0, maxBatch)
        background = background.slice(jobs.length)
        if (releaseGate === null) {
          pending.push(...jobs)
          if (!scheduled) schedule()
          continue
        }
        void queue.acquire()
        await commitBatch(jobs, releaseGate)
      }
    } finally {
      backgroundScheduled = false
    }
  }

  /** Runs `jobs` in one transaction, the queue held (released here); the gate too if `gateHeld`. */
  async function commitBatch(jobs: Job<Tx>[], gateHeld: (() => void) | null): Promise<void> {
    const token = Symbol('transaction')
    running = token
    const outcomes: Outcome[] = []
    let failure: unknown = null
    // Inside the try: a gate that cannot be taken (held past its timeout) must fail this batch's
    // callers and free the connection, not leave the queue held for ever.
    let releaseGate = gateHeld ?? (() => {})
    try {
      if (!gateHeld) releaseGate = options.holdWriteGate()
      options.exec('BEGIN IMMEDIATE')
      for (const job of jobs) {
        try {
          outcomes.push({ ok: true, value: await context.run(token, () => savepoint(job.work)) })
        } catch (error) {
          outcomes.push({ ok: false, error })
        }
      }
      options.exec('COMMIT')
    } catch (error) {
      failure = storeErrorOf(error)
      if (options.inTransaction()) options.exec('ROLLBACK')
    } finally {
      releaseGate()
      running = null
      queue.release()
    }
    jobs.forEach((job, index) => {
      const outcome = outcomes[index]
      if (failure !== null || !outcome) job.reject(failure ?? new StoreError('transaction did not run'))
      else if (outcome.ok) job.resolve(outcome.value)
      else job.reject(outcome.error)
    })
  }

  function schedule(): void {
    scheduled = true
    setImmediate(() => {
      flush().catch(() => {
        // flush settles every job itself; nothing reaches here.
      })
    })
  }

  return {
    guard,
    transaction<T>(work: (tx: Tx) => Promise<T>, transactionOptions?: TransactionOptions): Promise<T> {
      if (insideRunningBatch()) {
        return Promise.reject(
          new StoreMisuse('store.transaction was called inside a transaction: use tx.transaction'),
        )
      }
      const enter =
        transactionOptions?.background && options.priorityWriter?.() ? options.enterInBackground : undefined
      return new Promise<T>((resolve, reject) => {
        const job = { work, resolve: resolve as (value: unknown) => void, reject }
        if (enter) {
          background.push(job)
          if (!backgroundScheduled) void flushBackground(enter.bind(options))
          return
        }
        pending.push(job)
        if (!scheduled) schedule()
      })
    },
  }
}
