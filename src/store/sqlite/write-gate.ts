/**
 * The write gate of the SQLite store: one lock word shared (SharedArrayBuffer) by the threads of one
 * process that write to the same file — the HTTP thread and the sync scheduler's thread. SQLite lets
 * one writer in at a time and makes the other sleep in its busy handler (1, 2, 5, 10 … ms, with no
 * notion of who came first), which on the HTTP thread stalls every request in flight. Taking the
 * gate before BEGIN instead hands the lock over the moment the holder commits (Atomics.notify), and
 * the HTTP thread has priority: the scheduler only enters while no priority writer waits. The HTTP
 * thread's transactions wait for the gate asynchronously (`enterWriteGate`, `Atomics.waitAsync`):
 * its event loop serves other requests meanwhile. A statement run outside a transaction still
 * waits synchronously (`underWriteGate`): the request paths' writes run as transactions instead
 * (`ROOT_WRITES`, ./repositories.ts). Other processes (the CLI) meet the ordinary busy timeout.
 *
 * The mechanism only; when the scheduler gives way or stops deferring is ./pacing.ts. Every
 * connection's statements are routed through its gate from the start (`hookStatements`, called by
 * `openDatabase`), a no-op until it joins one (`useWriteGate`).
 */
import type { Database } from 'bun:sqlite'
import { StoreBusy } from '../errors.ts'

type Db = Database

const LOCK = 0
const WAITING = 1
/** Background writers of the priority thread waiting, without blocking it, for a free gate. */
const BACKGROUND = 2
const GATE_TIMEOUT_MS = 5000
/**
 * A non-priority writer lets a background waiter go first for up to this long per entry: the time
 * its thread's event loop takes to see the gate free (it waits asynchronously), and no longer.
 */
const BACKGROUND_TURN_MS = 1

/** Per connection, since it joined a gate: transactions, time spent waiting for and holding it. */
export interface WriteGateStats {
  transactions: number
  waits: number
  waitedMs: number
  heldMs: number
  longestWaitMs: number
  longestHoldMs: number
  /** Transactions rolled back to let the priority writer in (see `allowYield`). */
  yields: number
  /** Background transactions (`enterInBackground`) that gave up waiting and ran as ordinary ones. */
  backgroundFallbacks: number
}

interface Gate {
  cell: Int32Array
  priority: boolean
  /** Transactions of this connection in progress (nested ones are savepoints under the first). */
  depth: number
  enteredAt: number
  /** While > 0, a waiting priority writer makes a transaction younger than this give way. */
  yieldWindowMs: number
  /** Non-priority only: enter only while no priority writer waits (else: first come). */
  defer: boolean
  stats: WriteGateStats
}

const gates = new WeakMap<Db, Gate>()

/** A new gate, to share with `useWriteGate` on each thread's connection. */
export function createWriteGate(): SharedArrayBuffer {
  return new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT)
}

/** Makes every transaction of `db` go through the gate; `priority` for the request-serving thread. */
export function useWriteGate(db: Db, buffer: SharedArrayBuffer, priority: boolean): void {
  const stats = {
    transactions: 0,
    waits: 0,
    waitedMs: 0,
    heldMs: 0,
    longestWaitMs: 0,
    longestHoldMs: 0,
    yields: 0,
    backgroundFallbacks: 0,
  }
  gates.set(db, {
    cell: new Int32Array(buffer),
    priority,
    depth: 0,
    enteredAt: 0,
    yieldWindowMs: 0,
    defer: true,
    stats,
  })
}

/** Thrown by a statement of a transaction that gives way (see `allowYield`): it rolls back at once. */
export class WriteGateYield extends Error {
  constructor() {
    super('gave way to the priority writer')
    this.name = 'WriteGateYield'
  }
}

/**
 * Lets the transactions of `db` (the scheduler's connection) give way during their first `windowMs`
 * — 0 turns it off. Only for work that is atomic and idempotent, so a rolled-back attempt loses
 * nothing but its time: the scheduler's batches.
 */
export function allowYield(db: Db, windowMs: number): void {
  const gate = gates.get(db)
  if (gate) gate.yieldWindowMs = windowMs
}

/**
 * Whether the non-priority connection `db` lets a waiting priority writer go first (the default).
 * Off, it takes the gate as soon as it is free — so a scheduler that fell behind still gets its turns
 * while SCIM writes arrive back to back.
 */
export function deferToPriority(db: Db, on: boolean): void {
  const gate = gates.get(db)
  if (gate) gate.defer = on
}

