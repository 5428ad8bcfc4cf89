/**
 * Bench helper: builds the single executable with `bun run build` (→ dist/okta-bridge), runs its
 * CLI on a data dir, and starts it as a server on a free port, its log discarded (a pipe nobody reads
 * would block it) and errors on the bench's stderr.
 */
import { resolve } from 'node:path'

export const ROOT = resolve(import.meta.dir, '..')
export const BINARY = resolve(ROOT, 'dist/okta-bridge')

export function build(): void {
  const result = Bun.spawnSync([process.execPath, 'run', 'build'], {
    cwd: ROOT,
    stdout: 'pipe',
    stderr: 'pipe',
  })
  if (result.exitCode !== 0) throw new Error(`bun run build failed:\n${result.stderr.toString()}`)
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
  stop(): Promise<void>
}

/** A port nobody listens on right now. */
function freePort(): number {
  const probe = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const port = probe.port
  probe.stop(true)
  return port
}

/** Starts `okta-bridge serve` on a free port and resolves once /healthz answers. */
export async function startServer(dataDir: string, env: Record<string, string> = {}): Promise<Server> {
  const port = freePort()
  const proc = Bun.spawn(
    [BINARY, 'serve', '--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir],
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
  return { url, stop }
}
