/** Every setting of the server as one TypeBox schema: the one source of its names, types and bounds. */
import { type Static, Type as T } from '@sinclair/typebox'

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
  samlAttemptRetentionDays: T.Integer({
    minimum: 1,
    maximum: 3650,
    description: 'Days SAML sign-in attempts (their traces) are kept',
  }),
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
  metadataRefreshIntervalSeconds: T.Integer({
    minimum: 60,
    maximum: 7 * 24 * 3600,
    description: 'How often IdP metadata set up by URL is fetched again, in seconds (±10 % jitter)',
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
