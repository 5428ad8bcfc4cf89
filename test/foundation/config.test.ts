import { describe, expect, test } from 'bun:test'
import { ConfigError, loadConfig, parseFlags } from '../../src/config/index.ts'

describe('config', () => {
  test('defaults follow the spec', () => {
    const config = loadConfig(new Map(), {})
    expect(config.port).toBe(3000)
    expect(config.host).toBe('0.0.0.0')
    expect(config.dataDir).toBe('./data')
    expect(config.databaseUrl).toBe('./data/okta-bridge.sqlite')
    expect(config.publicUrl).toBe('http://localhost:3000')
    expect(config.trustProxy).toEqual({ hops: 0 })
  })

  test('flags win over the environment, both forms of flags parse', () => {
    const { flags, positionals } = parseFlags([
      'serve',
      '--port',
      '8080',
      '--data-dir=/srv/okb',
      '--trust-proxy',
    ])
    expect(positionals).toEqual(['serve'])
    const config = loadConfig(flags, {
      PORT: '9000',
      PUBLIC_URL: 'https://sso.example.com/',
      LOG_LEVEL: 'warn',
    })
    expect(config.port).toBe(8080)
    expect(config.dataDir).toBe('/srv/okb')
    expect(config.databaseUrl).toBe('/srv/okb/okta-bridge.sqlite')
    expect(config.publicUrl).toBe('https://sso.example.com')
    expect(config.trustProxy).toEqual({ hops: 1 })
    expect(config.logLevel).toBe('warn')
  })

  test('a PostgreSQL URL selects PostgreSQL, with a pool size', () => {
    const config = loadConfig(new Map(), {
      DATABASE_URL: 'postgresql://okb:secret@db.internal:5432/okb?sslmode=require',
      DATABASE_POOL_SIZE: '25',
    })
    expect(config.databaseUrl).toBe('postgresql://okb:secret@db.internal:5432/okb?sslmode=require')
    expect(config.databasePoolSize).toBe(25)
    expect(loadConfig(new Map(), {}).databasePoolSize).toBe(10)
  })

  test.each([
    [{ PORT: 'abc' }, /PORT: "abc" is not a whole number/],
    [{ PORT: '70000' }, /PORT \(--port\)/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL \(--log-level\)/],
    [{ PUBLIC_URL: 'ftp://x' }, /PUBLIC_URL \(--public-url\)/],
    [{ TRUST_PROXY: 'maybe' }, /TRUST_PROXY: "maybe" is not a hop count or a proxy network/],
    [
      { DATABASE_URL: 'mysql://db/okb' },
      /DATABASE_URL \(--database-url\): mysql:\/\/ is not a supported store/,
    ],
    [
      { DATABASE_URL: 'postgres://db.internal' },
      /DATABASE_URL \(--database-url\): name the host and the database/,
    ],
    [{ DATABASE_POOL_SIZE: '0' }, /DATABASE_POOL_SIZE \(--database-pool-size\)/],
  ])('invalid %p is one clear line naming the setting', (env, message) => {
    let error: unknown
    try {
      loadConfig(new Map(), env)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as Error).message).toMatch(message)
    expect((error as Error).message).not.toContain('\n')
  })
})
