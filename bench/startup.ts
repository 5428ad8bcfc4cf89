/**
 * Binary size, cold start (spawn → first 200 from /healthz) and idle RSS of the compiled executable.
 * Run: npx bun bench/startup.ts [runs]   (builds dist/okta-bridge first)
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dir, '..')
const runs = Number(process.argv[2] ?? 10)
const binary = join(root, 'dist/okta-bridge')
const build = Bun.spawnSync([process.execPath, 'run', 'build'], {
  cwd: root,
  stdout: 'ignore',
  stderr: 'inherit',
})
if (build.exitCode !== 0) process.exit(1)

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
  return kb / 1024
}

const starts: number[] = []
const rss: number[] = []
for (let i = 0; i < runs; i++) {
  const dataDir = mkdtempSync(join(tmpdir(), 'okb-start-'))
  const port = 20000 + Math.floor(Math.random() * 20000)
  const t0 = performance.now()
  const proc = Bun.spawn(
    [
      binary,
      'serve',
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--data-dir',
      dataDir,
      '--log-level',
      'warn',
    ],
    {
      stdout: 'ignore',
      stderr: 'ignore',
    },
  )
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`)
      if (res.status === 200) break
    } catch {}
    await Bun.sleep(2)
  }
  starts.push(performance.now() - t0)
  await Bun.sleep(2000)
  rss.push(rssMb(proc.pid))
  proc.kill('SIGTERM')
  await proc.exited
  rmSync(dataDir, { recursive: true, force: true })
}
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b)
const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)] as number
console.log(
  JSON.stringify(
    {
      binaryBytes: statSync(binary).size,
      binaryMiB: +(statSync(binary).size / 2 ** 20).toFixed(1),
      runs,
      coldStartMs: {
        median: +median(starts).toFixed(1),
        min: +sorted(starts)[0]!.toFixed(1),
        max: +sorted(starts).at(-1)!.toFixed(1),
      },
      idleRssMiB: { median: +median(rss).toFixed(1), max: +sorted(rss).at(-1)!.toFixed(1) },
    },
    null,
    2,
  ),
)
