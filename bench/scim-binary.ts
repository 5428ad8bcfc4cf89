/**
 * Bench helper: builds the single executable with `bun run build` (→ dist/okta-bridge), runs its
 * CLI on a data dir, and starts it as a server on a free port, its log discarded (a pipe nobody reads
 * would block it) and errors on the bench's stderr. `buildBare` compiles the scheduler-less
 * baseline (bench/bare-server.ts) with the same bundler flags.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'

export const ROOT = resolve(import.meta.dir, '..')
export const BINARY = resolve(ROOT, 'dist/okta-bridge')
export const BARE_BINARY = resolve(ROOT, 'dist/okta-bridge-bare')

export function build(): void {
  const result = Bun.spawnSync([process.execPath, 'run', 'build'], {
    cwd: ROOT,
    stdout: 'pipe',
    stderr: 'pipe',
  })
  if (result.exitCode !== 0) throw new Error(`bun run build failed:\n${result.stderr.toString()}`)
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
  const result = Bun.spawnSync([BINARY, ...args, '--data-dir', dataDir, '--json'], {
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
): Promise<Server> {
  const port = freePort()
  const proc = Bun.spawn(
    [
      ...(bare ? [BARE_BINARY] : [BINARY, 'serve']),
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