const TRANSACTION_CONTROL = /^\s*(BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE)\b/i
const EXECUTES = ['run', 'get', 'all', 'values', 'iterate'] as const
const HOOKED = Symbol('okta-bridge.gated')

/**
 * Routes a connection's statements through its gate (a no-op until `useWriteGate`): on the priority
 * (HTTP) thread a `run()` outside a transaction — a single-statement write such as an API key's
 * last use — takes the gate too, or a scheduler writing back to back would starve it in SQLite's
 * busy handler; on the scheduler's thread a statement of a young transaction gives way when the HTTP
 * thread waits (see `allowYield`): it throws, the transaction rolls back and the gate is free at
 * once, instead of the HTTP thread waiting for the whole batch (measured: ~10 % of its time during a
 * push). Done by wrapping each statement's methods once, as own properties.
 */
export function hookStatements(db: Db): void {
  const giveWay = (gate: Gate) => {
    if (
      gate.yieldWindowMs > 0 &&
      gate.depth > 0 &&
      Atomics.load(gate.cell, WAITING) > 0 &&
      performance.now() - gate.enteredAt < gate.yieldWindowMs
    ) {
      gate.stats.yields++
      throw new WriteGateYield()
    }
  }
  const hook = <S>(statement: S, sql: string): S => {
    const target = statement as Record<PropertyKey, unknown>
    if (target[HOOKED] || TRANSACTION_CONTROL.test(sql)) return statement
    target[HOOKED] = true
    for (const name of EXECUTES) {
      const execute = target[name]
      if (typeof execute !== 'function') continue
      const bound = execute.bind(statement) as (...args: unknown[]) => unknown
      target[name] = (...args: unknown[]) => {
        const gate = gates.get(db)
        if (!gate) return bound(...args)
        if (!gate.priority) giveWay(gate)
        else if (name === 'run' && gate.depth === 0) return underWriteGate(db, () => bound(...args))
        return bound(...args)
      }
    }
    return statement
  }
  const query = db.query.bind(db)
  const prepare = db.prepare.bind(db)
  Object.assign(db, {
    query: (sql: string, ...rest: []) => hook(query(sql, ...rest), sql),
    prepare: (sql: string, ...rest: []) => hook(prepare(sql, ...rest), sql),
  })
}

/** The gate statistics of `db`'s connection, or null when it does not use a gate. */
export function writeGateStats(db: Db): Readonly<WriteGateStats> | null {
  return gates.get(db)?.stats ?? null
}

const take = (cell: Int32Array) => Atomics.compareExchange(cell, LOCK, 0, 1) === 0

function enter(gate: Gate): void {
  const { cell, priority, stats } = gate
  const defer = !priority && gate.defer
  const started = performance.now()
  // A background waiter (see `enterInBackground`) gets the next turn, briefly: it never makes this
  // writer roll back, only wait until its own thread has seen the gate free.
  const behindBackground = () =>
    !priority && Atomics.load(cell, BACKGROUND) > 0 && performance.now() - started < BACKGROUND_TURN_MS
  stats.transactions++
  if ((defer && Atomics.load(cell, WAITING) > 0) || behindBackground() || !take(cell)) {
    stats.waits++
    if (priority) Atomics.add(cell, WAITING, 1)
    try {
      // The priority writer enters as soon as the gate is free: it sleeps only while the gate is
      // held (woken by the holder's notify). The other enters only while no priority writer waits;
      // when one is about to enter, a wait on the free value gives it up to a millisecond.
      while ((defer && Atomics.load(cell, WAITING) > 0) || behindBackground() || !take(cell)) {
        const left = started + GATE_TIMEOUT_MS - performance.now()
        if (left <= 0) throw new StoreBusy('database is locked (write gate held for 5 s)')
        if (priority) Atomics.wait(cell, LOCK, 1, Math.min(left, 50))
        else Atomics.wait(cell, LOCK, Atomics.load(cell, LOCK), Math.min(left, BACKGROUND_TURN_MS))
      }
    } finally {
      if (priority) Atomics.sub(cell, WAITING, 1)
    }
  }
  gate.enteredAt = performance.now()
  stats.waitedMs += gate.enteredAt - started
  stats.longestWaitMs = Math.max(stats.longestWaitMs, gate.enteredAt - started)
}

function leave(gate: Gate): void {
  const held = performance.now() - gate.enteredAt
  gate.stats.heldMs += held
  gate.stats.longestHoldMs = Math.max(gate.stats.longestHoldMs, held)
  Atomics.store(gate.cell, LOCK, 0)
  Atomics.notify(gate.cell, LOCK)
}

