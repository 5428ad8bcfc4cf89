/**
 * Bench helper: builds the single executable with `bun run build` (→ dist/okta-bridge), runs its
 * CLI on a data dir, and starts it as a server on a free port (`--port 0`), draining its stdout so
 * the process never blocks on a full pipe.
 */
import { resolve } from 'node:path'

export const ROOT = resolve(import.meta.dir, '..')
export const BINARY = resolve(ROOT, 'dist/okta-bridge')

export function build(): void {
  const result = Bun.spawnSync([process.execPath, 'run', 'build'], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' })
  if (result.exitCode !== 0) throw new Error(`bun run build failed:\n${result.stderr.toString()}`)
}

/** Runs one CLI command with `--json` and returns its parsed output. */
export function cli(dataDir: string, ...args: string[]): Record<string, string> {
  const result = Bun.spawnSync([BINARY, ...args, '--data-dir', dataDir, '--json'], { stdout: 'pipe', stderr: 'pipe' })
  if (result.exitCode !== 0) throw new Error(`okta-bridge ${args.join(' ')} failed: ${result.stderr.toString()}`)
  return JSON.parse(result.stdout.toString()) as Record<string, string>
}

export interface Server {
  url: string
  stop(): Promise<void>
}

export async function startServer(dataDir: string, env: Record<string, string> = {}): Promise<Server> {
  const proc = Bun.spawn([BINARY, 'serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'inherit',
  })
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('the server did not report listening within 20 s')), 20_000)
    proc.exited.then((code) => fail(new Error(`the server exited with ${code}`)))
    ;(async () => {
      const decoder = new TextDecoder()
      let buffer = ''
      let found = false
      for await (const chunk of proc.stdout) {
        if (found) continue // keep draining
        buffer += decoder.decode(chunk, { stream: true })
        for (const line of buffer.split('\n')) {
          if (line.includes('"msg":"listening"')) {
            found = true
            clearTimeout(timer)
            ok(JSON.parse(line).url as string)
          }
        }
        buffer = buffer.slice(buffer.lastIndexOf('\n') + 1)
      }
    })().catch(fail)
  })
  return {
    url,
    async stop() {
      proc.kill('SIGTERM')
      await proc.exited
    },
  }
}
