/**
 * Structured logs: one JSON object per line on stdout, filtered by level. The one logger of the
 * process. A line written while an HTTP request is handled carries that request's `requestId`
 * (`withRequestId`, entered by the server's fetch handler, src/http/app.ts): the context travels
 * with the request's async work (AsyncLocalStorage), so no feature passes the id along and the
 * "request" line and any error line of one request can be joined on it.
 */
import { AsyncLocalStorage } from 'node:async_hooks'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
  /** Written whatever the level (the first-run set-up code must reach the operator); level "notice". */
  always?(msg: string, fields?: Record<string, unknown>): void
}

const requestContext = new AsyncLocalStorage<{ requestId: string }>()

/** Runs `work` so that every log line it writes, however deep and however late, names `requestId`. */
export function withRequestId<T>(requestId: string, work: () => T): T {
  return requestContext.run({ requestId }, work)
}

/** The id of the request being handled here, if any. */
export function currentRequestId(): string | undefined {
  return requestContext.getStore()?.requestId
}

export function createLogger(
  level: LogLevel,
  write: (line: string) => void = (l) => process.stdout.write(l),
): Logger {
  const min = ORDER[level]
  const line = (lvl: string, msg: string, fields?: Record<string, unknown>) => {
    const requestId = requestContext.getStore()?.requestId
    const head = { time: new Date().toISOString(), level: lvl, msg, ...(requestId ? { requestId } : {}) }
    write(`${JSON.stringify({ ...head, ...fields })}\n`)
  }
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] >= min) line(lvl, msg, fields)
  }
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    always: (m, f) => line('notice', m, f),
  }
}

/** A logger that drops everything (tests that do not look at logs). */
export const silentLogger: Logger = createLogger('error', () => {})