/** Runs `work` (not a transaction) while holding `db`'s write gate, if it has one. */
export function underWriteGate<T>(db: Db, work: () => T): T {
  const gate = gates.get(db)
  if (!gate || gate.depth > 0) return work()
  enter(gate)
  gate.depth++
  try {
    return work()
  } finally {
    gate.depth--
    leave(gate)
  }
}

/**
 * Takes `db`'s write gate, if it has one, until the returned function is called: for transactions
 * that await between statements (the async store contract), where `underWriteGate` cannot wrap them.
 */
export function holdWriteGate(db: Db): () => void {
  const gate = gates.get(db)
  if (!gate || gate.depth > 0) return () => {}
  enter(gate)
  return held(gate)
}

/** Whether `db` is the priority (request-serving) connection of a write gate. */
export function isPriorityWriter(db: Db): boolean {
  return gates.get(db)?.priority === true
}

/** Marks the gate entered by `gate`'s connection after waiting since `started`. */
function entered(gate: Gate, started: number): () => void {
  const { stats } = gate
  stats.transactions++
  gate.enteredAt = performance.now()
  stats.waitedMs += gate.enteredAt - started
  stats.longestWaitMs = Math.max(stats.longestWaitMs, gate.enteredAt - started)
  return held(gate)
}

/** Until the gate's lock word changes from held, or `ms`: no thread blocked meanwhile. */
async function whileHeld(cell: Int32Array, ms: number): Promise<void> {
  const waiting = Atomics.load(cell, LOCK) === 1 ? Atomics.waitAsync(cell, LOCK, 1, ms) : null
  if (waiting?.async) await waiting.value
  else await new Promise<void>((resolve) => setImmediate(resolve))
}

/**
 * Takes the priority connection `db`'s write gate for a transaction without blocking its thread:
 * as `holdWriteGate` (the other thread's young batch gives way, it defers to this writer), but the
 * wait is asynchronous (`Atomics.waitAsync`), so the HTTP thread serves other requests — reads,
 * webhook deliveries — while its write waits for the scheduler's batch. Unlike `holdWriteGate` it
 * never assumes the gate is already its own: a second transaction of the connection waits for the
 * first to release it (the caller must not hold anything that one needs meanwhile).
 */
export async function enterWriteGate(db: Db): Promise<() => void> {
  const gate = gates.get(db)
  if (!gate?.priority) throw new TypeError('enterWriteGate needs the priority connection of a gate')
  const { cell, stats } = gate
  const started = performance.now()
  if (take(cell)) return entered(gate, started)
  stats.waits++
  Atomics.add(cell, WAITING, 1)
  try {
    while (!take(cell)) {
      const left = started + GATE_TIMEOUT_MS - performance.now()
      if (left <= 0) throw new StoreBusy('database is locked (write gate held for 5 s)')
      await whileHeld(cell, Math.min(left, 50))
    }
  } finally {
    Atomics.sub(cell, WAITING, 1)
  }
  return entered(gate, started)
}

/**
 * Takes the priority connection `db`'s write gate for a background transaction: waits
 * asynchronously until the gate is free and `ready()` — the caller's own connection is free too —
 * then takes it in the same synchronous step. Meanwhile the other thread's writer lets it have the
 * next turn (`BACKGROUND_TURN_MS`) but is never made to give way. Answers the release, or null after
 * `maxWaitMs`: the caller then runs the work as an ordinary transaction (`enterWriteGate`).
 */
export async function enterInBackground(
  db: Db,
  ready: () => boolean,
  maxWaitMs: number,
): Promise<(() => void) | null> {
  const gate = gates.get(db)
  if (!gate?.priority) throw new TypeError('enterInBackground needs the priority connection of a gate')
  const { cell, stats } = gate
  const started = performance.now()
  Atomics.add(cell, BACKGROUND, 1)
  try {
    for (;;) {
      if (ready() && take(cell)) return entered(gate, started)
      const left = started + maxWaitMs - performance.now()
      if (left <= 0) break
      stats.waits++
      await whileHeld(cell, Math.min(left, 50))
    }
  } finally {
    Atomics.sub(cell, BACKGROUND, 1)
  }
  stats.backgroundFallbacks++
  return null
}

function held(gate: Gate): () => void {
  gate.depth++
  let released = false
  return () => {
    if (released) return
    released = true
    gate.depth--
    leave(gate)
  }
}
