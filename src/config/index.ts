/**
 * Every setting of the server, declared once as a TypeBox schema, read once at start from flags
 * (`--port 8080` or `--port=8080`) and the environment (`PORT`). Flags win over the environment.
 * Nothing else in the code base reads `process.env`.
 */
import { type Static, Type as T } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

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
  trustProxy: T.Boolean({ description: 'Honour X-Forwarded-Host/-Proto' }),
  maxBodyBytes: T.Integer({ minimum: 1024, description: 'Largest accepted request body' }),
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
})

export type Config = Static<typeof ConfigSchema>

/** A setting that can be given as a flag and as an environment variable. */
interface Setting {
  key: keyof Config
  flag: string
  env: string
  kind: 'string' | 'integer' | 'boolean'
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
    help: 'store location; overrides --data-dir (sqlite file path or sqlite://path)',
  },
  {
    key: 'publicUrl',
    flag: 'public-url',
    env: 'PUBLIC_URL',
    kind: 'string',
    help: 'public base URL (default http://localhost:{port})',
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
    kind: 'boolean',
    help: 'trust X-Forwarded-* (0)',
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
]

export class ConfigError extends Error {}

/** What a valid value looks like, for the one-line error (TypeBox's own words are too generic). */
const EXPECTED: Partial<Record<keyof Config, string>> = {
  port: 'use a port number from 0 to 65535',
  host: 'use an interface address such as 0.0.0.0 or 127.0.0.1',
  publicUrl: 'use an http(s) URL without query or fragment, such as https://sso.example.com',
  logLevel: 'use one of debug, info, warn, error',
  maxBodyBytes: 'use a whole number of bytes, at least 1024',
  syncIntervalMs: 'use a whole number of milliseconds, at least 10',
  fullReconcileIntervalMs: 'use a whole number of milliseconds, at least 1000',
}

/** Flags that are on by being present and never take a value. */
const SWITCHES = new Set(['json', 'help', 'version', 'password-stdin'])
const BOOLEAN_WORDS = ['1', 'true', 'yes', 'on', '0', 'false', 'no', 'off']

/** Splits `--name value` / `--name=value` flags out of argv; other words are returned as positionals. */
export function parseFlags(argv: string[]): { flags: Map<string, string>; positionals: string[] } {
  const flags = new Map<string, string>()
  const positionals: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string
    if (!word.startsWith('--')) {
      positionals.push(word)
      continue
    }
    const eq = word.indexOf('=')
    if (eq > 0) {
      flags.set(word.slice(2, eq), word.slice(eq + 1))
      continue
    }
    const name = word.slice(2)
    const next = argv[i + 1]
    // Switches never take the next word (`--json org create` is not json=org); --trust-proxy takes
    // it only when it is a boolean word.
    const takesValue = SWITCHES.has(name)
      ? false
      : name === 'trust-proxy'
        ? next !== undefined && BOOLEAN_WORDS.includes(next.trim().toLowerCase())
        : true
    if (takesValue && next !== undefined && !next.startsWith('--')) {
      flags.set(name, next)
      i++
    } else flags.set(name, 'true')
  }
  return { flags, positionals }
}

function coerce(setting: Setting, raw: string): unknown {
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
    trustProxy: false,
    maxBodyBytes: 1024 * 1024,
    syncIntervalMs: 200,
    fullReconcileIntervalMs: 3_600_000,
  }
  for (const setting of SETTINGS) {
    const fromFlag = flags.get(setting.flag)
    const fromEnv = env[setting.env]
    const value = fromFlag ?? (fromEnv === undefined || fromEnv === '' ? undefined : fromEnv)
    if (value !== undefined) raw[setting.key] = coerce(setting, value)
  }
  if (raw.databaseUrl === undefined)
    raw.databaseUrl = `${String(raw.dataDir).replace(/\/+$/, '')}/okta-bridge.sqlite`
  if (raw.publicUrl === undefined) raw.publicUrl = `http://localhost:${raw.port}`
  if (typeof raw.publicUrl === 'string') raw.publicUrl = raw.publicUrl.replace(/\/+$/, '')
  if (typeof raw.databaseUrl === 'string' && /^postgres(ql)?:\/\//.test(raw.databaseUrl)) {
    throw new ConfigError('DATABASE_URL: PostgreSQL is not supported yet; use a SQLite file path')
  }
  const firstError = Value.Errors(ConfigSchema, raw).First()
  if (firstError) {
    const key = firstError.path.replace(/^\//, '').split('/')[0] ?? ''
    const setting = SETTINGS.find((s) => s.key === key)
    const name = setting ? `${setting.env} (--${setting.flag})` : key
    throw new ConfigError(
      `${name}: ${JSON.stringify(raw[key])} is invalid: ${EXPECTED[key as keyof Config] ?? firstError.message}`,
    )
  }
  return raw as Config
}

/** The SQLite file (or ':memory:') named by `databaseUrl`. */
export function sqlitePath(config: Pick<Config, 'databaseUrl'>): string {
  return config.databaseUrl.replace(/^sqlite:\/\//, '').replace(/^file:/, '')
}
