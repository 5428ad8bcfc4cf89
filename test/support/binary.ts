/**
 * The compiled executable as a real process: built once per test run (`bun build --compile`, the
 * same as `bun run build`) into a temp folder, then started on a free port with its own data dir.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dir, '../..')
let built: string | null = null

/** Builds the binary (once per process) and returns its path. */
export function buildBinary(): string {
  if (built) return built
  const out = join(mkdtempSync(join(tmpdir(), 'okb-bin-')), 'okta-bridge')
  // Same flags as `bun run build`. Identifiers stay unminified: with --minify the compiled binary
  // skipped query bounds (`?limit=1001` was accepted) that `bun start` enforces.
  const result = Bun.spawnSync(
    [
      process.execPath,
      'build',
      '--compile',
      '--minify-syntax',
      '--minify-whitespace',
      'src/main.ts',
      'src/sync/worker.ts',
      '--outfile',
      out,
    ],
    {
      cwd: root,
      stdout: 'pipe',
      stderr: 'pipe',
    },
  )
  if (result.exitCode !== 0) throw new Error(`build failed: ${result.stderr.toString()}`)
  built = out
  return out
}

export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'okb-data-'))
}

export interface CommandResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs a one-shot command of the binary (CLI). */
export function runBinary(args: string[], env: Record<string, string> = {}, stdin?: string): CommandResult {
  const result = Bun.spawnSync([buildBinary(), ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdin: stdin === undefined ? 'ignore' : Buffer.from(stdin),
    stdout: 'pipe',
    stderr: 'pipe',
  })
  return { code: result.exitCode ?? -1, stdout: result.stdout.toString(), stderr: result.stderr.toString() }
}

export interface RunningBinary {
  url: string
  port: number
  proc: Bun.Subprocess<'ignore', 'pipe', 'pipe'>
  /** Every stdout line so far (JSON log lines). */
  lines: string[]
  /** Sends a signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number>
}

/** Starts `okta-bridge serve` on a free port and resolves once it logs that it is listening. */
export async function startBinary(args: string[], env: Record<string, string> = {}): Promise<RunningBinary> {
  const proc = Bun.spawn([buildBinary(), 'serve', '--port', '0', '--host', '127.0.0.1', ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const lines: string[] = []
  let resolveListening: (url: string) => void = () => {}
  let rejectListening: (error: Error) => void = () => {}
  const listening = new Promise<string>((ok, fail) => {
    resolveListening = ok
    rejectListening = fail
  })
  const pump = async () => {
    const decoder = new TextDecoder()
    let buffer = ''
    for await (const chunk of proc.stdout) {
      buffer += decoder.decode(chunk, { stream: true })
      let nl = buffer.indexOf('\n')
      while (nl >= 0) {
        const line = buffer.slice(0, nl)
        buffer = buffer.slice(nl + 1)
        lines.push(line)
        if (line.includes('"msg":"listening"')) resolveListening(JSON.parse(line).url)
        nl = buffer.indexOf('\n')
      }
    }
  }
  pump().catch(() => {})
  proc.exited.then(async (code) => {
    rejectListening(
      new Error(`exited with ${code} before listening: ${await new Response(proc.stderr).text()}`),
    )
  })
  const timer = setTimeout(() => rejectListening(new Error('not listening after 20 s')), 20_000)
  // Never leave a process behind when it did not come up (it would outlive the test run).
  const url = await listening.catch((error: Error) => {
    proc.kill('SIGKILL')
    throw error
  })
  clearTimeout(timer)
  return {
    url,
    port: Number(new URL(url).port),
    proc,
    lines,
    async stop(signal = 'SIGTERM') {
      proc.kill(signal)
      return await proc.exited
    },
  }
}
