// The restore queue-depth gauge, defined once for every process that serves /metrics: restore
// jobs waiting in pg-boss per state, read from the database at scrape time, so every process
// reports the same number (aggregate it with max()).
import { restoreQueueDepth, WAITING_JOB_STATES } from '@devpilot/queue'
import type postgres from 'postgres'
import { Gauge, type Registry } from 'prom-client'

export interface QueueDepthMetric {
  /** Reads the depth and sets the gauge; throws when the database does not answer. */
  refresh(sql: postgres.Sql): Promise<void>
  /** Removes every series: no stale number while the database does not answer. */
  reset(): void
}

export function registerQueueDepthMetric(registry: Registry): QueueDepthMetric {
  const gauge = new Gauge({
    name: 'devpilot_restore_queue_depth',
    help: 'Restore jobs waiting in the pg-boss queue, per job state, read from the database at scrape time.',
    labelNames: ['state'],
    registers: [registry],
  })
  return {
    async refresh(sql) {
      const depth = await restoreQueueDepth(sql)
      for (const state of WAITING_JOB_STATES) gauge.set({ state }, depth[state])
    },
    reset: () => gauge.reset(),
  }
}
