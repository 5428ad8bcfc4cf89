/**
 * Every setting of the server (schema: ./schema.ts, flags and variables: ./settings.ts), read once at start from flags
 * (`--port 8080` or `--port=8080`) and the environment (`PORT`). Flags win over the environment.
 * Nothing else in the code base reads `process.env`.
 */
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { Value } from '@sinclair/typebox/value'
import { type Config, ConfigSchema } from './schema.ts'
import { SETTINGS, type Setting } from './settings.ts'
import { readTlsPair, TlsFilesError } from './tls.ts'

export { parseFlags } from './flags.ts'
export { type Config, ConfigSchema } from './schema.ts'
export { SETTINGS } from './settings.ts'

/** Settings whose value never appears in an error message. */
const HIDDEN = new Set<string>([
  'databaseUrl',
  'metricsToken',
  'secretKey',
  'githubClientSecret',
  'bitbucketClientSecret',
])

export class ConfigError extends Error {}

/** What a valid value looks like, for the one-line error (TypeBox's own words are too generic). */
const EXPECTED: Partial<Record<keyof Config, string>> = {
  port: 'use a port number from 0 to 65535',
  host: 'use an interface address such as 0.0.0.0 or 127.0.0.1',
  publicUrl: 'use an http(s) URL without query or fragment, such as https://sso.example.com',
  logLevel: 'use one of debug, info, warn, error',
  maxBodyBytes: 'use a whole number of bytes, at least 1024',
  databasePoolSize: 'use a whole number of connections from 1 to 1000',
  samlMaxAssertionValidityMinutes: 'use a whole number of minutes from 1 to 43200 (30 days)',
  syncIntervalMs: 'use a whole number of milliseconds, at least 10',
  fullReconcileIntervalMs: 'use a whole number of milliseconds, at least 1000',
  trustProxy: 'use a number of proxy hops (0 to 32) or proxy networks such as 10.0.0.0/8,fd00::/8',
  auditRetentionDays: 'use a whole number of days, 0 to keep the audit log forever',
  samlAttemptRetentionDays: 'use a whole number of days from 1 to 3650',
  metricsToken: 'use a random token of at least 16 characters, e.g. from openssl rand -hex 16',
  metricsPort: 'use a port number from 0 to 65535',
  secretKey: 'use at least 32 characters, e.g. the output of openssl rand -base64 32',
  metadataRefreshIntervalSeconds: 'use a whole number of seconds from 60 to 604800 (7 days)',
  webhookTimeoutMs: 'use a whole number of milliseconds from 100 to 120000',
  webhookFailureWindowSeconds: 'use a whole number of seconds, at least 1',
  webhookRetryMs: 'use 1 to 32 comma-separated whole numbers of milliseconds, such as 5000,30000,120000',
}

/** TRUST_PROXY: a boolean word (true = one hop), a hop count, or comma-separated proxy networks. */
function trustProxyOf(setting: Setting, raw: string): Config['trustProxy'] {
  const v = raw.trim().toLowerCase()
  if (['0', 'false', 'no', 'off', ''].includes(v)) return { hops: 0 }
  if (['true', 'yes', 'on'].includes(v)) return { hops: 1 }
  if (/^\d+$/.test(v)) return { hops: Number(v) }
  const networks = v.split(',').map((part) => part.trim())
  for (const network of networks) {
    const [address = '', prefix, extra] = network.split('/')
    const bits = isIP(address) === 4 ? 32 : isIP(address) === 6 ? 128 : 0
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits)
    if (!bits || extra !== undefined || !prefixOk) {
      throw new ConfigError(
        `${setting.env}: "${network}" is not a hop count or a proxy network (such as 10.0.0.0/8)`,
      )
    }
  }
  return { networks }
}

function coerce(setting: Setting, raw: string): unknown {
  if (setting.kind === 'proxies') return trustProxyOf(setting, raw)
  if (setting.kind === 'integers') {
    const parts = raw.split(',').map((part) => part.trim())
    if (!parts.every((part) => /^\d{1,12}$/.test(part))) {
      throw new ConfigError(`${setting.env}: "${raw}" is not a comma-separated list of whole numbers`)
    }
    return parts.map(Number)
  }
  if (setting.kind === 'integer') {
    if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(`${setting.env}: "${raw}" is not a whole number`)
    return Number(raw)
  }
  if (setting.kind === 'boolean') {
    const v = raw.trim().toLowerCase()
    if (['1', 'true', 'yes', 'on'].includes(v)) return true
    if (['0', 'false', 'no', 'off', ''].includes(v)) return false
    throw new ConfigError(`${setting.env}: "${raw}" is not a boolean (use 1 or 0)`)
  }
  return raw
}

