/**
 * What bench/scim-push.ts measures with: a phase of requests (client-side latency from request
 * sent to body read, errors, users/s, and the CPU the servers' HTTP and scheduler threads, the
 * PostgreSQL server and the bench client used meanwhile), a bounded pool of concurrent workers, the
 * Okta-shaped user body, and the Markdown table of a scenario.
 */
import { threadCpu, treeCpu } from './scim-binary.ts'

export interface PhaseResult {
  phase: string
  requests: number
  users: number
  seconds: number
  usersPerSecond: number
  requestsPerSecond: number
  p50: number
  p95: number
  p99: number
  max: number
  errors: number
  /** CPU used during the phase, in % of one core: the servers' HTTP threads, their scheduler threads. */
  httpCpu: number
  syncCpu: number
  /** The PostgreSQL server (postmaster and backends), when the bench started it; else 0. */
  dbCpu: number
  /** The same for this bench process (the load generator shares the machine). */
  clientCpu: number
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number
}

/** Where the CPU is counted: the server processes, and the PostgreSQL postmaster (or null). */
export interface Watched {
  pids: number[]
  postmaster: number | null
}

function serverCpu(watched: Watched) {
  const sum = { main: 0, worker: 0, db: watched.postmaster === null ? 0 : treeCpu(watched.postmaster) }
  for (const pid of watched.pids) {
    const cpu = threadCpu(pid)
    sum.main += cpu.main
    sum.worker += cpu.worker
  }
  return sum
}

export class Phase {
  readonly latencies: number[] = []
  errors = 0
  private readonly started = performance.now()
  private readonly cpu: ReturnType<typeof serverCpu>
  private readonly clientCpu = process.cpuUsage()
  constructor(
    readonly name: string,
    readonly users: number,
    readonly watched: Watched,
  ) {
    this.cpu = serverCpu(watched)
  }

  async call(url: string, init: RequestInit, expected: number): Promise<Record<string, unknown> | null> {
    const t0 = performance.now()
    const response = await fetch(url, init)
    const text = await response.text()
    this.latencies.push(performance.now() - t0)
    if (response.status !== expected) {
      this.errors++
      if (this.errors <= 3)
        console.error(
          `${this.name}: ${init.method ?? 'GET'} ${url} → ${response.status} ${text.slice(0, 200)}`,
        )
      return null
    }
    return text ? (JSON.parse(text) as Record<string, unknown>) : {}
  }

  finish(): PhaseResult {
    const seconds = (performance.now() - this.started) / 1000
    const cpu = serverCpu(this.watched)
    const sorted = [...this.latencies].sort((a, b) => a - b)
    const round = (n: number) => Math.round(n * 100) / 100
    const share = (used: number) => Math.round((used / seconds) * 100)
    return {
      phase: this.name,
      requests: sorted.length,
      users: this.users,
      seconds: round(seconds),
      usersPerSecond: Math.round(this.users / seconds),
      requestsPerSecond: Math.round(sorted.length / seconds),
      p50: round(percentile(sorted, 50)),
      p95: round(percentile(sorted, 95)),
      p99: round(percentile(sorted, 99)),
      max: round(sorted.at(-1) ?? 0),
      errors: this.errors,
      httpCpu: share(cpu.main - this.cpu.main),
      syncCpu: share(cpu.worker - this.cpu.worker),
      dbCpu: share(cpu.db - this.cpu.db),
      clientCpu: share(Object.values(process.cpuUsage(this.clientCpu)).reduce((a, b) => a + b, 0) / 1e6),
    }
  }
}

/** Runs `task(i)` for i in [0, count) on `concurrency` workers. */
export async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>) {
  let next = 0
  const worker = async () => {
    while (next < count) await task(next++)
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
}

export function userBody(
  email: string,
  given: string,
  family: string,
  active = true,
): Record<string, unknown> {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: email,
    name: { givenName: given, familyName: family },
    emails: [{ primary: true, value: email, type: 'work' }],
    displayName: `${given} ${family}`,
    locale: 'en-US',
    externalId: `00u${email.length}${given}`,
    groups: [],
    password: 'Passw0rd!',
    active,
  }
}

export function table(title: string, results: PhaseResult[]): string {
  const lines = [
    `### ${title}`,
    '',
    '| phase | requests | users/s | req/s | p50 ms | p95 ms | p99 ms | max ms | errors | CPU % HTTP thread | CPU % sync thread | CPU % PostgreSQL | CPU % bench client |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ]
  for (const r of results) {
    lines.push(
      `| ${r.phase} | ${r.requests} | ${r.users ? r.usersPerSecond : '–'} | ${r.requestsPerSecond} | ${r.p50} | ${r.p95} | ${r.p99} | ${r.max} | ${r.errors} | ${r.httpCpu} | ${r.syncCpu} | ${r.dbCpu} | ${r.clientCpu} |`,
    )
  }
  return lines.join('\n')
}
