/**
 * The flag and environment variable of every setting in src/config/index.ts's schema, with the help
 * text `--help` and the README tables show. One row per setting; the schema says what is valid.
 */
import type { Config } from './schema.ts'

/** A setting that can be given as a flag and as an environment variable. */
export interface Setting {
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
    key: 'samlAttemptRetentionDays',
    flag: 'saml-attempt-retention-days',
    env: 'SAML_ATTEMPT_RETENTION_DAYS',
    kind: 'integer',
    help: 'days SAML sign-in attempts are kept for debugging (30)',
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
    key: 'metadataRefreshIntervalSeconds',
    flag: 'metadata-refresh-interval',
    env: 'METADATA_REFRESH_INTERVAL',
    kind: 'integer',
    help: 'seconds between fetches of IdP metadata set up by URL, ±10 % jitter (3600)',
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
