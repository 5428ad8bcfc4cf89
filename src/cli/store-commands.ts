/**
 * `okta-bridge store copy` and `okta-bridge backup`: thin wrappers over `store/copy.ts`. Unlike the
 * other commands they do not act on one opened store: `store copy` names both of its stores, and
 * `backup` reads the configured one (DATABASE_URL, either engine) into a new SQLite file.
 *
 * On a terminal, progress goes to stderr on one rewritten line; with --json, stdout gets exactly one
 * object, `{from, to, tables, seconds}`. A PostgreSQL URL is never printed with its password.
 */
import type { Config } from '../config/index.ts'
import { backupStore, type CopyProgress, CopyRefused, type CopyResult, copyStore } from '../store/copy.ts'
import { type StoreLocation, storeLocation } from '../store/index.ts'
import { type Flags, print, required, UsageError } from './flags.ts'
import { COMMAND_HELP } from './help.ts'
import { type CliIo, EXIT, processIo } from './output.ts'

export const COPY_COMMANDS = new Set(['store copy', 'backup'])

/** Where progress lines go: the process's stderr when it is a terminal, else nowhere. */
export interface ProgressTerminal {
  write(text: string): void
}

function processTerminal(io: CliIo): ProgressTerminal | null {
  return io === processIo && process.stderr.isTTY ? { write: (text) => process.stderr.write(text) } : null
}

/** A `--from`/`--to` value as a store location, refusing what is neither a path nor PostgreSQL. */
function location(flags: Flags, name: string): StoreLocation {
  const value = required(flags, name)
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase()
  const hint = 'give a SQLite file path (or sqlite://path) or postgres://user:password@host:5432/database'
  if (scheme !== undefined && !['sqlite', 'file', 'postgres', 'postgresql'].includes(scheme)) {
    throw new UsageError(`--${name}: ${scheme}:// is not a supported store: ${hint}`)
  }
  if (scheme === 'postgres' || scheme === 'postgresql') {
    let url: URL
    try {
      url = new URL(value)
    } catch {
      throw new UsageError(`--${name}: (value not shown) is not a valid URL: ${hint}`)
    }
    if (!url.hostname || url.pathname.replace(/^\//, '') === '')
      throw new UsageError(`--${name}: name the host and the database: ${hint}`)
  }
  return storeLocation(value)
}

const grouped = (n: number) => n.toLocaleString('en-US')

/** Rewrites one stderr line at most ten times a second; `done` clears it. */
function progressLine(terminal: ProgressTerminal | null) {
  if (!terminal) return { update: undefined, done: () => {} }
  let shownAt = 0
  return {
    update(progress: CopyProgress) {
      const now = performance.now()
      if (now - shownAt < 100 && progress.copied < progress.total) return
      shownAt = now
      const share = progress.allTotal === 0 ? 100 : Math.floor((100 * progress.allCopied) / progress.allTotal)
      terminal.write(
        `\r\x1b[2Kcopying ${progress.table}: ${grouped(progress.copied)} of ${grouped(progress.total)} rows (all tables: ${share} %)`,
      )
    },
    done: () => terminal.write('\r\x1b[2K'),
  }
}

function human(verb: string, result: CopyResult): string {
  const names = Object.keys(result.tables).sort()
  const width = Math.max(...names.map((name) => name.length))
  const lines = names.map((name) => `  ${name.padEnd(width)}  ${grouped(result.tables[name] ?? 0)}`)
  const rate = result.seconds > 0 ? Math.round(result.rows / result.seconds) : result.rows
  const shifted =
    result.renumbered.length > 0
      ? [
          `Numbers of ${result.renumbered.join(' and ')} were shifted per organization to fit the target ` +
            '(order and cursors kept; see docs/operations.md, "Copying and backing up the store").',
        ]
      : []
  return [
    `${verb} ${grouped(result.rows)} rows from ${result.from} to ${result.to}:`,
    ...lines,
    ...shifted,
    `in ${result.seconds.toFixed(1)} s (${grouped(rate)} rows/s); row counts verified per table.`,
  ].join('\n')
}

/** Hides the passwords of the given URLs in a message that may quote them (a driver's error). */
function scrub(message: string, locations: StoreLocation[]): string {
  let text = message
  for (const where of locations) {
    if (where.kind !== 'postgres') continue
    try {
      const password = decodeURIComponent(new URL(where.url).password)
      if (password) text = text.replaceAll(password, '***')
    } catch {
      // An unparsable URL was refused before anything could quote it.
    }
  }
  return text
}

/** Runs `store copy` or `backup`; the exit code. */
export async function runCopyCommand(
  name: string,
  flags: Flags,
  config: Config,
  io: CliIo,
  terminal: ProgressTerminal | null = processTerminal(io),
): Promise<number> {
  if (flags.has('help')) {
    io.out(COMMAND_HELP[name] ?? '')
    return EXIT.ok
  }
  const locations: StoreLocation[] = []
  const line = progressLine(terminal)
  try {
    let result: CopyResult
    if (name === 'store copy') {
      const from = location(flags, 'from')
      const to = location(flags, 'to')
      locations.push(from, to)
      result = await copyStore(from, to, { force: flags.has('force'), progress: line.update })
    } else {
      const out = required(flags, 'out')
      const from = storeLocation(config.databaseUrl)
      locations.push(from)
      result = await backupStore(from, out, { force: flags.has('force'), progress: line.update })
    }
    line.done()
    const { from, to, tables, seconds } = result
    print(io, flags, { from, to, tables, seconds }, human(name === 'backup' ? 'Backed up' : 'Copied', result))
    return EXIT.ok
  } catch (error) {
    line.done()
    if (error instanceof UsageError) {
      if (flags.has('json')) io.out(JSON.stringify({ error: { code: 'USAGE', message: error.message } }))
      io.err(`error: ${error.message}`)
      return EXIT.usage
    }
    const code = error instanceof CopyRefused ? error.code : 'FAILED'
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0] as string
    const message = scrub(reason, locations)
    if (flags.has('json')) {
      const tables = error instanceof CopyRefused && error.tables ? { tables: error.tables } : {}
      io.out(JSON.stringify({ error: { code, message, ...tables } }))
    }
    io.err(`error: ${message}`)
    return EXIT.refused
  }
}
