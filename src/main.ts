/**
 * The composition root and the binary's entry point: reads the config once, opens the store, wires
 * the features, starts the HTTP server, the sync scheduler, webhook delivery and the IdP metadata
 * refresh; or runs one CLI command.
 */
import pkg from '../package.json'
import { runStoreCommand, UsageError } from './cli/commands.ts'
import { runDoctor } from './cli/doctor.ts'
import { acceptsFlag, COMMAND_HELP, groupHelp, MAIN_HELP } from './cli/help.ts'
import { type CliIo, EXIT, processIo } from './cli/output.ts'
import { COPY_COMMANDS, runCopyCommand } from './cli/store-commands.ts'
import { type Config, ConfigError, loadConfig, parseFlags } from './config/index.ts'
import { startHousekeeping } from './housekeeping/index.ts'
import { createApp, createFetch } from './http/app.ts'
import type { AppDeps } from './http/context.ts'
import { metricsAccess, metricsListener } from './http/operations.ts'
import { startTlsFront, type TlsFront } from './http/tls-front.ts'
import { startMetadataRefresh } from './integration/metadata-refresh.ts'
import { createLogger, type Logger } from './observability/log.ts'
import { createMetrics } from './observability/metrics.ts'
import { createSecretBox } from './secrets/secret-box.ts'
import { announceFirstRun } from './setup/code.ts'
import { secureStoreFiles } from './store/database.ts'
import { describeLocation, openStoreAt, storeLocation } from './store/index.ts'
import { startSchedulerThread } from './sync/thread.ts'
import { startWebhookDelivery } from './webhooks/delivery.ts'

export const VERSION: string = pkg.version

export interface RunningServer {
  url: string
  port: number
  /** The METRICS_PORT listener's port, when there is one. */
  metricsPort: number | null
  /** SIGHUP: re-reads the TLS certificate and key (logged either way); false when they were refused. */
  reloadTls(): boolean
  stop(): Promise<void>
}

/** Opens everything and starts serving. Used by `serve` and by in-process end-to-end tests. */
export async function startServer(
  config: Config,
  log: Logger = createLogger(config.logLevel),
): Promise<RunningServer> {
  const metrics = createMetrics()
  const location = storeLocation(config.databaseUrl)
  const modes =
    location.kind === 'sqlite' ? secureStoreFiles(location.path) : { tightened: [], looseFolder: null }
  const store = await openStoreAt(location, {
    observe: (operation, seconds) => metrics.storeDuration.observe({ operation }, seconds),
    secrets: config.secretKey ? createSecretBox(config.secretKey) : null,
    poolSize: config.databasePoolSize,
  })
  // Before serving: an encrypted store without its key (or with another) refuses to start, and a
  // first start with a key seals the clear SP private keys.
  let secrets: Awaited<ReturnType<typeof store.secrets.unlock>>
  try {
    secrets = await store.secrets.unlock()
  } catch (error) {
    await store.close()
    throw error
  }
  // The app is built after the socket is bound: with --port 0 the OS picks the port, and the
  // default public URL (which SCIM locations and Okta values derive from) must name the real one.
  let handle: ReturnType<typeof createFetch> | null = null
  let server: ReturnType<typeof Bun.serve>
  // With TLS the HTTP server listens on a loopback port and the TLS front on the public one.
  const tlsFiles =
    config.tlsCertFile && config.tlsKeyFile
      ? { certFile: config.tlsCertFile, keyFile: config.tlsKeyFile }
      : null
  let tls: TlsFront | null = null
  try {
    server = Bun.serve({
      port: tlsFiles ? 0 : config.port,
      hostname: tlsFiles ? '127.0.0.1' : config.host,
      // Only a backstop: createFetch refuses bodies over maxBodyBytes itself, in the format of the
      // surface they were sent to (SCIM error, admin JSON, a page); Bun's own 413 has an empty body.
      maxRequestBodySize: Math.max(config.maxBodyBytes * 64, 256 * 1024 * 1024),
      fetch: (request, bun) =>
        handle
          ? handle(request, tls ? tls.peerServer(bun) : bun)
          : new Response('starting', { status: 503, headers: { 'retry-after': '1' } }),
    })
  } catch (error) {
    await store.close()
    throw error
  }
  if (tlsFiles) {
    try {
      tls = await startTlsFront({
        files: tlsFiles,
        host: config.host,
        port: config.port,
        upstreamPort: server.port as number,
      })
    } catch (error) {
      server.stop(true)
      await store.close()
      throw error
    }
  }
  const publicPort = tls ? tls.port : (server.port as number)
  let metricsServer: ReturnType<typeof Bun.serve> | null = null
  if (config.metricsPort !== undefined) {
    try {
      metricsServer = Bun.serve({
        port: config.metricsPort,
        hostname: config.host,
        maxRequestBodySize: 64 * 1024,
        fetch: metricsListener({ config, metrics }),
      })
    } catch (error) {
      server.stop(true)
      await store.close()
      throw error
    }
  }
  if (/^https?:\/\/localhost:0$/.test(config.publicUrl))
    config.publicUrl = config.publicUrl.replace(/:0$/, `:${publicPort}`)
  const deps: AppDeps = { config, store, log, metrics, version: VERSION }
  handle = createFetch(createApp(deps), deps)
  const url = `${tls ? 'https' : 'http'}://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${publicPort}`
  // No organization yet: the first lines say where to go and give the set-up code, whatever the level.
  await announceFirstRun(store, config, log)
  log.info('listening', {
    url,
    ...(tls ? { tls: { subject: tls.current.subject, notAfter: tls.current.notAfter.toISOString() } } : {}),
    publicUrl: config.publicUrl,
    store: describeLocation(location),
    version: VERSION,
    metrics: metricsAccess(config),
    ...(metricsServer ? { metricsPort: metricsServer.port } : {}),
    secretsAtRest: secrets.encrypted ? 'encrypted' : 'clear (set SECRET_KEY to encrypt SP private keys)',
  })
  if (secrets.sealed > 0) log.info('sealed SP private keys with SECRET_KEY', { count: secrets.sealed })
  if (modes.tightened.length > 0) {
    log.warn('store files were readable by others: now 0600', { files: modes.tightened })
  }
  if (modes.looseFolder) {
    log.warn('the data folder is readable by others: chmod 700 it', { folder: modes.looseFolder })
  }
  // The scheduler runs on its own thread. Its entry is resolved from this file: `bun build
  // --compile` embeds src/sync/worker.ts (the build's second entry point) relative to src/.
  const scheduler = startSchedulerThread(
    { store, log, metrics, config, location },
    new URL('./sync/worker.ts', import.meta.url),
  )
  // Webhook delivery: its own small loop on this thread (it waits on the network, not the CPU).
  const webhooks = startWebhookDelivery({ store, log, metrics, config })
  const housekeeping = startHousekeeping({ store, config, log })
  // IdP metadata refreshes and certificate expiry notices: a small loop of its own on this thread.
  const idpMetadata = startMetadataRefresh({ store, log, metrics, config })
  let stopping: Promise<void> | null = null
  return {
    url,
    port: publicPort,
    metricsPort: metricsServer?.port ?? null,
    reloadTls() {
      if (!tls) {
        log.info('SIGHUP: nothing to reload (no --tls-cert)')
        return true
      }
      try {
        const pair = tls.reload()
        log.info('TLS certificate reloaded', { subject: pair.subject, notAfter: pair.notAfter.toISOString() })
        return true
      } catch (error) {
        log.error('TLS certificate not reloaded: still serving the previous one', {
          reason: error instanceof Error ? error.message : String(error),
        })
        return false
      }
    },
    stop() {
      stopping ??= (async () => {
        // In-flight requests and the current sync batch finish before the store closes; the TLS
        // front's connections end as the HTTP server behind closes them.
        await Promise.all([
          tls?.stop(),
          server.stop(false),
          metricsServer?.stop(false),
          scheduler.stop(),
          webhooks.stop(),
          housekeeping.stop(),
          idpMetadata.stop(),
        ])
        await store.close()
        log.info('stopped')
      })()
      return stopping
    },
  }
}

