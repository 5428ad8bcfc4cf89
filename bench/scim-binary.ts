/**
 * Bench helper: builds the single executable with `bun run build` (→ dist/okta-bridge), runs its
 * CLI on a data dir, and starts it as a server on a free port, its log discarded (a pipe nobody reads
 * would block it) and errors on the bench's stderr. `buildBare` compiles the scheduler-less
 * baseline (bench/bare-server.ts) with the same bundler flags. `buildRevision` builds the binary
 * of another commit (`git archive` into a temp folder, this checkout's node_modules linked), so a
 * bench can run the old and the new binary in the same session.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export const ROOT = resolve(import.meta.dir, '..')
export const BINARY = resolve(ROOT, 'dist/okta-bridge')
export const BARE_BINARY = resolve(ROOT, 'dist/okta-bridge-bare')

/** `bun run build` in `root` (this checkout by default); answers the binary's path. */
export function build(root = ROOT): string {
  const result = Bun.spawnSync([process.execPath, 'run', 'build'], {
    cwd: root,
    stdout: 'pipe',
    stderr: 'pipe',
  })
  if (result.exitCode !== 0) throw new Error(`bun run build failed:\n${result.stderr.toString()}`)
  return resolve(root, 'dist/okta-bridge')
}

/** Builds the binary of commit `revision` in a temp folder; answers its path. */
export function buildRevision(revision: string): string {
  const root = mkdtempSync(join(tmpdir(), 'okb-rev-'))
  const unpack = Bun.spawnSync(
    ['sh', '-c', `git -C "$0" archive "$1" | tar -x -C "$2"`, ROOT, revision, root],
    {
      stdout: 'pipe',
      stderr: 'pipe',
    },
  )
  if (unpack.exitCode !== 0 || !existsSync(join(root, 'package.json')))
    throw new Error(`git archive ${revision} failed: ${unpack.stderr.toString()}`)
  symlinkSync(resolve(ROOT, 'node_modules'), join(root, 'node_modules'))
  return build(root)
}

/** Compiles bench/bare-server.ts like the product (the flags of the `build` script). */
export function buildBare(): void {
  const result = Bun.spawnSync(
    [
      process.execPath,
      'build',
      '--compile',
      '--minify-syntax',
      '--minify-whitespace',
      'bench/bare-server.ts',
      '--outfile',
      BARE_BINARY,
    ],
    { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' },
  )
  if (result.exitCode !== 0) throw new Error(`baseline build failed:\n${result.stderr.toString()}`)
}

/** Runs one CLI command with `--json` and returns its parsed output. */
export function cli(dataDir: string, ...args: string[]): Record<string, string> {
  return cliOf(BINARY, {}, dataDir, ...args)
}

/** The same with another binary and extra environment (e.g. DATABASE_URL). */
export function cliOf(
  binary: string,
  env: Record<string, string>,
  dataDir: string,
  ...args: string[]
): Record<string, string> {
  const result = Bun.spawnSync([binary, ...args, '--data-dir', dataDir, '--json'], {
    env: { ...process.env, ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  if (result.exitCode !== 0)
    throw new Error(`okta-bridge ${args.join(' ')} failed: ${result.stderr.toString()}`)
  return JSON.parse(result.stdout.toString()) as Record<string, string>
}

export interface Server {
  url: string
  pid: number
  stop(): Promise<void>
}

/** CPU seconds used so far by a process's threads: its main (HTTP) thread, its Worker threads
 * (the sync scheduler) and the rest (JIT, GC helpers) — Linux /proc. */
export function threadCpu(pid: number): { main: number; worker: number; other: number } {
  const cpu = { main: 0, worker: 0, other: 0 }
  let tasks: string[] = []
  try {
    tasks = readdirSync(`/proc/${pid}/task`)
  } catch {
    return cpu
  }
  for (const tid of tasks) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      // utime and stime, in clock ticks (USER_HZ = 100 on Linux).
      const seconds = (Number(fields[11]) + Number(fields[12])) / 100
      if (tid === String(pid)) cpu.main += seconds
      else if (name === 'Worker') cpu.worker += seconds
      else cpu.other += seconds
    } catch {
      // the thread ended meanwhile
    }
  }
  return cpu
}

/**
 * CPU seconds used so far by a process and its children (PostgreSQL's postmaster and its backends):
 * the process's own time, its reaped children's, and its live children's.
 */
export function treeCpu(rootPid: number): number {
  const fieldsOf = (pid: string) => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  }
  let ticks = 0
  try {
    const root = fieldsOf(String(rootPid))
    ticks += Number(root[11]) + Number(root[12]) + Number(root[13]) + Number(root[14])
  } catch {
    return 0
  }
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    try {
      const fields = fieldsOf(pid)
      if (Number(fields[1]) === rootPid) ticks += Number(fields[11]) + Number(fields[12])
    } catch {
      // gone meanwhile
    }
  }
  return ticks / 100
}

/** A port nobody listens on right now. */
function freePort(): number {
  const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const port = probe.port
  probe.stop(true)
  return port
}

/** Starts `okta-bridge serve` (or the baseline) on a free port; resolves once /healthz answers. */
export async function startServer(
  dataDir: string,
  env: Record<string, string> = {},
  bare = false,
  binary = BINARY,
): Promise<Server> {
  const port = freePort()
  const proc = Bun.spawn(
    [
      ...(bare ? [BARE_BINARY] : [binary, 'serve']),
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--data-dir',
      dataDir,
    ],
    {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdin: 'ignore',
      stdout: 'ignore',
      stderr: 'inherit',
    },
  )
  const url = `http://127.0.0.1:${port}`
  const stop = async () => {
    proc.kill('SIGTERM')
    await proc.exited
  }
  for (let attempt = 0; ; attempt++) {
    if (proc.exitCode !== null) throw new Error(`the server exited with ${proc.exitCode}`)
    try {
      if ((await fetch(`${url}/healthz`)).status === 200) break
    } catch {
      // not listening yet
    }
    if (attempt > 200) {
      await stop()
      throw new Error('the server did not answer /healthz within 20 s')
    }
    await Bun.sleep(100)
  }
  return { url, pid: proc.pid, stop }
}
