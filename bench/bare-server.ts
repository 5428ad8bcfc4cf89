/**
 * Bench baseline: the server exactly as `startServer` (src/main.ts) wires it — same store, app and
 * fetch handler — but WITHOUT the sync scheduler and with SQLite's own automatic checkpoints.
 * `bench/scim-push.ts --baseline` compiles it like the product (`bun build --compile`, same flags)
 * and pushes the same users through it in the same run, so the product's figures can be read
 * against what the SCIM path alone does on the machine at that moment. Never shipped.
 *
 *   okta-bridge-bare --port N --host 127.0.0.1 --data-dir DIR
 */
import { loadConfig, parseFlags, sqlitePath } from '../src/config/index.ts'
import { createApp, createFetch } from '../src/http/app.ts'
import type { AppDeps } from '../src/http/context.ts'
import { createLogger } from '../src/observability/log.ts'
import { createMetrics } from '../src/observability/metrics.ts'
import { openStore } from '../src/store/index.ts'

const { flags } = parseFlags(Bun.argv.slice(2))
const config = loadConfig(flags, process.env)
const log = createLogger(config.logLevel)
const metrics = createMetrics()
const store = openStore(sqlitePath(config), (operation, seconds) =>
  metrics.storeDuration.observe({ operation }, seconds),
)
let handle: ReturnType<typeof createFetch> | null = null
const server = Bun.serve({
  port: config.port,
  hostname: config.host,
  maxRequestBodySize: Math.max(config.maxBodyBytes * 64, 256 * 1024 * 1024),
  fetch: (request, bun) => (handle ? handle(request, bun) : new Response('starting', { status: 503 })),
})
if (config.publicUrl === 'http://localhost:0') config.publicUrl = `http://localhost:${server.port}`
const deps: AppDeps = { config, store, log, metrics, version: 'bench-bare' }
handle = createFetch(createApp(deps), deps)
process.once('SIGTERM', async () => {
  await server.stop(false)
  await store.close()
  process.exit(0)
})
