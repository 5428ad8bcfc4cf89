/**
 * The composition root and the binary's entry point: reads the config once, opens the store, wires
 * the features, starts the HTTP server and the sync scheduler; or runs one CLI command.
 */
import pkg from '../package.json'
import { runStoreCommand, UsageError } from './cli/commands.ts'
import { COMMAND_HELP, MAIN_HELP } from './cli/help.ts'
import { type CliIo, EXIT, processIo } from './cli/output.ts'
import { type Config, ConfigError, loadConfig, parseFlags, sqlitePath } from './config/index.ts'
import { createApp, createFetch } from './http/app.ts'
import type { AppDeps } from './http/context.ts'
import { createLogger, type Logger } from './observability/log.ts'
import { createMetrics } from './observability/metrics.ts'
import { openStore } from './store/index.ts'
import { createScheduler } from './sync/scheduler.ts'

export const VERSION: string = pkg.version

export interface RunningServer {
  url: string
  port: number
  stop(): Promise<void>
}

/** Opens everything and starts serving. Used by `serve` and by in-process end-to-end tests. */
export function startServer(config: Config, log: Logger = createLogger(config.logLevel)): RunningServer {
  const metrics = createMetrics()
  const store = openStore(sqlitePath(config), (operation, seconds) =>
    metrics.storeDuration.observe({ operation }, seconds),
  )
  const deps: AppDeps = { config, store, log, metrics, version: VERSION }
  const app = createApp(deps)
  const fetch = createFetch(app, deps)
  const server = Bun.serve({
    port: config.port,
    hostname: config.host,
    maxRequestBodySize: config.maxBodyBytes,
    fetch,
  })
  // With --port 0 the OS picks the port; the default public URL must name the real one.
  if (config.publicUrl === 'http://localhost:0') config.publicUrl = `http://localhost:${server.port}`
  const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${server.port}`
  log.info('listening', { url, publicUrl: config.publicUrl, store: sqlitePath(config), version: VERSION })
  const scheduler = createScheduler({ store, log, metrics, config })
  scheduler.start()
  let stopping: Promise<void> | null = null
  return {
    url,
    port: server.port ?? config.port,
    stop() {
      stopping ??= (async () => {
        // In-flight requests and the current sync batch finish before the store closes.
        await Promise.all([server.stop(false), scheduler.stop()])
        store.close()
        log.info('stopped')
      })()
      return stopping
    },
  }
}

export async function main(
  argv: string[],
  env: Record<string, string | undefined>,
  io: CliIo,
): Promise<number> {
  const { flags, positionals } = parseFlags(argv)
  if (flags.has('version') || positionals[0] === 'version') {
    io.out(flags.has('json') ? JSON.stringify({ version: VERSION }) : `okta-bridge ${VERSION}`)
    return EXIT.ok
  }
  const command = positionals.length === 0 ? 'serve' : positionals.slice(0, 2).join(' ')
  if (command === 'help' || (flags.has('help') && positionals.length === 0)) {
    io.out(MAIN_HELP)
    return EXIT.ok
  }
  if (command.startsWith('serve') && flags.has('help')) {
    io.out(COMMAND_HELP.serve as string)
    return EXIT.ok
  }
  let config: Config
  try {
    config = loadConfig(flags, env)
  } catch (error) {
    if (error instanceof ConfigError) {
      io.err(`okta-bridge: invalid setting ${error.message}`)
      return EXIT.usage
    }
    throw error
  }
  if (command === 'serve' || positionals[0] === 'serve') {
    const server = startServer(config)
    await new Promise<void>((resolve) => {
      const shutdown = () => {
        server.stop().then(resolve, resolve)
      }
      process.once('SIGTERM', shutdown)
      process.once('SIGINT', shutdown)
    })
    return EXIT.ok
  }
  if (COMMAND_HELP[command] === undefined) {
    io.err(`okta-bridge: unknown command "${positionals.join(' ')}"; see okta-bridge --help`)
    return EXIT.usage
  }
  try {
    return await runStoreCommand(command, flags, config, io)
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`error: ${error.message}`)
      return EXIT.usage
    }
    io.err(`error: ${error instanceof Error ? error.message : String(error)}`)
    return EXIT.refused
  }
}

if (import.meta.main) {
  const code = await main(Bun.argv.slice(2), process.env, processIo)
  process.exit(code)
}
