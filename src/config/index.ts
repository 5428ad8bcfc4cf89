/**
 * Every setting of the server, declared once as a TypeBox schema, read once at start from flags
 * (`--port 8080` or `--port=8080`) and the environment (`PORT`). Flags win over the environment.
 * Nothing else in the code base reads `process.env`.
 */
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { type Static, Type as T } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { readTlsPair, TlsFilesError } from './tls.ts'

export { parseFlags } from './flags.ts'

const LogLevel = T.Union([T.Literal('debug'), T.Literal('info'), T.Literal('warn'), T.Literal('error')])

export const ConfigSchema = T.Object({
  port: T.Integer({ minimum: 0, maximum: 65535, description: 'TCP port to listen on' }),
  host: T.String({ minLength: 1, description: 'Interface to bind' }),
  dataDir: T.String({ minLength: 1, description: 'Folder of the SQLite file' }),
  databaseUrl: T.String({
    minLength: 1,
    description: 'Store location: a file path, sqlite://path or :memory:',
  }),
  publicUrl: T.String({ pattern: '^https?://[^/?#]+(/[^?#]*)?$', description: 'Public base URL' }),
  logLevel: LogLevel,
  trustProxy: T.Union(
    [
      T.Object({ hops: T.Integer({ minimum: 0, maximum: 32 }) }),
      T.Object({ networks: T.Array(T.String({ minLength: 1 }), { minItems: 1, maxItems: 100 }) }),
    ],
    { description: 'Which proxies may set X-Forwarded-*: a hop count or proxy networks' },
  ),
  auditRetentionDays: T.Integer({ minimum: 0, description: 'Days audit rows are kept (0 = forever)' }),
  maxBodyBytes: T.Integer({ minimum: 1024, description: 'Largest accepted request body' }),
  databasePoolSize: T.Integer({
    minimum: 1,
    maximum: 1000,
    description: 'PostgreSQL connections per instance',
  }),
  samlMaxAssertionValidityMinutes: T.Integer({
    minimum: 1,
    maximum: 43_200,
    description: 'Longest accepted SAML assertion validity (NotOnOrAfter − IssueInstant), in minutes',
  }),
  syncIntervalMs: T.Integer({ minimum: 10, description: 'Pause between scheduler ticks when idle' }),
  fullReconcileIntervalMs: T.Integer({
    minimum: 1000,
    description: 'How often every org is fully reconciled',
  }),
  githubClientId: T.Optional(T.String()),
  githubClientSecret: T.Optional(T.String()),
  bitbucketClientId: T.Optional(T.String()),
  bitbucketClientSecret: T.Optional(T.String()),
  oauthEndpointsJson: T.Optional(T.String({ description: 'Override OAuth endpoints (JSON), for tests' })),
  metricsToken: T.Optional(T.String({ minLength: 16, description: 'Bearer token that /metrics requires' })),
  metricsPort: T.Optional(
    T.Integer({ minimum: 0, maximum: 65535, description: 'Port of a second listener serving only /metrics' }),
  ),
  secretKey: T.Optional(T.String({ minLength: 32, description: 'Key sealing SP private keys in the store' })),
  secretKeyFile: T.Optional(T.String({ minLength: 1, description: 'File whose content is SECRET_KEY' })),
  tlsCertFile: T.Optional(
    T.String({ minLength: 1, description: 'PEM certificate (chain) served over HTTPS' }),
  ),
  tlsKeyFile: T.Optional(T.String({ minLength: 1, description: 'PEM private key of that certificate' })),
  allowPrivateOutbound: T.Boolean({
    description:
      'Let outbound requests (webhooks, IdP metadata) reach loopback, private and link-local addresses',
  }),
  webhookTimeoutMs: T.Integer({
    minimum: 100,
    maximum: 120_000,
    description: 'How long a webhook endpoint has to answer 2xx',
  }),
  webhookFailureWindowSeconds: T.Integer({
    minimum: 1,
    description: 'How long an endpoint may fail before it is disabled',
  }),
  webhookRetryMs: T.Array(T.Integer({ minimum: 1 }), {
    minItems: 1,
    maxItems: 32,
    description: 'Pauses before each retry, in ms; the last one repeats',
  }),
})

export type Config = Static<typeof ConfigSchema>

/** A setting that can be given as a flag and as an environment variable. */
interface Setting {
  key: keyof Config
  flag: string
  env: string
  kind: 'string' | 'integer' | 'boolean' | 'proxies' | 'integers'
  help: string
}

