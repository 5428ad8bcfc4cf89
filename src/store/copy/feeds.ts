/**
 * The two feeds across engines. `directory_changes.seq` and `events.id` are read as "after this
 * number" (the scheduler's `sync_state.applied_seq`, the events' `change_seq`, and the cursors that
 * downstream apps keep of `/events`), so a copy must keep each org's order, keep every cursor
 * pointing between the same two rows, and make sure the target never hands out a number again that
 * a row or a cursor already holds.
 *
 * - SQLite numbers both feeds with one global AUTOINCREMENT; PostgreSQL numbers them per org from
 *   `feed_counters` (docs/store.md). SQLite → PostgreSQL keeps every number (they still increase
 *   per org) and sets each org's counter past the highest number SQLite ever handed out
 *   (`sqlite_sequence`): an org's numbers are spread over that whole range, and a follower may hold
 *   one of an org whose last rows were deleted since.
 * - PostgreSQL → SQLite: two orgs may both have event 1, which SQLite's global key cannot hold. Then
 *   each org's numbers are shifted by one constant of its own (orgs in id order; each org gets the
 *   range after the previous org's highest number), with its cursor columns shifted alike, so
 *   order and every comparison within an org stay exactly as they were. The shifts are never
 *   negative: a downstream app that goes on with a cursor it had may see events again, never miss
 *   one. The shifts are written to the copy's `store_meta` (key `feed_offsets`), and a copy back
 *   into PostgreSQL takes them off again: a backup restores with its original numbers.
 *
 * Any column that stores a feed number must be listed in FEEDS, or a copy would leave it pointing
 * at other rows.
 */
import type { SnapshotReader, TargetTable, Value } from './types.ts'

export type Feed = 'directory_changes' | 'events'

interface FeedColumns {
  feed: Feed
  /** The feed's own number column. */
  number: string
  /** Columns elsewhere holding numbers of this feed, per org (cursors and references). */
  cursors: Array<{ table: string; column: string }>
}

export const FEEDS: FeedColumns[] = [
  {
    feed: 'directory_changes',
    number: 'seq',
    cursors: [
      { table: 'sync_state', column: 'applied_seq' },
      { table: 'events', column: 'change_seq' },
    ],
  },
  {
    feed: 'events',
    number: 'id',
    cursors: [
      { table: 'webhook_endpoints', column: 'cursor_event_id' },
      { table: 'webhook_endpoints', column: 'inflight_until' },
    ],
  },
]

/** The `store_meta` key of the shifts a PostgreSQL → SQLite copy applied. */
export const OFFSETS_KEY = 'feed_offsets'

type Offsets = Record<Feed, Record<string, number>>

export interface FeedPlan {
  /** Per table, what to do to each source row before it is inserted: false drops it. */
  rewrite: Map<string, (row: Value[]) => boolean>
  /** Source rows dropped, per table (the verification expects that many fewer). */
  dropped: Map<string, number>
  /** Rows the copy adds, per table, in that table's column order. */
  added: Map<string, Value[][]>
  /** For the target's `continueAfter`. */
  sequences: Map<string, number>
  /** Feeds whose numbers were shifted (PostgreSQL → SQLite), or unshifted (a copy coming back). */
  renumbered: Feed[]
}

const numberOf = (value: Value | undefined): number =>
  value === null || value === undefined ? 0 : Number(value)

/** Per org, the highest number of `feed` that a row or a cursor of the source holds. */
async function highest(source: SnapshotReader, feed: FeedColumns, hasCounters: boolean) {
  const marks = new Map<string, number>()
  const raise = (org: Value | undefined, n: Value | undefined) => {
    if (typeof org !== 'string') return
    marks.set(org, Math.max(marks.get(org) ?? 0, numberOf(n)))
  }
  const columns = [{ table: feed.feed, column: feed.number }, ...feed.cursors]
  for (const { table, column } of columns) {
    for (const row of await source.all(`SELECT org_id, max(${column}) AS n FROM ${table} GROUP BY org_id`))
      raise(row.org_id, row.n)
  }
  if (hasCounters) {
    for (const row of await source.all(
      `SELECT org_id, last_seq AS n FROM feed_counters WHERE feed = '${feed.feed}'`,
    ))
      raise(row.org_id, row.n)
  }
  return marks
}

async function collides(source: SnapshotReader, feed: FeedColumns): Promise<boolean> {
  const [row] = await source.all(
    `SELECT count(*) AS n FROM (SELECT ${feed.number} FROM ${feed.feed} GROUP BY ${feed.number} HAVING count(*) > 1) AS twice`,
  )
  return numberOf(row?.n) > 0
}

async function recordedOffsets(source: SnapshotReader): Promise<Offsets | null> {
  const [row] = await source.all(`SELECT value FROM store_meta WHERE key = '${OFFSETS_KEY}'`)
  if (typeof row?.value !== 'string') return null
  const parsed = JSON.parse(row.value) as Partial<Offsets>
  return { directory_changes: parsed.directory_changes ?? {}, events: parsed.events ?? {} }
}

