/**
 * A small Prometheus registry: counters, gauges and histograms with labels, rendered in the text
 * exposition format (version 0.0.4). Gauges may be computed at scrape time by a collector.
 */
type Labels = Record<string, string>

const escapeValue = (value: string) =>
  /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value

/** Runs on every request (several times): no sort when the names come sorted, no escaping when clean. */
function labelKey(labels: Labels): string {
  let keys = Object.keys(labels)
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i - 1] as string) > (keys[i] as string)) {
      keys = keys.sort()
      break
    }
  }
  let key = ''
  for (const name of keys) key += `${key === '' ? '' : ','}${name}="${escapeValue(String(labels[name]))}"`
  return key
}

interface Metric {
  render(): string
}

export class Counter implements Metric {
  private values = new Map<string, number>()
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels)
    this.values.set(key, (this.values.get(key) ?? 0) + by)
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels)) ?? 0
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`]
    for (const [key, value] of this.values) lines.push(`${this.name}${key ? `{${key}}` : ''} ${value}`)
    return lines.join('\n')
  }
}

export class Gauge implements Metric {
  private values = new Map<string, number>()
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  set(labels: Labels, value: number): void {
    this.values.set(labelKey(labels), value)
  }
  reset(): void {
    this.values.clear()
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`]
    for (const [key, value] of this.values) lines.push(`${this.name}${key ? `{${key}}` : ''} ${value}`)
    return lines.join('\n')
  }
}

const DEFAULT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

export class Histogram implements Metric {
  private series = new Map<string, { counts: number[]; sum: number; count: number }>()
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: number[] = DEFAULT_BUCKETS,
  ) {}
  observe(labels: Labels, value: number): void {
    const key = labelKey(labels)
    let s = this.series.get(key)
    if (!s) {
      s = { counts: new Array(this.buckets.length).fill(0), sum: 0, count: 0 }
      this.series.set(key, s)
    }
    for (let i = 0; i < this.buckets.length; i++)
      if (value <= (this.buckets[i] as number)) (s.counts[i] as number)++
    s.sum += value
    s.count++
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`]
    for (const [key, s] of this.series) {
      const prefix = key ? `${key},` : ''
      this.buckets.forEach((b, i) => {
        lines.push(`${this.name}_bucket{${prefix}le="${b}"} ${s.counts[i]}`)
      })
      lines.push(`${this.name}_bucket{${prefix}le="+Inf"} ${s.count}`)
      lines.push(`${this.name}_sum${key ? `{${key}}` : ''} ${s.sum}`)
      lines.push(`${this.name}_count${key ? `{${key}}` : ''} ${s.count}`)
    }
    return lines.join('\n')
  }
}

export class Registry {
  private metrics: Metric[] = []
  private collectors: Array<() => void | Promise<void>> = []
  counter(name: string, help: string): Counter {
    const m = new Counter(name, help)
    this.metrics.push(m)
    return m
  }
  gauge(name: string, help: string): Gauge {
    const m = new Gauge(name, help)
    this.metrics.push(m)
    return m
  }
  histogram(name: string, help: string, buckets?: number[]): Histogram {
    const m = new Histogram(name, help, buckets)
    this.metrics.push(m)
    return m
  }
  /** Runs before each scrape, to refresh gauges computed from the store (which answers promises). */
  onCollect(collect: () => void | Promise<void>): void {
    this.collectors.push(collect)
  }
  async render(): Promise<string> {
    for (const collect of this.collectors) await collect()
    return `${this.metrics.map((m) => m.render()).join('\n')}\n`
  }
}

/** The metrics every part of the server shares; features add their own to `registry`. */
export function createMetrics() {
  const registry = new Registry()
  return {
    registry,
    httpRequests: registry.counter(
      'okta_bridge_http_requests_total',
      'HTTP requests by route, method and status',
    ),
    httpDuration: registry.histogram(
      'okta_bridge_http_request_duration_seconds',
      'HTTP request latency by route, method and status',
    ),
    scimOperations: registry.counter(
      'okta_bridge_scim_operations_total',
      'SCIM operations by resource, operation and status',
    ),
    scimPacedSeconds: registry.counter(
      'okta_bridge_scim_paced_seconds_total',
      "Time SCIM writes waited for their org's change feed to catch up (PostgreSQL)",
    ),
    samlLogins: registry.counter('okta_bridge_saml_logins_total', 'SAML sign-ins by outcome'),
    samlLogouts: registry.counter(
      'okta_bridge_saml_logouts_total',
      'SAML sign-outs by flow (sp_initiated, idp_initiated, logout_response) and outcome',
    ),
    webhookDeliveries: registry.counter(
      'okta_bridge_webhook_deliveries_total',
      'Webhook requests by outcome (delivered, http_error, timeout, network_error, refused)',
    ),
    webhookRequestDuration: registry.histogram(
      'okta_bridge_webhook_request_duration_seconds',
      'Time a webhook endpoint took to answer',
    ),
    webhookDeliveryDelay: registry.histogram(
      'okta_bridge_webhook_delivery_delay_seconds',
      'From an event being written to its acknowledged delivery',
      [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
    ),
    idpMetadataRefreshes: registry.counter(
      'okta_bridge_idp_metadata_refreshes_total',
      'IdP metadata refreshes by outcome (success, failure)',
    ),
    storeDuration: registry.histogram(
      'okta_bridge_store_seconds',
      'Store operation timings',
      [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
    ),
  }
}

export type Metrics = ReturnType<typeof createMetrics>