export const SETTINGS: Setting[] = [
  { key: 'port', flag: 'port', env: 'PORT', kind: 'integer', help: 'TCP port (default 3000)' },
  { key: 'host', flag: 'host', env: 'HOST', kind: 'string', help: 'interface to bind (default 0.0.0.0)' },
  { key: 'dataDir', flag: 'data-dir', env: 'DATA_DIR', kind: 'string', help: 'data folder (default ./data)' },
  {
    key: 'databaseUrl',
    flag: 'database-url',
    env: 'DATABASE_URL',
    kind: 'string',
    help: 'store: a SQLite file path (sqlite://path) or postgres://user:pass@host/db; overrides --data-dir',
  },
  {
    key: 'databasePoolSize',
    flag: 'database-pool-size',
    env: 'DATABASE_POOL_SIZE',
    kind: 'integer',
    help: 'PostgreSQL connections per instance (default 10)',
  },
  {
    key: 'publicUrl',
    flag: 'public-url',
    env: 'PUBLIC_URL',
    kind: 'string',
    help: 'public base URL (default http://localhost:{port}, https with --tls-cert)',
  },
  {
    key: 'logLevel',
    flag: 'log-level',
    env: 'LOG_LEVEL',
    kind: 'string',
    help: 'debug|info|warn|error (info)',
  },
  {
    key: 'trustProxy',
    flag: 'trust-proxy',
    env: 'TRUST_PROXY',
    kind: 'proxies',
    help: 'proxy hops in front, or proxy networks (10.0.0.0/8,fd00::/8) (0)',
  },
  {
    key: 'auditRetentionDays',
    flag: 'audit-retention-days',
    env: 'AUDIT_RETENTION_DAYS',
    kind: 'integer',
    help: 'days the audit log is kept, 0 = forever (90)',
  },
  {
    key: 'samlMaxAssertionValidityMinutes',
    flag: 'saml-max-assertion-validity',
    env: 'SAML_MAX_ASSERTION_VALIDITY',
    kind: 'integer',
    help: 'longest SAML assertion validity in minutes after IssueInstant (1440)',
  },
  {
    key: 'maxBodyBytes',
    flag: 'max-body-bytes',
    env: 'MAX_BODY_BYTES',
    kind: 'integer',
    help: 'largest request body in bytes (1048576)',
  },
  {
    key: 'syncIntervalMs',
    flag: 'sync-interval-ms',
    env: 'SYNC_INTERVAL_MS',
    kind: 'integer',
    help: 'scheduler idle pause in ms (200)',
  },
  {
    key: 'fullReconcileIntervalMs',
    flag: 'full-reconcile-interval-ms',
    env: 'FULL_RECONCILE_INTERVAL_MS',
    kind: 'integer',
    help: 'full reconcile period per org in ms (3600000)',
  },
  {
    key: 'githubClientId',
    flag: 'github-client-id',
    env: 'GITHUB_CLIENT_ID',
    kind: 'string',
    help: 'GitHub OAuth app',
  },
  {
    key: 'githubClientSecret',
    flag: 'github-client-secret',
    env: 'GITHUB_CLIENT_SECRET',
    kind: 'string',
    help: 'GitHub OAuth secret',
  },
  {
    key: 'bitbucketClientId',
    flag: 'bitbucket-client-id',
    env: 'BITBUCKET_CLIENT_ID',
    kind: 'string',
    help: 'Bitbucket OAuth consumer key',
  },
  {
    key: 'bitbucketClientSecret',
    flag: 'bitbucket-client-secret',
    env: 'BITBUCKET_CLIENT_SECRET',
    kind: 'string',
    help: 'Bitbucket OAuth secret',
  },
  {
    key: 'oauthEndpointsJson',
    flag: 'oauth-endpoints',
    env: 'OAUTH_ENDPOINTS',
    kind: 'string',
    help: 'JSON overriding OAuth endpoints',
  },
  {
    key: 'metricsToken',
    flag: 'metrics-token',
    env: 'METRICS_TOKEN',
    kind: 'string',
    help: '/metrics requires Authorization: Bearer <token>',
  },
  {
    key: 'metricsPort',
    flag: 'metrics-port',
    env: 'METRICS_PORT',
    kind: 'integer',
    help: 'serve /metrics only on this port (same host)',
  },
  {
    key: 'secretKey',
    flag: 'secret-key',
    env: 'SECRET_KEY',
    kind: 'string',
    help: 'encrypts SP private keys in the store (openssl rand -base64 32)',
  },
  {
    key: 'secretKeyFile',
    flag: 'secret-key-file',
    env: 'SECRET_KEY_FILE',
    kind: 'string',
    help: 'file whose content is SECRET_KEY',
  },
  {
    key: 'tlsCertFile',
    flag: 'tls-cert',
    env: 'TLS_CERT_FILE',
    kind: 'string',
    help: 'serve HTTPS with this PEM certificate (chain); re-read on SIGHUP',
  },
  {
    key: 'tlsKeyFile',
    flag: 'tls-key',
    env: 'TLS_KEY_FILE',
    kind: 'string',
    help: 'the PEM private key of --tls-cert; re-read on SIGHUP',
  },
  {
    key: 'allowPrivateOutbound',
    flag: 'allow-private-outbound',
    env: 'ALLOW_PRIVATE_OUTBOUND',
    kind: 'boolean',
    help: 'webhooks and metadata fetches may reach loopback/private/link-local addresses (0)',
  },
  {
    key: 'webhookTimeoutMs',
    flag: 'webhook-timeout-ms',
    env: 'WEBHOOK_TIMEOUT_MS',
    kind: 'integer',
    help: 'time a webhook endpoint has to answer 2xx, in ms (10000)',
  },
  {
    key: 'webhookFailureWindowSeconds',
    flag: 'webhook-failure-window',
    env: 'WEBHOOK_FAILURE_WINDOW',
    kind: 'integer',
    help: 'seconds an endpoint may keep failing before it is disabled (86400)',
  },
  {
    key: 'webhookRetryMs',
    flag: 'webhook-retry-ms',
    env: 'WEBHOOK_RETRY_MS',
    kind: 'integers',
    help: 'pauses before retries in ms, the last repeats (5000,30000,120000,600000,3600000)',
  },
]

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
  metricsToken: 'use a random token of at least 16 characters, e.g. from openssl rand -hex 16',
  metricsPort: 'use a port number from 0 to 65535',
  secretKey: 'use at least 32 characters, e.g. the output of openssl rand -base64 32',
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
    maxBodyBytes: 1024 * 1024,
    databasePoolSize: 10,
    samlMaxAssertionValidityMinutes: 24 * 60,
    syncIntervalMs: 200,
    fullReconcileIntervalMs: 3_600_000,
    allowPrivateOutbound: false,
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