/** A refused invocation: one line on stderr and, with --json, one error object on stdout. */
function refuse(io: CliIo, flags: Map<string, string>, code: string, message: string, exit: number): number {
  if (flags.has('json')) io.out(JSON.stringify({ error: { code, message } }))
  io.err(`okta-bridge: ${message}`)
  return exit
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
  const group = positionals[0] === 'serve' ? 'serve' : command
  if (flags.has('help') && groupHelp(group)) {
    io.out(groupHelp(group) as string)
    return EXIT.ok
  }
  const known = positionals[0] === 'serve' ? 'serve' : command
  if (COMMAND_HELP[known] === undefined || positionals.length > (known === 'serve' ? 1 : 2)) {
    return refuse(
      io,
      flags,
      'USAGE',
      `unknown command "${positionals.join(' ')}"; see okta-bridge --help`,
      EXIT.usage,
    )
  }
  // A mistyped flag (--data_dir) must not silently fall back to a default store.
  const unknownFlag = [...flags.keys()].find((flag) => !acceptsFlag(known, flag))
  if (unknownFlag !== undefined) {
    return refuse(
      io,
      flags,
      'USAGE',
      `unknown flag --${unknownFlag} for "${known}"; see okta-bridge ${known} --help`,
      EXIT.usage,
    )
  }
  // doctor reports an invalid setting as its first failed check rather than refusing to run.
  if (known === 'doctor') return runDoctor(flags, env, io)
  let config: Config
  try {
    config = loadConfig(flags, env)
  } catch (error) {
    if (error instanceof ConfigError)
      return refuse(io, flags, 'INVALID_SETTING', `invalid setting ${error.message}`, EXIT.usage)
    throw error
  }
  if (known === 'serve') {
    let server: RunningServer
    try {
      server = await startServer(config)
    } catch (error) {
      // An unusable data dir or a taken port: one line naming what, not a stack trace.
      const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0]
      return refuse(io, flags, 'CANNOT_START', `cannot start: ${reason}`, EXIT.usage)
    }
    await new Promise<void>((resolve) => {
      const shutdown = () => {
        server.stop().then(resolve, resolve)
      }
      process.once('SIGTERM', shutdown)
      process.once('SIGINT', shutdown)
      // SIGHUP re-reads the TLS files (a renewed certificate) without dropping connections.
      process.on('SIGHUP', () => server.reloadTls())
    })
    return EXIT.ok
  }
  if (COPY_COMMANDS.has(known)) return runCopyCommand(known, flags, config, io)
  try {
    return await runStoreCommand(command, flags, config, io)
  } catch (error) {
    if (error instanceof UsageError) return refuse(io, flags, 'USAGE', error.message, EXIT.usage)
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0] as string
    return refuse(io, flags, 'FAILED', reason, EXIT.refused)
  }
}

if (import.meta.main) {
  const code = await main(Bun.argv.slice(2), process.env, processIo)
  process.exit(code)
}
