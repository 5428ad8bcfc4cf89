/** What every HTTP feature receives from the composition root: config, store, log, metrics. */
import type { Config } from '../config/index.ts'
import type { Logger } from '../observability/log.ts'
import type { Metrics } from '../observability/metrics.ts'
import type { Store } from '../store/index.ts'

export interface AppDeps {
  config: Config
  store: Store
  log: Logger
  metrics: Metrics
  version: string
}