/** Builds the validated config, or throws a ConfigError whose message is one line naming the setting. */
export function loadConfig(flags: Map<string, string>, env: Record<string, string | undefined>): Config {
  const raw: Record<string, unknown> = {
    port: 3000,
    host: '0.0.0.0',
    dataDir: './data',
    logLevel: 'info',
    trustProxy: { hops: 0 },
    auditRetentionDays: 90,
    samlAttemptRetentionDays: 30,
    maxBodyBytes: 1024 * 1024,
    databasePoolSize: 10,
    samlMaxAssertionValidityMinutes: 24 * 60,
    syncIntervalMs: 200,
    fullReconcileIntervalMs: 3_600_000,
    allowPrivateOutbound: false,
    metadataRefreshIntervalSeconds: 3600,
    webhookTimeoutMs: 10_000,
    webhookFailureWindowSeconds: 24 * 60 * 60,
    webhookRetryMs: [5_000, 30_000, 120_000, 600_000, 3_600_000],
  }
  for (const setting of SETTINGS) {
    const fromFlag = flags.get(setting.flag)
    const fromEnv = env[setting.env]
    const value = fromFlag ?? (fromEnv === undefined || fromEnv === '' ? undefined : fromEnv)
    if (value !== undefined) raw[setting.key] = coerce(setting, value)
  }
  if (raw.databaseUrl === undefined)
    raw.databaseUrl = `${String(raw.dataDir).replace(/\/+$/, '')}/okta-bridge.sqlite`
  checkTlsFiles(raw)
  if (raw.publicUrl === undefined)
    raw.publicUrl = `${raw.tlsCertFile === undefined ? 'http' : 'https'}://localhost:${raw.port}`
  if (typeof raw.publicUrl === 'string') raw.publicUrl = raw.publicUrl.replace(/\/+$/, '')
  readSecretKeyFile(raw)
  if (typeof raw.databaseUrl === 'string') checkDatabaseUrl(raw.databaseUrl)
  const firstError = Value.Errors(ConfigSchema, raw).First()
  if (firstError) {
    const key = firstError.path.replace(/^\//, '').split('/')[0] ?? ''
    const setting = SETTINGS.find((s) => s.key === key)
    const name = setting ? `${setting.env} (--${setting.flag})` : key
    const shown = HIDDEN.has(key) ? '(value not shown)' : JSON.stringify(raw[key])
    throw new ConfigError(
      `${name}: ${shown} is invalid: ${EXPECTED[key as keyof Config] ?? firstError.message}`,
    )
  }
  return raw as Config
}

/** A SQLite path (or sqlite:// / file: URL), or a PostgreSQL URL naming a host and a database. */
function checkDatabaseUrl(value: string): void {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase()
  if (scheme === undefined || scheme === 'sqlite' || scheme === 'file') return
  const hint = 'use a SQLite file path (or sqlite://path) or postgres://user:password@host:5432/database'
  if (scheme !== 'postgres' && scheme !== 'postgresql') {
    throw new ConfigError(`DATABASE_URL (--database-url): ${scheme}:// is not a supported store: ${hint}`)
  }
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ConfigError(`DATABASE_URL (--database-url): (value not shown) is not a valid URL: ${hint}`)
  }
  if (!url.hostname || url.pathname.replace(/^\//, '') === '') {
    throw new ConfigError(`DATABASE_URL (--database-url): name the host and the database: ${hint}`)
  }
}

/** --tls-cert and --tls-key come together, and the files are a usable pair (src/config/tls.ts). */
function checkTlsFiles(raw: Record<string, unknown>): void {
  const { tlsCertFile: certFile, tlsKeyFile: keyFile } = raw
  if (certFile === undefined && keyFile === undefined) return
  if (typeof certFile !== 'string' || typeof keyFile !== 'string') {
    const missing = certFile === undefined ? 'TLS_CERT_FILE (--tls-cert)' : 'TLS_KEY_FILE (--tls-key)'
    throw new ConfigError(`${missing}: HTTPS needs both --tls-cert and --tls-key`)
  }
  try {
    readTlsPair({ certFile, keyFile })
  } catch (error) {
    if (error instanceof TlsFilesError) throw new ConfigError(error.message)
    throw error
  }
}

/** SECRET_KEY_FILE becomes `secretKey` (its content, trimmed): the rest of the code sees one setting. */
function readSecretKeyFile(raw: Record<string, unknown>): void {
  if (typeof raw.secretKey === 'string') raw.secretKey = raw.secretKey.trim()
  const file = raw.secretKeyFile
  if (typeof file !== 'string') return
  if (raw.secretKey !== undefined) {
    throw new ConfigError('SECRET_KEY_FILE (--secret-key-file): set SECRET_KEY or SECRET_KEY_FILE, not both')
  }
  try {
    raw.secretKey = readFileSync(file, 'utf8').trim()
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable'
    throw new ConfigError(
      `SECRET_KEY_FILE (--secret-key-file): cannot read ${JSON.stringify(file)} (${code})`,
    )
  }
}

/** The SQLite file (or ':memory:') named by `databaseUrl` (a PostgreSQL URL is not one: see store). */
export function sqlitePath(config: Pick<Config, 'databaseUrl'>): string {
  return config.databaseUrl.replace(/^sqlite:\/\//, '').replace(/^file:/, '')
}
