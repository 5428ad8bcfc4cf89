/**
 * The webhook and outbound settings as an operator gives them: ALLOW_PRIVATE_OUTBOUND as a variable
 * or a bare switch, the timeout, the failure window and the retry pauses, each refused with one
 * line naming the setting when it is not valid.
 */
import { expect, test } from 'bun:test'
import { ConfigError, loadConfig, parseFlags } from '../../src/config/index.ts'

const fromArgv = (argv: string[], env: Record<string, string> = {}) => loadConfig(parseFlags(argv).flags, env)

test('defaults: private destinations refused, 10 s timeout, 24 h window, 5 s … 1 h retries', () => {
  const config = fromArgv([])
  expect(config.allowPrivateOutbound).toBe(false)
  expect(config.webhookTimeoutMs).toBe(10_000)
  expect(config.webhookFailureWindowSeconds).toBe(86_400)
  expect(config.webhookRetryMs).toEqual([5_000, 30_000, 120_000, 600_000, 3_600_000])
})

test('given by flag, switch or variable', () => {
  expect(fromArgv(['serve', '--allow-private-outbound']).allowPrivateOutbound).toBe(true)
  expect(parseFlags(['--allow-private-outbound', 'serve']).positionals).toEqual(['serve'])
  expect(fromArgv([], { ALLOW_PRIVATE_OUTBOUND: '1' }).allowPrivateOutbound).toBe(true)
  expect(fromArgv(['--allow-private-outbound=0'], { ALLOW_PRIVATE_OUTBOUND: '1' }).allowPrivateOutbound).toBe(
    false,
  )
  const config = fromArgv(['--webhook-retry-ms', '50, 100'], {
    WEBHOOK_TIMEOUT_MS: '500',
    WEBHOOK_FAILURE_WINDOW: '2',
  })
  expect([config.webhookRetryMs, config.webhookTimeoutMs, config.webhookFailureWindowSeconds]).toEqual([
    [50, 100],
    500,
    2,
  ])
})

test('invalid values: one line naming the setting', () => {
  for (const [env, name] of [
    [{ ALLOW_PRIVATE_OUTBOUND: 'maybe' }, 'ALLOW_PRIVATE_OUTBOUND'],
    [{ WEBHOOK_TIMEOUT_MS: '5' }, 'WEBHOOK_TIMEOUT_MS'],
    [{ WEBHOOK_FAILURE_WINDOW: '0' }, 'WEBHOOK_FAILURE_WINDOW'],
    [{ WEBHOOK_RETRY_MS: '5s,30s' }, 'WEBHOOK_RETRY_MS'],
  ] as const) {
    const error = (() => {
      try {
        loadConfig(new Map(), env)
      } catch (caught) {
        return caught
      }
    })()
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as Error).message).toContain(name)
    expect((error as Error).message).not.toContain('\n')
  }
})