/** Adds `delta(org)` to the given columns of every row; refuses to make a number negative. */
function shifter(table: TargetTable, columns: string[], delta: (org: string) => number) {
  const org = table.columns.indexOf('org_id')
  const at = columns.map((column) => table.columns.indexOf(column)).filter((i) => i >= 0)
  return (row: Value[]) => {
    const by = delta(String(row[org]))
    if (by === 0) return true
    for (const i of at) {
      if (row[i] === null || row[i] === undefined) continue
      const shifted = Number(row[i]) + by
      if (shifted < 0) throw new Error(`${OFFSETS_KEY} does not fit ${table.name}.${table.columns[i]}`)
      row[i] = shifted
    }
    return true
  }
}

/** Chains row rewrites of one table. */
function addRewrite(plan: FeedPlan, table: string, step: (row: Value[]) => boolean) {
  const before = plan.rewrite.get(table)
  plan.rewrite.set(table, before ? (row) => before(row) && step(row) : step)
}

/**
 * What the copy from `source` into a target with these tables does to the feeds. Same engine on
 * both sides: nothing but carrying the auto-numbering over (PostgreSQL's `feed_counters` is then a
 * table like any other).
 */
export async function planFeeds(
  source: SnapshotReader,
  target: { engine: 'sqlite' | 'postgres'; tables: TargetTable[] },
  now: number,
): Promise<FeedPlan> {
  const sequences = await source.sequences()
  const plan: FeedPlan = {
    rewrite: new Map(),
    dropped: new Map(),
    added: new Map(),
    sequences,
    renumbered: [],
  }
  if (source.engine === target.engine) return plan
  const table = (name: string) => {
    const found = target.tables.find((candidate) => candidate.name === name)
    if (!found) throw new Error(`the target has no table ${name}`)
    return found
  }
  // A shift record never travels on: into PostgreSQL it is undone, into SQLite a new one is made.
  const recorded = await recordedOffsets(source)
  if (recorded) {
    plan.dropped.set('store_meta', 1)
    const meta = table('store_meta')
    const key = meta.columns.indexOf('key')
    addRewrite(plan, 'store_meta', (row) => row[key] !== OFFSETS_KEY)
  }
  const offsets: Offsets = { directory_changes: {}, events: {} }
  for (const feed of FEEDS) {
    const marks = await highest(source, feed, source.engine === 'postgres')
    if (target.engine === 'postgres') {
      const taken = recorded?.[feed.feed] ?? {}
      for (const [org, by] of Object.entries(taken)) offsets[feed.feed][org] = -by
      if (Object.keys(taken).length > 0) plan.renumbered.push(feed.feed)
      // Past every number SQLite handed out, in whichever numbering an app may have seen it.
      const global = Math.max(sequences.get(feed.feed) ?? 0, ...marks.values())
      sequences.delete(feed.feed)
      const counters = table('feed_counters')
      const orgIds = (await source.all('SELECT id FROM orgs ORDER BY id')).map((row) => String(row.id))
      const rows =
        global === 0 ? [] : orgIds.map((org) => ({ org_id: org, feed: feed.feed, last_seq: global }))
      const values = rows.map((row) =>
        counters.columns.map((column) => row[column as keyof typeof row] ?? null),
      )
      plan.added.set('feed_counters', [...(plan.added.get('feed_counters') ?? []), ...values])
    } else {
      let last = 0
      if (await collides(source, feed)) {
        plan.renumbered.push(feed.feed)
        for (const org of [...marks.keys()].sort()) {
          offsets[feed.feed][org] = last
          last += marks.get(org) ?? 0
        }
      } else {
        last = Math.max(0, ...marks.values())
      }
      sequences.set(feed.feed, last)
    }
  }
  for (const feed of FEEDS) {
    const delta = (org: string) => offsets[feed.feed][org] ?? 0
    if (Object.values(offsets[feed.feed]).every((by) => by === 0)) continue
    addRewrite(plan, feed.feed, shifter(table(feed.feed), [feed.number], delta))
    for (const cursor of feed.cursors)
      addRewrite(plan, cursor.table, shifter(table(cursor.table), [cursor.column], delta))
  }
  if (target.engine === 'sqlite' && plan.renumbered.length > 0) {
    const meta = table('store_meta')
    const kept = Object.fromEntries(
      FEEDS.map((feed) => [
        feed.feed,
        Object.fromEntries(Object.entries(offsets[feed.feed]).filter(([, by]) => by > 0)),
      ]),
    )
    const row: Record<string, Value> = { key: OFFSETS_KEY, value: JSON.stringify(kept), updated_at: now }
    plan.added.set('store_meta', [meta.columns.map((column) => row[column] ?? null)])
  }
  return plan
}
